"""Step 2 on contexts built in Python: type inference, tone, timeline, due texts, action items, notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from communicator_escalation.models import TicketEvent
from communicator_escalation.workflow.policy import EmailPolicy, Policy, TypingPolicy
from communicator_escalation.workflow.strategy._phrases import moment_text, phrase
from communicator_escalation.workflow.strategy.classify import infer_escalation_type
from communicator_escalation.workflow.strategy.pick import pick_strategy
from communicator_escalation.workflow.strategy.sla import business_calendar, is_business_time
from tests.unit.builders import NOW, contact, context, email, event, prior, save_play, signal, staff, team, ticket

POLICY = Policy()


# --- escalation type -------------------------------------------------------------------------


def _texts(notes: list) -> list[str]:
    return [note.text for note in notes]


def test_given_type_wins_and_is_not_inferred() -> None:
    decision = infer_escalation_type(texts=["We were charged twice on invoice 88"], given="security")
    assert decision.type == "security" and not decision.inferred


def test_billing_beats_technical_when_about_money() -> None:
    decision = infer_escalation_type(
        texts=["Our invoice shows an overage charge for API calls that failed with sync errors"]
    )
    assert decision.type == "billing" and decision.inferred
    assert {"invoice", "overage", "charge"} <= set(decision.evidence)


def test_a_money_amount_makes_it_billing() -> None:
    decision = infer_escalation_type(texts=["The export API integration failed and we paid €1.200,50 extra"])
    assert decision.type == "billing"
    assert any(word.startswith("€1") for word in decision.evidence)


def test_one_billing_word_in_a_technical_complaint_stays_technical() -> None:
    decision = infer_escalation_type(texts=["Invoice export fails with a 500 error and the webhook times out"])
    assert decision.type == "technical"
    assert "500" in decision.evidence and "webhook" in decision.evidence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Suspicious login from an unknown country; we think credentials were compromised", "security"),
        ("The platform is down for all users since 6am, status page says nothing", "outage"),
        ("Onboarding slipped again and the promised account manager never materialized", "service"),
        ("Latency on the API endpoint and timeouts in the nightly sync", "technical"),
    ],
)
def test_each_type_is_inferred_with_its_evidence(text: str, expected: str) -> None:
    decision = infer_escalation_type(texts=[text])
    assert decision.type == expected and decision.evidence


def test_words_do_not_match_inside_other_words() -> None:
    decision = infer_escalation_type(texts=["The data feed downloads stopped"], default="service")
    assert "fee" not in decision.evidence and decision.type != "billing"


def test_vocabulary_comes_from_the_policy() -> None:
    german = TypingPolicy(keywords={"billing": ["rechnung", "rechnungen"], "technical": ["fehler"]})
    decision = infer_escalation_type(texts=["Doppelte Rechnungen und ein Fehler im Export"], typing=german)
    assert decision.type == "billing" and decision.evidence == ["rechnungen"]


def test_no_words_falls_back_and_says_so() -> None:
    ctx = context(escalation_type=None, title="Bitte um Rückruf", severity="medium")
    strategy = pick_strategy(ctx, POLICY)
    assert strategy.escalation_type.type == "service" and strategy.escalation_type.evidence == []
    assert any("assumed to be service" in note for note in _texts(strategy.review_notes))
    with_ticket = pick_strategy(context(escalation_type=None, title="Bitte um Rückruf", ticket=ticket()), POLICY)
    assert with_ticket.escalation_type.type == "technical"


def test_inferred_type_evidence_is_kept_for_review() -> None:
    ctx = context(
        escalation_type=None,
        severity="medium",
        title="Double charge",
        reply_to=email(subject="Refund please", body="We were billed twice; please refund the duplicate fee."),
    )
    strategy = pick_strategy(ctx, POLICY)
    assert strategy.template == "billing"
    note = next(n for n in _texts(strategy.review_notes) if n.startswith("Escalation type inferred as billing"))
    assert all(word in note for word in strategy.escalation_type.evidence)


# --- tone ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reporter", "executive"),
    [
        (contact(title="Geschäftsführerin", role="executive"), True),
        (contact(title="VP of Operations", role=None), True),
        (contact(title="Head of Finance", role="billing"), True),
        (contact(title="Finance Manager", role="billing"), False),
        (contact(title="Vpn Administrator", role="technical"), False),
    ],
)
def test_executive_recipient(reporter, executive: bool) -> None:
    tone = pick_strategy(context(reporter=reporter), POLICY).tone
    assert tone.executive_recipient is executive
    assert tone.name == ("executive" if executive else "urgent")


def test_tone_by_severity_and_relationship() -> None:
    assert pick_strategy(context(severity="medium"), POLICY).tone.name == "warm"
    repeat = pick_strategy(context(severity="medium", prior_escalations=[prior(days_ago=30)]), POLICY).tone
    assert repeat.name == "formal" and repeat.repeat_escalation
    assert any("Repeat escalation" in reason for reason in repeat.reasons)
    renewal = pick_strategy(context(severity="low", renewal_in_days=45), POLICY).tone
    assert renewal.elevated_priority and renewal.name == "formal"
    declining = pick_strategy(context(severity="low", health_direction="declining"), POLICY).tone
    assert declining.elevated_priority and any("-12 points" in reason for reason in declining.reasons)


def test_repeat_window_and_open_escalations() -> None:
    old = pick_strategy(context(prior_escalations=[prior(days_ago=91)]), POLICY)
    assert not old.tone.repeat_escalation
    open_one = pick_strategy(context(other_open_escalations=[signal(title="Kassen offline")]), POLICY)
    assert open_one.tone.repeat_escalation
    assert any('"Kassen offline"' in note and "only if the same person raised it" in note
               for note in _texts(open_one.review_notes))


# --- timeline and due texts ----------------------------------------------------------------------


def test_due_text_phrases_in_the_customer_timezone() -> None:
    eastern, now = ZoneInfo("America/New_York"), datetime(2030, 1, 9, 15, 0, tzinfo=UTC)  # Wed 10:00 EST
    assert moment_text(datetime(2030, 1, 9, 22, 0, tzinfo=UTC), now=now, tz=eastern) == "today by 5:00 PM EST"
    assert moment_text(datetime(2030, 1, 10, 15, 0, tzinfo=UTC), now=now, tz=eastern) == "tomorrow by 10:00 AM EST"
    central = ZoneInfo("America/Chicago")
    assert moment_text(datetime(2030, 1, 14, 15, 0, tzinfo=UTC), now=now, tz=central) == "Monday by 9:00 AM CST"
    far = datetime(2030, 1, 25, 17, 30, tzinfo=UTC)
    assert moment_text(far, now=now, tz=eastern) == "Friday, January 25 by 12:30 PM EST"
    summer = datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
    assert moment_text(summer, now=summer, tz=eastern, kind="at") == "today at 8:00 AM EDT"
    night = summer.replace(hour=4)  # 12:00 AM EDT: a night-time moment keeps only its day
    assert moment_text(night, now=summer, tz=eastern, kind="at") == "earlier today"
    assert moment_text(summer, now=summer, tz=ZoneInfo("America/Sao_Paulo")).endswith("UTC-03")
    assert moment_text(None, now=now, tz=eastern) == "[confirm: date]"


def test_cached_phrases_depend_on_their_arguments_exactly() -> None:
    # Phrases of plain values are rendered once per process; values that compare equal but render
    # differently (30, 30.0 and True == 1; a str subclass) must each get their own text.
    def repeat(days: object) -> str:
        return phrase("cc", part="reason", rule="repeat", days=days)

    class Days(str):
        def __str__(self) -> str:
            return "thirty"

    assert repeat(30).endswith("in the last 30 days")
    assert repeat(30.0).endswith("in the last 30.0 days")
    assert repeat(1).endswith("in the last 1 days") and repeat(True).endswith("in the last True days")
    assert repeat("30") == repeat(30)
    assert repeat(Days("30")).endswith("in the last thirty days")
    assert repeat(30).endswith("in the last 30 days")  # the cached text is still the first one's


def test_technical_timeline_is_ordered_and_never_after_resolution() -> None:
    ctx = context(severity="critical", detected_at=NOW - timedelta(hours=3))
    strategy = pick_strategy(ctx, POLICY)
    # No workaround and no fix date on record: none is promised, and the fix date is the CSM's to confirm.
    assert [m.milestone for m in strategy.timeline] == ["Root cause analysis", "Permanent fix"]
    root_cause, fix = strategy.timeline
    assert root_cause.due is not None and NOW < root_cause.due <= strategy.sla.resolution_due
    assert root_cause.due_text.endswith(("CET", "CEST"))
    assert fix.due is None and fix.due_text == "[confirm: permanent fix date]" and not fix.recorded
    assert any("No workaround is recorded" in note for note in _texts(strategy.review_notes))


def test_a_fix_or_workaround_date_comes_only_from_what_staff_recorded() -> None:
    eta, later = NOW + timedelta(days=2), NOW + timedelta(days=6)
    scheduled = [TicketEvent(at=NOW - timedelta(hours=1), kind="workaround_scheduled", note="ETA", due=eta),
                 TicketEvent(at=NOW - timedelta(minutes=30), kind="fix_scheduled", note="Release train", due=later)]
    ctx = context(severity="critical", detected_at=NOW - timedelta(hours=3), ticket=ticket(events=scheduled))
    timeline = pick_strategy(ctx, POLICY).timeline
    assert [(m.milestone, m.due, m.recorded) for m in timeline[1:]] == [
        ("Interim mitigation", eta, True), ("Permanent fix", later, True)]


def test_around_the_clock_milestones_prefer_the_working_day() -> None:
    vienna = ZoneInfo("Europe/Vienna")
    now = datetime(2030, 6, 12, 11, 0, tzinfo=vienna)
    strategy = pick_strategy(context(severity="high", detected_at=now - timedelta(minutes=20), now=now), POLICY)
    root_cause = strategy.timeline[0]
    assert root_cause.due == datetime(2030, 6, 12, 18, 0, tzinfo=vienna)  # the promise hours end at 18:00
    assert root_cause.due_text == "today by 6:00 PM CEST"


def test_events_mark_milestones_identified_and_done() -> None:
    events = [
        event("workaround_identified", NOW - timedelta(hours=2), "Use offline mode"),
        event("fix_deployed", NOW - timedelta(minutes=30), "Patch 4.2.1"),
    ]
    strategy = pick_strategy(context(ticket=ticket(events=events)), POLICY)
    statuses = {m.status: m for m in strategy.timeline}
    assert "identified" not in statuses  # the deployed fix drops the interim step
    assert strategy.timeline[0] == statuses["done"] and statuses["done"].milestone == "Permanent fix deployed"
    found = pick_strategy(context(ticket=ticket(events=events[:1])), POLICY).timeline
    assert found[0].milestone == "Interim workaround identified" and found[0].due_text.startswith("today at")
    future = pick_strategy(context(ticket=ticket(events=[event("fix_deployed", NOW + timedelta(hours=1))])), POLICY)
    assert all(m.status == "planned" for m in future.timeline)


@pytest.mark.parametrize(
    ("kind", "labels"),
    [
        ("billing", ["Billing account review", "Confirmation that your account is correct"]),
        ("service", ["Named owner for the recovery", "Recovery plan", "First progress checkpoint"]),
        ("security", ["Initial findings", "Update on scope and impact", "Full incident report"]),
        ("outage", ["Root cause analysis", "Permanent fix"]),
    ],
)
def test_milestones_by_type(kind: str, labels: list[str]) -> None:
    strategy = pick_strategy(context(escalation_type=kind, severity="medium"), POLICY)
    assert [m.milestone for m in strategy.timeline] == labels
    assert all(m.due <= strategy.sla.resolution_due for m in strategy.timeline if m.due is not None)


def test_billing_about_an_invoice_promises_a_corrected_invoice() -> None:
    ctx = context(escalation_type="billing", severity="medium", description="Invoice RE-2030-114 is duplicated")
    assert pick_strategy(ctx, POLICY).timeline[0].milestone == "Corrected invoice"


def test_business_hours_timeline_and_next_update_fall_in_business_hours() -> None:
    friday = datetime(2030, 6, 14, 14, 0, tzinfo=ZoneInfo("Europe/Vienna"))
    strategy = pick_strategy(context(severity="medium", detected_at=friday, now=friday), POLICY)
    calendar = business_calendar(timezone="Europe/Vienna", policy=POLICY)
    for milestone in [*strategy.timeline[:-1], strategy.next_update]:
        assert is_business_time(milestone.due, calendar=calendar)
    assert strategy.next_update.due == datetime(2030, 6, 17, 9, 0, tzinfo=ZoneInfo("Europe/Vienna"))
    assert strategy.next_update.due_text == "Monday by 9:00 AM CEST"


def test_next_update_follows_the_cadence() -> None:
    strategy = pick_strategy(context(severity="critical"), POLICY)
    assert NOW < strategy.next_update.due <= NOW + timedelta(hours=2)
    assert strategy.next_update.milestone == "Next update"


def test_passed_resolution_target_leaves_dates_to_the_csm() -> None:
    ctx = context(severity="critical", detected_at=NOW - timedelta(hours=30))
    strategy = pick_strategy(ctx, POLICY)
    assert [m.due_text for m in strategy.timeline] == ["[confirm: date]", "[confirm: permanent fix date]"]
    assert all(m.due is None for m in strategy.timeline)
    assert any("resolution target passed" in note for note in _texts(strategy.review_notes))


def test_now_defaults_to_gathered_at_and_can_be_pinned() -> None:
    ctx = context(severity="high", detected_at=NOW - timedelta(minutes=50))
    assert pick_strategy(ctx, POLICY).sla.urgency == "due_soon"
    assert pick_strategy(ctx, POLICY, now=NOW - timedelta(minutes=40)).sla.urgency == "on_track"


# --- action items ------------------------------------------------------------------------------------


def test_action_items_come_from_ticket_facts() -> None:
    engineer = staff("s-mei", "Mei Lin", "support_engineer", phone="+43 1 555 0101")
    events = [
        event("opened", NOW - timedelta(days=2)),
        event("engineering_escalated", NOW - timedelta(hours=2), "Escalated to POS team"),
        event("workaround_identified", NOW - timedelta(hours=1), "Restart the sync agent hourly"),
    ]
    strategy = pick_strategy(context(ticket=ticket(events=events, assignee=engineer)), POLICY)
    texts = [item.text for item in strategy.action_items]
    assert texts[0].startswith("Engineering team investigating the root cause, escalated today at")
    assert not any("Restart the sync agent" in text or "POS team" in text for text in texts)  # notes are internal
    assert texts[1] == "Dedicated support engineer assigned: Mei Lin (direct line: +43 1 555 0101)"
    assert strategy.action_items[1].owner_id == "s-mei"
    assert not any(item.placeholder for item in strategy.action_items)


def test_missing_owners_become_the_csms_own_actions_owned_from_the_directory() -> None:
    strategy = pick_strategy(context(escalation_type="technical"), Policy(), now=NOW)
    owned = [item for item in strategy.action_items if item.kind == "own_action"]
    assert [item.text for item in owned] == [
        "Escalating the issue to our engineering team today (owner: Piotr Nowak, our engineering manager)",
        "Assigning a dedicated support engineer to work with your team (owner: Hiroshi Tanaka, our support lead)",
    ]
    assert all(item.owner_id is not None and not item.placeholder for item in owned)
    assert not [n for n in strategy.review_notes if n.code in ("owner_to_name", "not_promised")]


def test_without_a_directory_owner_the_email_holds_a_placeholder() -> None:
    ctx = context(escalation_type="billing", account_team=team(without=("billing_specialist",)))
    [item] = [i for i in pick_strategy(ctx, Policy(), now=NOW).action_items if i.kind == "own_action"]
    assert item.placeholder and item.owner == "[confirm: billing specialist who owns this]"


def test_the_csm_promises_only_what_the_policy_allows_at_the_severity() -> None:
    strategy = pick_strategy(context(escalation_type="technical", severity="low"), Policy(), now=NOW)
    texts = [item.text for item in strategy.action_items]
    assert not any("engineering" in text for text in texts) and not any("support engineer" in text for text in texts)
    notes = [n for n in strategy.review_notes if n.code == "not_promised"]
    assert len(notes) == 2 and all(n.kind == "advisory" for n in notes)
    assert any("Piotr Nowak is the engineering manager" in n.text and "low-severity" in n.text for n in notes)
    anything = Policy(email=EmailPolicy(promised_actions={"engineering_owner": ["low"], "support_engineer": ["low"]}))
    allowed = pick_strategy(context(escalation_type="technical", severity="low"), anything, now=NOW)
    assert len([i for i in allowed.action_items if i.kind == "own_action"]) == 2


def test_assignee_without_phone_and_a_workaround_note_is_never_used() -> None:
    found = NOW - timedelta(hours=1)
    events = [event("workaround_identified", found, "Tell them we will refund the month")]
    ctx = context(ticket=ticket(assignee=staff("s-mei", "Mei Lin", "support_engineer"), events=events))
    items = pick_strategy(ctx, Policy(), now=NOW).action_items
    assert [i.text for i in items][:1] == ["Dedicated support engineer assigned: Mei Lin"]
    assert not any("refund" in i.text for i in items)


@pytest.mark.parametrize(
    ("kind", "action", "hint"),
    [
        ("billing", "Having our billing team review the charges in question", "Rafael Costa"),
        ("security", "Bringing in our security team to investigate", "Sanna Virtanen"),
        ("service", "Naming an owner for the recovery, who will contact you directly", None),
    ],
)
def test_missing_owner_by_type(kind: str, action: str, hint: str | None) -> None:
    strategy = pick_strategy(context(escalation_type=kind), Policy(), now=NOW)
    owner = f" (owner: {hint}, our {'billing specialist' if kind == 'billing' else 'security officer'})" if hint else ""
    assert [i.text for i in strategy.action_items if i.kind == "own_action"] == [action + owner]


def test_save_plays_only_for_a_service_escalation_and_never_an_invented_owner() -> None:
    plays = [save_play(owner=team().csm, title="Onboarding recovery", actions=["Weekly call"]),
             save_play(id="sp-2", title="Training plan")]
    items = pick_strategy(context(escalation_type="service", save_plays=plays), Policy(), now=NOW).action_items
    assert [i.text for i in items if i.kind == "save_play"] == [
        "Onboarding recovery, owned by Ingrid Solberg: Weekly call", "Training plan"]
    technical = pick_strategy(context(escalation_type="technical", save_plays=plays), Policy(), now=NOW)
    assert not [i for i in technical.action_items if i.kind == "save_play"]


def test_sla_notes() -> None:
    late = pick_strategy(context(severity="critical", detected_at=NOW - timedelta(hours=2)), POLICY)
    assert any(note.startswith("SLA: the first response is 1 hour 30 minutes late (it was due") for note in _texts(late.review_notes))
    soon = pick_strategy(context(severity="high", detected_at=NOW - timedelta(minutes=50)), POLICY)
    assert any(note.startswith("SLA: first response due in 10 minutes (") for note in _texts(soon.review_notes))
    answered = pick_strategy(context(response_sent_at=NOW - timedelta(minutes=5)), POLICY)
    assert any(note.startswith("A response to this escalation was already sent") for note in _texts(answered.review_notes))


def test_unknown_timezone_falls_back_to_utc_with_a_note() -> None:
    strategy = pick_strategy(context(customer_fields={"timezone": "Atlantis/Capital"}), POLICY)
    assert any('"Atlantis/Capital"' in note for note in _texts(strategy.review_notes))
    assert all(m.due_text.endswith("UTC") for m in strategy.timeline if not m.relative and m.due is not None)


def test_business_clock_without_a_holiday_calendar_says_so() -> None:
    strategy = pick_strategy(context(severity="medium", customer_fields={"timezone": "Etc/GMT-5"}), POLICY)
    assert any("No public-holiday calendar for Etc/GMT-5" in note for note in _texts(strategy.review_notes))
    given = pick_strategy(
        context(severity="medium", customer_fields={"timezone": "Etc/GMT-5", "country": "NP"}), POLICY
    )
    assert not any("public-holiday" in note for note in _texts(given.review_notes))
    derived = pick_strategy(context(severity="medium", customer_fields={"timezone": "Asia/Kathmandu"}), POLICY)
    assert not any("public-holiday" in note for note in _texts(derived.review_notes))  # Nepal's, from the zone


def test_missing_directory_roles_are_review_notes() -> None:
    strategy = pick_strategy(context(account_team=team(without=("support_lead", "csm_manager"))), POLICY)
    assert any(note.startswith("No support lead in the directory") for note in _texts(strategy.review_notes))
    assert any(note.startswith("No manager for the CSM in the directory") for note in _texts(strategy.review_notes))
    no_csm = pick_strategy(context(account_team=team(without=("csm",))), POLICY)
    assert any("no CSM in the directory" in note for note in _texts(no_csm.review_notes))
