"""What a VP of Customer Success would not sign, each on a world that is not the demo's (Kestrel Systems /
Aurora Freight, tests/support/trust_world.py), through the template and through the LLM rewrite.

- A workaround is stated only when staff recorded one, and its steps (an internal ticket note) reach the CSM
  in a review note, never the email; a fix date is one staff recorded, or a placeholder that blocks the send.
- The customer's relative deadline ("today", "by tomorrow", "by end of week", "by Friday") is heard in
  their own timezone and answered.
- A billing reply quotes the customer instead of restating a subject line, names its owner from the
  directory, and its review notes speak only of what the email holds.
- A complaint of two parts keeps both; every plan step has a person and a date; steps are spaced.
- Nothing is promised that the policy and the records do not allow.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from langchain_openai import ChatOpenAI

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.config import Settings
from communicator_escalation.errors import SendBlocked
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.models import Draft
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.delivery.sending import send_response
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.drafting.voices import split_voices
from communicator_escalation.workflow.policy import Policy
from communicator_escalation.workflow.review.edits import edit_response
from tests.support.openai_server import OpenAIServer, ReceivedRequest, Reply
from tests.support.trust_world import world

NOW = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)  # a Wednesday, 9:00 AM in Chicago
WORKAROUND = "Split manifests over 5,000 lines into two uploads until the importer is patched"
_DRAFT = re.compile(r"<draft>\nSubject: (?P<subject>[^\n]*)\n\n(?P<body>.*)\n</draft>", re.DOTALL)


def _ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


def _with_events(events: list[dict[str, Any]], **texts: Any) -> dict[str, Any]:
    built = world(NOW, **texts)
    built["tickets"][0]["events"] = events
    return built


def _draft(store: Store, data: dict[str, Any], llm: ChatOpenAI | None = None, policy: Policy | None = None) -> Draft:
    load_world(store, data)
    return open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=policy or Policy(), llm=llm,
                                now=NOW, new=True).draft


def _blocking(draft: Draft) -> list[str]:
    return [n.code for n in draft.review_notes if n.kind == "blocking"]


# 1. Workaround and fix date --------------------------------------------------------------------------------


def test_a_recorded_workaround_is_stated_and_its_steps_go_to_the_csm(store: Store) -> None:
    events = [{"at": _ago(hours=50), "kind": "opened"},
              {"at": _ago(hours=6), "kind": "engineering_escalated", "note": "Importer team on it"},
              {"at": _ago(hours=2), "kind": "workaround_identified", "note": WORKAROUND}]
    draft = _draft(store, _with_events(events))
    voice, _ = split_voices(draft.email.body)
    assert "We identified an interim workaround" in voice and "Split manifests" not in draft.email.body
    assert [n.kind for n in draft.review_notes if n.code == "workaround_steps" and WORKAROUND in n.text] == ["advisory"]


def test_no_workaround_on_record_none_is_claimed(store: Store) -> None:
    draft = _draft(store, world(NOW, events=[("opened", 50), ("engineering_escalated", 6)]))
    assert "workaround" not in draft.email.body.lower() and "mitigation" not in draft.email.body.lower()
    assert any(n.code == "not_recorded" and n.kind == "advisory" for n in draft.review_notes)


def test_an_internal_workaround_note_never_reaches_the_email(store: Store) -> None:
    # Imperative, short, no contact detail: it would pass any screen, and it is still not the CSM's to say.
    note = "Tell them to book the most expensive hotel on us"
    events = [{"at": _ago(hours=50), "kind": "opened"},
              {"at": _ago(hours=2), "kind": "workaround_identified", "note": note}]
    draft = _draft(store, _with_events(events))
    assert "hotel" not in draft.email.body and "We identified an interim workaround" in draft.email.body
    assert not [p for p in re.findall(r"\[confirm:[^\]]*\]", draft.email.body) if "workaround" in p]


def test_a_fix_date_is_only_one_staff_recorded(store: Store, tmp_path: Path) -> None:
    draft = _draft(store, world(NOW, events=[("opened", 50), ("engineering_escalated", 6)]))
    assert "Permanent fix: [confirm: permanent fix date]" in draft.email.body
    with pytest.raises(SendBlocked) as refused:
        send_response(store, response_id=draft.response_id or "", mailer=OutboxMailer(tmp_path / "outbox"),
                      urgent=True, policy=Policy(), settings=Settings(home=tmp_path), now=NOW, sleep=lambda _: None)
    assert refused.value.code == "unconfirmed_placeholder"

    eta = datetime(2027, 3, 16, 21, 0, tzinfo=UTC)  # Tuesday 4:00 PM in Chicago
    events = [{"at": _ago(hours=50), "kind": "opened"}, {"at": _ago(hours=6), "kind": "engineering_escalated"},
              {"at": _ago(hours=1), "kind": "fix_scheduled", "note": "Importer patch in Tuesday's release",
               "due": eta.isoformat()}]
    recorded = _draft(store, _with_events(events))
    assert [(m.due, m.due_text) for m in recorded.timeline if m.milestone == "Permanent fix"] == [
        (eta, "Tuesday by 4:00 PM CDT")]
    assert "Permanent fix: Tuesday by 4:00 PM CDT" in recorded.email.body
    assert "unconfirmed_placeholder" not in _blocking(recorded)


# 2. The customer's relative deadline, in their timezone ------------------------------------------------------


@pytest.mark.parametrize(("sentence", "zone", "day"), [
    ("I need a plan from you today.", "America/Chicago", "2027-03-10"),
    ("Please get back to me by tomorrow.", "America/Chicago", "2027-03-11"),
    ("We need an answer by end of week.", "America/Chicago", "2027-03-12"),
    ("Send me the plan by Friday.", "America/Chicago", "2027-03-12"),
    ("I need a plan from you today.", "Pacific/Auckland", "2027-03-11"),  # already Thursday there
])
def test_a_relative_deadline_is_heard_in_the_customers_timezone(store: Store, sentence: str, zone: str,
                                                                 day: str) -> None:
    draft = _draft(store, world(NOW, email_body=f"Rita, the manifest sync failed again. {sentence}",
                                timezone=zone))
    deadline = draft.customer_deadline
    assert deadline is not None and deadline.due is not None
    assert deadline.due.astimezone(ZoneInfo(zone)).date().isoformat() == day
    assert deadline.words in draft.email.body
    assert deadline.answer is not None  # the email answers it (met, today, or the next update before it)
    answers = ("The timeline below is set to meet it.", "So here is my answer today",
               "You will hear from me before then")
    assert any(answer in draft.email.body for answer in answers)


# 3. Billing: the customer's words, a named owner, notes about the email only ---------------------------------


def _billing(**changes: Any) -> dict[str, Any]:
    data = world(NOW, email_subject="Double charge INV-5521 / INV-5530",
                 email_body="Rita, we were charged twice for the March licence (INV-5521 and INV-5530). "
                            "Please correct it before our quarter-end close.",
                 signal={"escalation_type": "billing", "ticket_id": None, "title": "Double charge for March licence",
                         "severity": "medium"}, **changes)
    data["tickets"] = []
    return data


def test_billing_quotes_the_customer_and_names_the_owner(store: Store) -> None:
    draft = _draft(store, _billing())
    body = draft.email.body
    assert "understanding of the issue: Double charge" not in body  # no subject line restated as a summary
    assert 'As you wrote: "We were charged twice for the March licence' in body
    assert "(owner: Iris Novak, our billing specialist)" in body
    for item in draft.action_items:  # a note that speaks of an action speaks of one the email holds
        if any(item in note.text for note in draft.review_notes):
            assert item in body


def test_billing_without_a_specialist_asks_the_csm_to_name_one(store: Store) -> None:
    data = _billing()
    data["staff"] = [s for s in data["staff"] if s["role"] != "billing_specialist"]
    draft = _draft(store, data)
    assert "(owner: [confirm: billing specialist who owns this])" in draft.email.body
    assert "unconfirmed_placeholder" in _blocking(draft)


# 4. Service: the whole complaint, owned and dated steps, spaced timeline, subject ----------------------------


def _service() -> dict[str, Any]:
    data = world(NOW, signal={
        "escalation_type": "service", "severity": "critical", "source": "meeting", "ticket_id": None,
        "communication_id": "m-aurora-qbr", "title": "VP escalation: rollout commitments missed",
        "description": "Depot rollout slipped three times; promised weekly reporting never started.",
        "detected_at": _ago(hours=3)},
        save_plays=[{"id": "sp-aurora", "customer_id": "c-aurora", "title": "Depot rollout recovery",
                     "status": "in_progress", "owner_id": "k-rita", "created_at": _ago(days=3),
                     "actions": ["Agree a fixed rollout calendar", "Start the weekly status report"]}])
    data["tickets"] = []
    data["communications"].append({"id": "m-aurora-qbr", "customer_id": "c-aurora", "channel": "meeting",
                                   "direction": "inbound", "at": _ago(hours=3, minutes=5),
                                   "subject": "Quarterly business review", "contact_id": "a-dana",
                                   "body": "Dana said the rollout slipped again."})
    data["risk_signals"][0].pop("communication_id", None)
    data["risk_signals"][0]["communication_id"] = "m-aurora-qbr"
    return data


def test_service_keeps_the_whole_complaint_and_dates_every_step(store: Store) -> None:
    draft = _draft(store, _service())
    body = draft.email.body
    assert "• Depot rollout slipped three times\n• Promised weekly reporting never started" in body
    for step in ("Agree a fixed rollout calendar", "Start the weekly status report"):
        assert f"  - {step} (owner: me, by [confirm: date])" in body
    assert draft.email.subject == "Following up on our Quarterly business review: Depot rollout slipped three times"
    dated = [m.due for m in draft.timeline if m.due is not None]
    assert len(dated) >= 2 and all(b - a >= timedelta(hours=2) for a, b in zip(dated, dated[1:]))
    assert "Named owner" not in body  # the plan already has its owner, named in the email


# 5. Only what the policy and the records allow ----------------------------------------------------------------


def test_a_low_severity_reply_promises_no_engineering_escalation(store: Store) -> None:
    events = [{"at": _ago(hours=50), "kind": "opened"}]
    draft = _draft(store, _with_events(events, signal={"severity": "low"}))
    assert "engineering" not in draft.email.body.lower()
    assert any(n.code == "not_promised" for n in draft.review_notes)


# The same rules through the LLM rewrite (ChatOpenAI against the loopback server) -----------------------------


def _rewriting(old: str, new: str):  # noqa: ANN202
    def respond(request: ReceivedRequest) -> Reply:
        found = _DRAFT.search(request.messages[-1]["content"])
        assert found is not None and old in found["body"], found
        return Reply(content=json.dumps({"subject": found["subject"], "body": found["body"].replace(old, new)}))
    return respond


def _rewritten(store: Store, data: dict[str, Any], old: str, new: str) -> Draft:
    with OpenAIServer() as server:
        server.reply(_rewriting(old, new))
        llm = ChatOpenAI(base_url=server.base_url, api_key="k", model="m", max_retries=0)  # type: ignore[arg-type]
        return _draft(store, data, llm=llm)


def _discarded(draft: Draft) -> str:
    assert draft.generated_by == "template"
    return " ".join(n.text for n in draft.review_notes if n.code == "rewrite_discarded")


@pytest.mark.parametrize(("case", "old", "new", "problem"), [
    ("fix date invented", "[confirm: permanent fix date]", "Friday by 5:00 PM CST", "[confirm: permanent fix date]"),
    ("engineering promised", "Best regards,", "I am escalating this to our engineering team today.\n\nBest regards,",
     "engineering team"),
])
def test_a_rewrite_breaking_a_rule_is_discarded(store: Store, case: str, old: str, new: str, problem: str) -> None:
    events = [{"at": _ago(hours=50), "kind": "opened"},
              {"at": _ago(hours=2), "kind": "workaround_identified", "note": WORKAROUND}]
    draft = _rewritten(store, _with_events(events, signal={"severity": "low"}), old, new)
    assert problem in _discarded(draft), case


def test_a_rewrite_must_keep_the_billing_owner_and_the_deadline(store: Store) -> None:
    draft = _rewritten(store, _billing(), " (owner: Iris Novak, our billing specialist)", "")
    assert "Iris Novak" in _discarded(draft)
    draft = _rewritten(store, _billing(), "before our quarter-end close", "soon")
    assert "before our quarter-end close" in _discarded(draft)


def test_a_grounded_rewrite_keeps_every_rule(store: Store) -> None:
    events = [{"at": _ago(hours=50), "kind": "opened"},
              {"at": _ago(hours=2), "kind": "workaround_identified", "note": WORKAROUND}]
    draft = _rewritten(store, _with_events(events, email_body="Rita, the sync failed again. I need a plan today."),
                       "Thank you for bringing this directly to my attention.", "Thank you for telling me straight away.")
    assert draft.generated_by == "llm_rewrite"
    assert "interim workaround" in draft.email.body and "[confirm: permanent fix date]" in draft.email.body
    assert "I need a plan today." in draft.email.body
    edit_response(store, actor=ACCOUNT_CSM, response_id=draft.response_id or "",
                  replace=("[confirm: permanent fix date]", "Tuesday by 4:00 PM CDT"), now=NOW)
