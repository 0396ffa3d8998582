"""The approvals page in a second browser context: the manager sees the request arrive without a reload and decides."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from communicator_escalation.auth.actor import Actor
from communicator_escalation.workflow.delivery.send_with_approval import approvals_for
from communicator_escalation.workflow.review.edits import get_response
from tests.support.web_ui import WebUI


def _request_approval(web: WebUI, customer: str) -> tuple[Page, str]:
    """Jordan opens the draft and sends it the plain way: it waits for the approver."""
    page = web.sign_in("u-jordan")
    page.locator("tr.escalation", has_text=customer).get_by_role("button", name="Escalation Response").click()
    response_id = page.locator("section.card.draft").get_attribute("data-response")
    assert response_id
    page.get_by_role("button", name="Send", exact=True).click()
    review = page.locator("section.card.review")
    expect(review.locator(".mode")).to_contain_text("approver")
    review.get_by_role("button", name="Approve").click()
    expect(page.locator("section.card.draft .state")).to_have_text("pending approval")
    return page, response_id


def _open_approvals(web: WebUI, staff_id: str) -> Page:
    page = web.sign_in(staff_id)
    page.get_by_role("link", name="Approvals").click()
    expect(page.locator(".approval-list .empty")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")
    return page


def test_manager_approves_from_a_page_that_updates_by_itself(web: WebUI, demo_world: dict[str, Any]) -> None:
    jordan_id = "u-jordan"
    manager_id = next(s for s in demo_world["staff"] if s["id"] == jordan_id)["manager_id"]
    manager_name = next(s for s in demo_world["staff"] if s["id"] == manager_id)["name"]
    manager = _open_approvals(web, manager_id)
    jordan, response_id = _request_approval(web, "DataFlow Inc.")
    expect(jordan.locator("section.card.draft .status-line")).to_contain_text(manager_name)

    request = manager.locator("article.approval")
    expect(request).to_have_count(1, timeout=30_000)
    assert manager.evaluate("window.stillTheSamePage") is True
    content = get_response(web.store, response_id=response_id, actor=Actor(staff_id=manager_id))
    expect(request).to_contain_text(content.subject)
    assert request.locator(".body").inner_text().split() == content.body.split()
    expect(request.locator(".headers")).to_contain_text(content.to[0].email)

    request.get_by_role("button", name="Approve").click()
    expect(manager.get_by_role("status")).to_contain_text("approved")
    expect(manager.locator(".approval-list .empty")).to_be_visible()

    jordan.reload()
    outcome = jordan.locator("section.card.outcome")
    expect(outcome).to_contain_text(f"Approved by {manager_name}")
    expect(outcome).to_contain_text("Response time logged")
    assert len(list(web.outbox.glob("*.eml"))) == 1
    assert web.csp_reports() == []


def test_manager_rejects_with_a_reason_the_csm_reads(web: WebUI, demo_world: dict[str, Any]) -> None:
    manager_id = next(s for s in demo_world["staff"] if s["id"] == "u-jordan")["manager_id"]
    manager = _open_approvals(web, manager_id)
    jordan, response_id = _request_approval(web, "DataFlow Inc.")
    request = manager.locator("article.approval")
    expect(request).to_have_count(1, timeout=30_000)
    request.get_by_label("Reason").fill("Lead with the workaround, then the timeline.")
    request.get_by_role("button", name="Reject").click()
    expect(manager.get_by_role("status")).to_contain_text("rejected")

    (decided,) = approvals_for(web.store, actor=Actor(staff_id=manager_id), status="rejected")
    assert decided.response_id == response_id
    jordan.reload()
    card = jordan.locator("section.card.draft")
    expect(card.locator(".state")).to_have_text("rejected")
    expect(card).to_contain_text("Lead with the workaround, then the timeline.")
    expect(card.get_by_role("button", name="Send Urgently")).to_be_visible()
    assert list(web.outbox.glob("*.eml")) == []
