"""Edit on the draft card in a browser: the gate's notes follow the typing, a blocking note stops the send, a fix lets it go."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from communicator_escalation.auth.actor import Actor
from communicator_escalation.workflow.review.edits import get_response
from tests.support.web_ui import WebUI


def test_edit_with_a_blocking_note_then_a_fix_and_send_urgently_typed(web: WebUI, demo_world: dict[str, Any]) -> None:
    customer = next(c for c in demo_world["customers"] if c["name"] == "DataFlow Inc.")
    page = web.sign_in("u-jordan")
    page.locator("tr.escalation", has_text=customer["name"]).get_by_role("button", name="Escalation Response").click()
    card = page.locator("section.card.draft")
    response_id = card.get_attribute("data-response")
    assert response_id
    page.get_by_role("link", name="Inbox").click()
    page.locator("tr.escalation", has_text=customer["name"]).get_by_role("button", name="Escalation Response").click()
    card = page.locator("section.card.draft")
    expect(card).to_have_attribute("data-response", response_id)
    expect(page.locator(".msg.from-csm")).to_have_count(1)
    jordan = Actor(staff_id="u-jordan")
    drafted = get_response(web.store, response_id=response_id, actor=jordan)
    expect(card.locator(".note.blocking")).to_have_count(0)

    card.get_by_role("link", name="Edit").click()
    body = card.get_by_label("Body")
    expect(card.get_by_label("Subject")).to_have_value(drafted.subject)
    promise = "To make up for it we will refund this month's fee."
    body.fill(drafted.body.replace("\n\n", f"\n\n{promise}\n\n", 1))
    blocking = card.locator(".note.blocking")
    expect(blocking).to_contain_text("refund")
    assert get_response(web.store, response_id=response_id, actor=jordan).body == drafted.body, "typing saves nothing"

    card.get_by_role("button", name="Save changes").click()
    card = page.locator("section.card.draft")
    expect(card.locator(".body")).to_contain_text(promise)
    expect(card.locator(".note.blocking")).to_contain_text("refund")
    expect(card.locator(".warning")).to_be_visible()

    card.get_by_role("button", name="Send Urgently").click()
    review = page.locator("section.card.review")
    expect(review.locator(".note.blocking")).to_contain_text("refund")
    expect(review.locator(".warning")).to_be_visible()
    review.get_by_role("button", name="Approve").click()
    expect(page.locator(".event-error, .event-send").last).to_contain_text("refund")
    assert get_response(web.store, response_id=response_id, actor=jordan).status == "drafted"
    assert list(web.outbox.glob("*.eml")) == []

    card = page.locator("section.card.draft")
    card.get_by_role("link", name="Edit").click()
    card.get_by_label("Body").fill(drafted.body)
    expect(card.locator(".note.blocking")).to_have_count(0)
    card.get_by_role("button", name="Save changes").click()
    expect(page.locator("section.card.draft .note.blocking")).to_have_count(0)

    page.get_by_label("Message").fill("Send Urgently")
    page.get_by_role("button", name="Send message").click()
    review = page.locator("section.card.review")
    expect(review.locator(".subject")).to_have_text(drafted.subject)
    review.get_by_role("button", name="Approve").click()
    expect(page.locator("section.card.outcome")).to_contain_text("Response time logged")
    (eml,) = web.outbox.glob("*.eml")
    assert "refund" not in eml.read_text(errors="replace")
    assert web.csp_reports() == []
