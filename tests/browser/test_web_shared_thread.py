"""One conversation, two doors: the page and `POST /api/chat` work on the same thread of the same person.

The CSM asks for the draft in the browser, says "Send Urgently" through the API with the escalation's id as
the thread, sees the review card on the page, approves it there, and the API's next turn knows the send: a
second "Send Urgently" asks for no review and says the response was already sent.
"""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from communicator_escalation.auth.actor import Actor
from communicator_escalation.workflow.review.edits import get_response
from tests.support.web_ui import WebUI


def test_the_page_and_the_chat_api_continue_one_thread(web: WebUI, demo_world: dict[str, Any]) -> None:
    customer = next(c for c in demo_world["customers"] if c["name"] == "DataFlow Inc.")
    signal_id = next(s["id"] for s in demo_world["risk_signals"]
                     if s["customer_id"] == customer["id"] and s["status"] == "open")
    page = web.sign_in("u-jordan")
    page.locator("tr.escalation", has_text=customer["name"]).get_by_role("button", name="Escalation Response").click()
    response_id = page.locator("section.card.draft").get_attribute("data-response")
    assert response_id

    headers = {"Authorization": f"Bearer {web.access_token('u-jordan')}"}
    with httpx.Client(base_url=web.base_url, headers=headers, timeout=120) as api:
        turn = api.post("/api/chat", json={"thread_id": signal_id, "message": "Send Urgently"})
        assert turn.status_code == 200, turn.text
        [pending] = turn.json()["pending_review"]
        assert pending["args"]["response_id"] == response_id  # the draft the page asked for

        page.reload()
        review = page.locator("section.card.review")
        expect(review).to_have_attribute("data-response", response_id)
        review.get_by_role("button", name="Approve").click()
        expect(page.locator("section.card.outcome")).to_contain_text("Response time logged")
        assert get_response(web.store, response_id=response_id, actor=Actor(staff_id="u-jordan")).status == "sent"

        after = api.post("/api/chat", json={"thread_id": signal_id, "message": "Send Urgently"})
        assert after.status_code == 200, after.text
        assert after.json()["pending_review"] == []  # nothing left to approve on this thread
        assert "already sent" in after.json()["reply"]
    assert len(list(web.outbox.glob("*.eml"))) == 1


    # The same thread id under another staff member is their own conversation: nothing of Jordan's waits there.
    manager = {"Authorization": f"Bearer {web.access_token('u-elena')}"}
    with httpx.Client(base_url=web.base_url, headers=manager, timeout=120) as api:
        theirs = api.post("/api/chat", json={"thread_id": signal_id, "message": "Send Urgently"})
        assert theirs.status_code == 200, theirs.text
        assert theirs.json()["pending_review"] == []
