"""The email templates: every type at every severity, and the type rules, on hand-built worlds."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from communicator_escalation.models import CcSuggestion, Communication, Contact, PriorEscalation, SavePlay
from communicator_escalation.workflow.drafting.voices import split_voices
from communicator_escalation.workflow.drafting.compose import compose_email, draft_email, first_name
from communicator_escalation.workflow.policy import Policy
from communicator_escalation.workflow.strategy.pick import pick_strategy
from tests.unit.draft_builders import (
    CSM,
    CSM_NO_PHONE,
    NOW,
    REPORTER,
    REQUESTER,
    SECURITY,
    SEVERITIES,
    SPONSOR,
    TYPES,
    make_context,
    make_strategy,
)

_ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
_PROMISE = re.compile(r"\b(refund\w*|credit(?:s|ed)?|reimburs\w*|compensat\w*|discount\w*|waiv\w*)\b", re.IGNORECASE)
_NO_DATA_CLAIM = re.compile(r"no (?:customer |personal )?data (?:was|has been|were) (?:affected|accessed|exposed)"
                            r"|data (?:was|is|has) (?:not|never) (?:been )?(?:affected|accessed|exposed)"
                            r"|data (?:is|remains) (?:safe|secure)", re.IGNORECASE)


def _draft(escalation_type: str, severity: str = "high", **context: object):
    ctx = make_context(escalation_type, severity=severity, **context)  # type: ignore[arg-type]
    strategy = pick_strategy(ctx, Policy(), now=NOW)
    return ctx, strategy, draft_email(ctx, strategy, [])


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("escalation_type", TYPES)
def test_every_template_renders_at_every_severity(escalation_type: str, severity: str) -> None:
    ctx, strategy, draft = _draft(escalation_type, severity)
    body = draft.email.body

    assert re.match(r"^(Dear|Hi) Zoë,\n\n", body)
    assert "[CSM Name]" not in body and "xxx-xxx-xxxx" not in body.lower() and "None" not in body
    assert "{{" not in body and "{%" not in body and "\n\n\n" not in body
    assert all(line == line.rstrip() for line in body.splitlines())
    assert "I sincerely apologize" in body or "I am sorry" in body
    for milestone in strategy.timeline:
        assert f"{milestone.milestone}: {milestone.due_text}" in body
    assert strategy.next_update.due_text in body
    assert "until this is resolved" in body
    assert body.endswith(f"Best regards,\nAna Lima\nCustomer Success Manager, Helix Analytics\n{CSM.phone}\n{CSM.email}")
    assert f"call me directly on {CSM.phone}" in body
    assert (f"{SPONSOR.name}, {SPONSOR.title} and your executive sponsor" in body) == (severity == "critical")
    assert draft.email.to == [REPORTER.email] and draft.email.cc == []
    assert draft.strategy.template == escalation_type


@pytest.mark.parametrize("escalation_type", TYPES)
def test_no_email_to_reply_to_gives_a_descriptive_subject(escalation_type: str) -> None:
    ctx = make_context(escalation_type, with_email=False)
    executive = compose_email(ctx, make_strategy(ctx, tone="executive"))
    warm = compose_email(ctx, make_strategy(ctx, tone="warm"))
    assert executive.subject == warm.subject == f"{ctx.ticket.subject} (ticket {ctx.ticket.id})"
    assert warm.body.startswith("Hi Zoë,")
    no_ticket = make_context(escalation_type, with_email=False, with_ticket=False)
    assert compose_email(no_ticket, make_strategy(no_ticket)).subject.startswith("Fjord Logistik: ")


def test_a_new_thread_after_a_meeting_follows_up_on_it() -> None:
    ctx = make_context("service", with_email=False, with_ticket=False)
    meeting = Communication(id="m-2", channel="meeting", direction="inbound", at=NOW - timedelta(hours=5),
                            subject="Quarterly steering call", contact_id=REPORTER.id)
    ctx = ctx.model_copy(update={"recent_communications": [meeting],
                                 "escalation": ctx.escalation.model_copy(update={"communication_id": "m-2"})})
    subject = compose_email(ctx, make_strategy(ctx)).subject
    assert subject == "Following up on our Quarterly steering call: Two onboarding workshops were cancelled without notice"


@pytest.mark.parametrize("original", ["Re: RE: Shipment webhooks failing", "RE: Shipment webhooks failing",
                                      "AW: Re: Shipment webhooks failing", "Shipment webhooks failing"])
def test_reply_subject_never_doubles_the_prefix(original: str) -> None:
    ctx = make_context("technical", email_subject=original)
    draft = draft_email(ctx, make_strategy(ctx), [])
    assert draft.email.subject == "RE: Shipment webhooks failing"
    assert draft.email.in_reply_to == "<z.1@fjordlogistik.example>" and draft.email.thread_id == "thr-77"


def _voice(body: str) -> str:
    return split_voices(body)[0]


@pytest.mark.parametrize(("name", "expected"), [
    ("Zoë Ångström", "Zoë"), ("Dr. Émilie Dubois", "Émilie"), ("Łukasz Żółć", "Łukasz"), ("Nguyễn Thị Minh", "Nguyễn"),
    ("Ms Siobhán O'Neill", "Siobhán"), ("Ingrid", "Ingrid"),
])
def test_first_name_keeps_the_unicode_spelling(name: str, expected: str) -> None:
    assert first_name(name) == expected
    reporter = REPORTER.model_copy(update={"name": name})
    ctx = make_context("technical", reporter=reporter)
    assert draft_email(ctx, make_strategy(ctx), []).email.body.startswith(f"Dear {expected},\n")


def test_missing_csm_phone_is_never_a_fake_number() -> None:
    ctx = make_context("technical", csm=CSM_NO_PHONE)
    draft = draft_email(ctx, make_strategy(ctx), [])
    assert "reply to this email and I will call you" in draft.email.body
    assert "xxx" not in draft.email.body.lower() and "[confirm" not in draft.email.body


def test_billing_names_invoices_and_amounts_and_promises_no_refund() -> None:
    ctx, _, draft = _draft("billing", "medium")
    body = draft.email.body
    assert "FL-7781" in body and body.count("FL-7781") <= 2
    assert "EUR 12,500" not in _voice(body)  # an amount only the customer wrote is quoted, never ours
    assert "correcting any billing error" in body and "in writing" in body
    assert not _PROMISE.search(body)


def test_billing_quotes_a_refund_request_but_never_promises_one() -> None:
    ctx = make_context("billing")
    ctx.reply_to.body = "We were charged twice on invoice FL-7781 (EUR 8,000). We expect a full refund and a credit."
    draft = draft_email(ctx, make_strategy(ctx), [])
    assert not _PROMISE.search(_voice(draft.email.body))
    assert "FL-7781" in draft.email.body


def test_billing_without_invoice_numbers_reviews_the_charges() -> None:
    ctx = make_context("billing")
    ctx.ticket.subject, ctx.ticket.description = "Unexpected charges", "Our bill went up."
    ctx.escalation.title, ctx.escalation.description = "Billing complaint", None
    ctx.reply_to.body, ctx.reply_to.subject = "Why did our bill go up?", "Billing"
    draft = draft_email(ctx, make_strategy(ctx), [])
    assert "Reviewing the charges on your account" in draft.email.body
    assert "[confirm" not in draft.email.body


def test_security_states_the_unknowns_and_names_the_security_contact() -> None:
    _, _, draft = _draft("security", "critical")
    body = draft.email.body
    assert "What we know so far:" in body
    assert "including whether any of your data was affected" in body
    assert not _NO_DATA_CLAIM.search(body)
    assert f"Your security contact: {SECURITY.name}, Security Officer, {SECURITY.email}, {SECURITY.phone}" in body


def test_security_without_a_security_officer_names_nobody() -> None:
    _, _, draft = _draft("security", "high", security=None)
    assert "Your security contact" not in draft.email.body and "[confirm" not in draft.email.body


def test_outage_reads_like_an_incident_update() -> None:
    _, strategy, draft = _draft("outage", "critical")
    body = draft.email.body
    assert "Incident update:" in body
    assert "• Impact: Tracking portal unavailable (ticket FL-T-3310)" in body
    assert re.search(r"• Impact window: started .+, ongoing", body)
    assert "• Current status: engineering is investigating the root cause" in body
    assert strategy.next_update.due_text in body


def test_service_owns_the_miss_and_names_the_owner_and_recovery_plan() -> None:
    play = SavePlay(id="sp-1", title="Workshop recovery plan", status="in_progress", owner=CSM,
                    created_at=NOW - timedelta(days=2), actions=["Reschedule both workshops", "Weekly check-in"])
    _, _, draft = _draft("service", "critical", save_plays=[play])
    body = draft.email.body
    assert "We did not deliver what we committed to. That is our failure" in body
    assert "• Recovery plan: Workshop recovery plan, owned by Ana Lima (me)" in body
    # Every step has a person and a date: the plan's owner, and a date the CSM confirms.
    assert ("  - Reschedule both workshops (owner: me, by [confirm: date])\n"
            "  - Weekly check-in (owner: me, by [confirm: date])") in body
    assert [n.code for n in draft.review_notes if n.kind == "blocking"] == ["unconfirmed_placeholder"]


def test_service_without_a_plan_says_what_the_csm_does() -> None:
    _, _, draft = _draft("service", "high")
    assert "• Naming an owner for the recovery, who will contact you directly" in draft.email.body


def test_repeat_escalation_is_admitted_plainly() -> None:
    prior = PriorEscalation(id="sig-1", signal_type="ticket_escalated", severity="high", title="Label printing outage",
                            detected_at=NOW - timedelta(days=41), status="resolved", reported_by_contact_id=REPORTER.id)
    ctx = make_context("technical", prior=[prior])
    draft = draft_email(ctx, make_strategy(ctx, repeat=True), [])
    assert ("I also know this is not the first time you have had to escalate an issue to us "
            "(Label printing outage, in January).") in draft.email.body
    someone_else = prior.model_copy(update={"reported_by_contact_id": REQUESTER.id})
    ctx = make_context("technical", prior=[someone_else])
    assert "not the first time" not in draft_email(ctx, make_strategy(ctx, repeat=True), []).email.body


@pytest.mark.parametrize(("hours", "words"), [(5, "over the past five hours"), (74, "over the past three days"),
                                              (30 * 24, "over the past four weeks"), (1.2, "over the past hour")])
def test_duration_is_said_in_words(hours: float, words: str) -> None:
    ctx = make_context("technical", hours_open=hours)
    assert words in draft_email(ctx, make_strategy(ctx), []).email.body


def test_recipient_falls_back_to_the_ticket_requester_then_to_nobody() -> None:
    ctx = make_context("technical", reporter=None)
    draft = draft_email(ctx, make_strategy(ctx), [])
    assert draft.email.to == [REQUESTER.email]
    assert draft.email.body.startswith("Dear Per,")
    assert any("who opened the ticket" in note.text for note in draft.review_notes)

    ctx = make_context("technical", reporter=None, requester=None)
    draft = draft_email(ctx, make_strategy(ctx), [])
    assert draft.email.to == []
    assert draft.email.body.startswith("Hello Fjord Logistik team,")
    assert any(note.text.startswith("No reporter or ticket requester is known") for note in draft.review_notes)


def test_cc_starts_empty_and_suggestions_are_listed_with_reasons() -> None:
    ctx = make_context("technical")
    cc = CcSuggestion(staff_id="s-ravi", name=SPONSOR.name, email=SPONSOR.email, role="executive",
                      label="Executive Sponsor", reason="Critical escalation: executive sponsor visibility")
    draft = draft_email(ctx, make_strategy(ctx), [cc])
    assert draft.email.cc == []
    assert draft.to_json()["suggested_ccs"] == [{
        "name": SPONSOR.name, "email": SPONSOR.email, "role": "executive",
        "reason": "Critical escalation: executive sponsor visibility", "staff_id": "s-ravi", "label": "Executive Sponsor",
    }]


def test_review_notes_give_the_sla_state_other_escalations_and_unused_guidance() -> None:
    ctx = make_context("technical", others=[{}])
    on_time = draft_email(ctx, make_strategy(ctx, minutes_left=37), [], instructions="Mention the QBR")
    texts = [n.text for n in on_time.review_notes]
    assert "SLA: first response due in 37 minutes." in texts
    assert "Also open, not answered by this draft: sig-8 (low, technical) Label printer driver" in texts
    assert any(n.startswith("Your guidance was not applied because no LLM is configured") and "Mention the QBR" in n
               for n in texts)
    assert "Mention the QBR" not in on_time.email.body

    late = draft_email(ctx, make_strategy(ctx, minutes_left=-270), [])
    assert [n.text for n in late.review_notes if n.code == "sla"][0].startswith("SLA: the first response is 4 hours 30 minutes late")
    assert late.strategy.sla.urgency == "breached"
    assert "I am also sorry it has taken us this long to respond to you." in late.email.body


def test_draft_json_has_the_documented_shape_with_offset_times() -> None:
    ctx = make_context("technical")
    data = draft_email(ctx, make_strategy(ctx), []).to_json()
    assert set(data) >= {"response_id", "customer", "escalation", "strategy", "email", "suggested_ccs",
                         "action_items", "timeline", "other_open_escalations", "review_notes"}
    assert set(data["customer"]) == {"id", "name"}
    assert set(data["escalation"]) == {"risk_signal_id", "signal_type", "escalation_type", "severity", "source", "title",
                                       "reported_by", "detected_at", "unresolved_for_hours"}
    assert set(data["escalation"]["reported_by"]) == {"name", "title", "email"}
    assert set(data["strategy"]) == {"template", "tone", "reasons", "sla"}
    assert set(data["strategy"]["sla"]) == {"first_response_due", "update_every_hours", "resolution_due", "urgency",
                                            "minutes_to_first_response_due"}
    assert set(data["email"]) == {"to", "cc", "subject", "body", "in_reply_to", "thread_id"}
    assert all({"milestone", "due"} <= set(step) for step in data["timeline"])
    times = [data["escalation"]["detected_at"], data["strategy"]["sla"]["first_response_due"],
             data["strategy"]["sla"]["resolution_due"], *(s["due"] for s in data["timeline"] if s["due"])]
    assert all(_ISO_WITH_OFFSET.match(t) for t in times)
    assert data["response_id"] is None and isinstance(data["action_items"][0], str)


def test_contact_with_unicode_name_is_greeted_by_the_requester_fallback() -> None:
    requester = Contact(id="k-2", customer_id="c-fjord", name="Åsa Ødegård", email="asa@fjordlogistik.example")
    ctx = make_context("outage", reporter=None, requester=requester)
    assert draft_email(ctx, make_strategy(ctx), []).email.body.startswith("Dear Åsa,")
