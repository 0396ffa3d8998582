"""The escalation inbox in a browser: the workflow's order, the SLA clock and its live count-down to "breached"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import expect

from communicator_escalation.auth.actor import Actor
from communicator_escalation.workflow.policy import load_policy
from communicator_escalation.workflow.triage import open_escalations
from tests.support.web_ui import WebUI


def test_inbox_order_and_a_clock_that_counts_down_to_breached(web: WebUI, demo_world: dict[str, Any]) -> None:
    page = web.new_page()
    page.clock.install(time=datetime.now(UTC))
    web.sign_in("u-jordan", page)
    expected = open_escalations(web.store, actor=Actor(staff_id="u-jordan"), policy=load_policy(None))
    rows = page.locator("tr.escalation")
    assert [rows.nth(i).get_attribute("data-signal") for i in range(rows.count())] == [
        e.signal_id for e in expected.escalations]
    top = expected.escalations[0]  # which customer depends on the hour: business-hours clocks run in local time
    expect(rows.first.locator(".customer")).to_have_text(top.customer)
    clock = rows.first.locator(".sla-clock")
    shown = int(clock.get_attribute("data-minutes") or "")
    assert abs(shown - top.minutes_to_first_response_due) <= 1
    assert top.minutes_to_first_response_due > 0, "the demo's first escalation is not breached yet"
    expect(clock.locator(".due")).to_be_visible()
    expect(clock.locator(".late")).to_be_hidden()
    expect(rows.first.locator(".title")).to_have_text(top.title)
    expect(rows.first).to_contain_text(top.reporter or "")

    page.clock.fast_forward((shown + 2) * 60_000)
    expect(clock.locator(".late")).to_be_visible()
    expect(clock.locator(".late")).to_contain_text("breached")
    expect(rows.first).to_have_class("escalation is-breached")
    red, green, blue = (int(v) for v in clock.evaluate("e => getComputedStyle(e).color").strip("rgb()").split(",")[:3])
    assert red > 150 and red > 2 * green and red > 2 * blue, "breached is shown in red"
    assert web.csp_reports() == []
