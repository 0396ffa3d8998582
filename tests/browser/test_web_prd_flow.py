"""The PRD's flow in a browser, by clicks only: quick action, draft card, Add CCs, Send Urgently, Approve, response time.

Every expectation is read from the database (the draft's suggested CCs, the content the review pins,
the response time the send logged), not from literals of the demo. ESCALATION_SCREENSHOTS=DIR saves the
README's screenshots (inbox, draft card, review card) there.
"""

from __future__ import annotations

import os
import re
from email import message_from_bytes
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from communicator_escalation.auth.actor import Actor
from communicator_escalation.duration_words import duration_text
from communicator_escalation.insights.report import build_insights
from communicator_escalation.workflow.delivery.tracking import list_responses
from communicator_escalation.workflow.drafting.responses import load_draft
from communicator_escalation.workflow.policy import load_policy
from communicator_escalation.workflow.review.edits import get_response
from tests.support.web_ui import WebUI


def _shot(target: Page | Locator, name: str, tmp_path: Path) -> None:
    """Screenshot `target` into the test's folder, and into ESCALATION_SCREENSHOTS when set."""
    folders = [tmp_path, *([Path(os.environ["ESCALATION_SCREENSHOTS"])] if os.environ.get("ESCALATION_SCREENSHOTS") else [])]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(folder / f"{name}.png"))
        assert (folder / f"{name}.png").stat().st_size > 0


def _signal_of(world: dict[str, Any], customer_name: str) -> tuple[str, str]:
    customer = next(c for c in world["customers"] if c["name"] == customer_name)
    signal = next(s for s in world["risk_signals"] if s["customer_id"] == customer["id"])
    return customer["id"], signal["id"]


def _contact(world: dict[str, Any], customer_id: str, role: str) -> dict[str, Any]:
    return next(c for c in world["contacts"] if c["customer_id"] == customer_id and c["role"] == role)


def test_quick_action_to_response_time_by_clicks_only(web: WebUI, demo_world: dict[str, Any], tmp_path: Path) -> None:
    customer_id, signal_id = _signal_of(demo_world, "DataFlow Inc.")
    page = web.sign_in("u-jordan")
    row = page.locator(f'tr.escalation[data-signal="{signal_id}"]')  # its place in the order depends on the hour
    expect(row.locator(".customer")).to_have_text("DataFlow Inc.")
    expect(row.locator(".sla-clock")).to_contain_text(re.compile(r"due in .*min"))
    _shot(page, "web-inbox", tmp_path)

    row.get_by_role("button", name="Escalation Response").click()
    card = page.locator("section.card.draft")
    expect(card.get_by_role("heading", name="Escalation Response Draft")).to_be_visible()
    response_id = card.get_attribute("data-response")
    assert response_id
    jordan = Actor(staff_id="u-jordan")
    draft = load_draft(web.store, response_id=response_id, actor=jordan, policy=load_policy(None).email)
    executive = _contact(demo_world, customer_id, "executive")
    expect(card.locator(".to")).to_contain_text(executive["name"])
    assert draft.suggested_ccs, "the demo's high-severity technical escalation has suggested CCs"
    for suggestion in draft.suggested_ccs:
        box = card.get_by_role("checkbox", name=re.compile(re.escape(suggestion.name)))
        expect(box).to_be_checked()
        expect(card.locator("label.cc-suggestion", has_text=suggestion.name)).to_contain_text(suggestion.reason)
    _shot(card, "web-draft-card", tmp_path)

    card.get_by_role("button", name="Add CCs").click()
    for suggestion in draft.suggested_ccs:
        expect(page.locator("section.card.draft .cc")).to_contain_text(suggestion.email)

    page.get_by_role("button", name="Send Urgently").click()
    review = page.locator("section.card.review")
    expect(review.get_by_role("heading", name="Review before sending")).to_be_visible()
    pending = get_response(web.store, response_id=response_id, actor=jordan)
    expect(review.locator(".subject")).to_have_text(pending.subject)
    expect(review.locator(".fingerprint")).to_have_text(pending.content_hash[:12])
    for person in [*pending.to, *pending.cc]:
        expect(review.locator(".to" if person in pending.to else ".cc")).to_contain_text(person.email)
    body_shown = review.locator(".body").inner_text()
    assert body_shown.split() == pending.body.split()
    _shot(review, "web-review-card", tmp_path)

    review.get_by_role("button", name="Approve").click()
    outcome = page.locator("section.card.outcome")
    (sent,) = [r for r in list_responses(web.store, actor=jordan) if r.id == response_id]
    assert sent.status == "sent" and sent.response_minutes is not None
    expect(outcome).to_contain_text(f"Response time logged: {duration_text(sent.response_minutes)} from escalation")
    expect(outcome).to_contain_text("expedited approval policy")
    expect(outcome.get_by_role("heading")).to_have_text("Escalation Response sent")
    assert sent.next_update_due is not None  # the post-send hook started the thread's update clock
    expect(outcome.locator(".next-update-due")).to_contain_text("Next update due")

    (eml,) = web.outbox.glob("*.eml")
    outcome.get_by_role("button", name="Draft the next update").click()
    update = page.locator("section.card.draft")
    expect(update.locator("h2")).to_have_text("Status Update Draft")
    update_id = update.get_attribute("data-response")
    assert update_id and update_id != response_id
    expect(update.locator(".subject")).to_have_text(get_response(web.store, response_id=update_id, actor=jordan).subject)
    expect(update.locator(".to")).to_contain_text(executive["email"])
    email = message_from_bytes(eml.read_bytes())
    assert [a for _, a in getaddresses(email.get_all("To", []))] == [executive["email"]]
    assert {a for _, a in getaddresses(email.get_all("Cc", []))} == {c.email for c in draft.suggested_ccs}

    page.get_by_role("link", name="Inbox").click()
    row = page.locator(f"tr.escalation[data-signal='{signal_id}']")
    expect(row.locator(".sla")).to_contain_text("answered")
    page.get_by_role("link", name="Responses").click()
    answered = page.locator(f"tr[data-response='{response_id}']")
    expect(answered.locator(".response-minutes")).to_have_text(duration_text(sent.response_minutes))
    expect(answered.locator(".sla-result")).to_have_text("met" if sent.sla and sent.sla.state == "met" else "missed")

    page.get_by_role("link", name="Insights").click()
    report = build_insights(web.store, actor=jordan, policy=load_policy(None))
    assert report.first_response.count >= 1
    expect(page.locator("[data-figure=sent]")).to_have_text(str(report.first_response.count))
    charts = page.locator("figure.chart img")
    expect(charts.first).to_have_js_property("complete", True)
    assert charts.count() >= 3
    for i in range(charts.count()):
        expect(charts.nth(i)).to_have_js_property("complete", True)
        assert charts.nth(i).evaluate("img => img.naturalWidth") > 0
    svg = page.request.get(web.url(charts.first.get_attribute("src") or ""))
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert all(f">{severity}<" in svg.text() for severity in report.first_response.by_severity)
    assert web.csp_reports() == []
