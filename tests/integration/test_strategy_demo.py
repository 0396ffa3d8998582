"""Step 2 on the demo world, loaded at two different moments (the world is time-shifted on load)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.models import EscalationContext, Strategy
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.context.gather import gather_context
from communicator_escalation.workflow.policy import Policy
from communicator_escalation.workflow.strategy.ccs import suggest_ccs
from communicator_escalation.workflow.strategy.pick import pick_strategy
from communicator_escalation.workflow.strategy.sla import add_business_time, business_calendar, is_business_time

# The world's own as_of (a Friday afternoon) and a Sunday evening: same scenario, other calendar.
LOAD_MOMENTS = [datetime(2026, 11, 20, 17, 0, tzinfo=UTC), datetime(2027, 3, 14, 23, 30, tzinfo=UTC)]


def _decide(store: Store, world: Path, loaded: datetime, customer: str) -> tuple[EscalationContext, Strategy]:
    load_world(store, world, now=loaded)
    ctx = gather_context(store, actor=ACCOUNT_CSM, customer=customer, now=loaded)
    return ctx, pick_strategy(ctx, Policy())


@pytest.mark.parametrize("loaded", LOAD_MOMENTS)
def test_dataflow_high_technical(store: Store, demo_world_path: Path, loaded: datetime) -> None:
    ctx, strategy = _decide(store, demo_world_path, loaded, "DataFlow")
    detected = ctx.escalation.detected_at
    clock = strategy.sla

    assert strategy.template == strategy.escalation_type.type == "technical"
    assert clock.clock == "around_the_clock"
    assert clock.first_response_due == detected + timedelta(minutes=60)
    assert clock.update_every_hours == 4
    assert clock.resolution_due == detected + timedelta(hours=72)
    assert clock.urgency == "on_track"
    assert clock.minutes_to_first_response_due == int((detected + timedelta(minutes=60) - loaded).total_seconds() // 60)

    assignee = ctx.ticket.assignee
    workaround = next(e for e in ctx.ticket.events if e.kind == "workaround_identified")
    texts = [item.text for item in strategy.action_items]
    assert any(assignee.name in text and assignee.phone in text for text in texts)
    assert not any(workaround.note.rstrip(".") in text for text in texts)  # ticket notes are internal
    assert strategy.timeline[0].milestone == "Interim workaround identified"
    assert not any(item.placeholder for item in strategy.action_items)

    interim = next(m for m in strategy.timeline if m.status == "identified")
    assert interim.due is None and interim.due_text.startswith("today at")
    assert all(m.due is None or m.recorded or loaded < m.due <= clock.resolution_due for m in strategy.timeline)
    assert [m.recorded for m in strategy.timeline if m.milestone == "Permanent fix"] == [True]  # staff scheduled it
    assert strategy.next_update.due <= loaded + timedelta(hours=4)
    assert strategy.tone.executive_recipient and strategy.tone.name == "executive"

    ccs = suggest_ccs(ctx, strategy)
    team = ctx.team
    assert [(cc.label, cc.staff_id) for cc in ccs] == [
        ("Your manager", team.csm_manager.id),
        ("Support Lead", team.support_lead.id),
        ("Account Executive", team.account_executive.id),
    ]
    assert all(cc.reason for cc in ccs)
    assert team.csm.id not in {cc.staff_id for cc in ccs}


@pytest.mark.parametrize("loaded", LOAD_MOMENTS)
def test_brightpath_critical_service_breached(store: Store, demo_world_path: Path, loaded: datetime) -> None:
    ctx, strategy = _decide(store, demo_world_path, loaded, "Brightpath")

    assert ctx.escalation.severity == "critical" and strategy.template == "service"
    assert strategy.sla.urgency == "breached"
    assert strategy.sla.minutes_to_first_response_due < 0
    assert strategy.tone.repeat_escalation
    assert any("acknowledge the delay" in note for note in [_n.text for _n in strategy.review_notes])

    ccs = {cc.staff_id: cc for cc in suggest_ccs(ctx, strategy)}
    sponsor = ccs[ctx.team.executive_sponsor.id]
    assert sponsor.label == "Executive Sponsor" and "Critical" in sponsor.reason
    assert ctx.team.csm_manager.id in ccs
    assert ctx.team.csm.id not in ccs

    play = ctx.save_plays[0]
    assert any(play.title in item.text and play.owner.name in item.text for item in strategy.action_items)


@pytest.mark.parametrize("loaded", LOAD_MOMENTS)
def test_northwind_medium_billing_business_hours(store: Store, demo_world_path: Path, loaded: datetime) -> None:
    ctx, strategy = _decide(store, demo_world_path, loaded, "Northwind")
    clock = strategy.sla
    calendar = business_calendar(timezone="America/Chicago", policy=Policy())

    assert ctx.customer.timezone == "America/Chicago"
    assert strategy.template == "billing"
    assert clock.clock == "business_hours"
    four_hours = add_business_time(ctx.escalation.detected_at, timedelta(hours=4), calendar=calendar)
    assert clock.first_response_due == four_hours
    due_local = clock.first_response_due.astimezone(ZoneInfo("America/Chicago"))
    assert due_local.weekday() < 5 and 9 <= due_local.hour <= 17
    assert is_business_time(clock.resolution_due - timedelta(minutes=1), calendar=calendar)
    assert strategy.next_update.due_text.endswith(("CST", "CDT"))

    ccs = suggest_ccs(ctx, strategy)
    by_role = {cc.role: cc for cc in ccs}
    assert by_role["billing_specialist"].staff_id == ctx.team.billing_specialist.id
    assert by_role["account_executive"].staff_id == ctx.team.account_executive.id
    assert "security_officer" not in by_role and "engineering_manager" not in by_role
    assert not any(item.placeholder for item in strategy.action_items)
    assert any(item.owner_id == ctx.team.billing_specialist.id for item in strategy.action_items)
