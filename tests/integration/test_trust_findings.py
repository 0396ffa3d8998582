"""The eleven findings of issue 10, each reproduced on real PostgreSQL (and, for Gmail, the loopback server).

Every test drafts (and where it matters sends) the way a CSM does and checks the email that would
reach the customer, not an internal representation of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from langchain_openai import ChatOpenAI

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.config import Settings
from communicator_escalation.errors import SendBlocked
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.delivery.sending import send_response
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.drafting.responses import load_draft
from communicator_escalation.workflow.drafting.voices import split_voices
from communicator_escalation.workflow.policy import Policy
from communicator_escalation.workflow.review.edits import change_recipient, edit_response
from tests.support.gmail_accounts import write_service_account
from tests.support.gmail_server import FakeGmail, running_fake_gmail
from tests.support.openai_server import OpenAIServer, ReceivedRequest, Reply
from tests.support.trust_world import world

NOW = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)  # a Wednesday, 9:00 AM in Chicago
_DRAFT = re.compile(r"<draft>\nSubject: (?P<subject>[^\n]*)\n\n(?P<body>.*)\n</draft>", re.DOTALL)
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2}) (AM|PM)\b")


def _load(store: Store, now: datetime = NOW, **texts: object) -> Store:
    load_world(store, world(now, **texts))  # type: ignore[arg-type]
    return store


def _outbox_bodies(home: Path) -> list[str]:
    found = []
    for path in sorted((home / "outbox").glob("*.eml")):
        message = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
        found.append(str(message.get_body(preferencelist=("plain",)).get_content()))  # type: ignore[union-attr]
    return found


def _send(store: Store, response_id: str, home: Path, now: datetime = NOW):  # noqa: ANN202
    return send_response(store, response_id=response_id, mailer=OutboxMailer(home / "outbox"), urgent=True,
                         policy=Policy(), settings=Settings(home=home), now=now + timedelta(minutes=5),
                         sleep=lambda _: None)


def test_1_record_free_text_never_speaks_in_the_csms_voice(store: Store, tmp_path: Path) -> None:
    _load(store, ticket_subject="API failures. We will refund 100% of your annual fee and credit $50,000",
          event_note="Customer is furious; offer 3 months free if they threaten to churn")
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    csm_voice, _ = split_voices(draft.email.body)
    assert "refund" not in csm_voice.lower() and "$50,000" not in draft.email.body
    assert "free" not in draft.email.body.lower() and "furious" not in draft.email.body
    assert any(n.code == "issue_summary_withheld" and n.kind == "advisory" for n in draft.review_notes)
    assert _send(store, draft.response_id or "", tmp_path).outcome == "sent"
    [sent] = _outbox_bodies(tmp_path)
    assert "refund" not in split_voices(sent)[0].lower()


def _rewrite_planting(old: str, new: str):  # noqa: ANN202
    def respond(request: ReceivedRequest) -> Reply:
        found = _DRAFT.search(request.messages[-1]["content"])
        assert found is not None and old in found["body"]
        return Reply(content=json.dumps({"subject": found["subject"], "body": found["body"].replace(old, new)}))
    return respond


def test_2_a_rewrite_may_not_use_facts_only_the_customer_wrote(store: Store) -> None:
    _load(store, email_body="Rita, call me on +1 900 555 0666 or at dana.private@mailbox.example; we will wire "
                            "the outstanding $25,000 once this works.")
    with OpenAIServer() as server:
        server.reply(_rewrite_planting("Best regards,", "Call +1 900 555 0666 or write to dana.private@mailbox.example"
                                       " and we will settle the outstanding $25,000.\n\nBest regards,"))
        llm = ChatOpenAI(base_url=server.base_url, api_key="k", model="m", max_retries=0)  # type: ignore[arg-type]
        draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), llm=llm, now=NOW, new=True).draft
    assert draft.generated_by == "template"
    assert "+1 900 555 0666" not in split_voices(draft.email.body)[0]
    problems = " ".join(n.text for n in draft.review_notes if n.code == "rewrite_discarded")
    assert "19005550666" in problems and "dana.private@mailbox.example" in problems and "$25,000" in problems


def test_3_an_unfilled_placeholder_is_never_sent(store: Store, tmp_path: Path) -> None:
    _load(store)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    response_id = draft.response_id or ""
    edit_response(store, actor=ACCOUNT_CSM, response_id=response_id,
                  body=draft.email.body.replace("Best regards,", "Billing owner: [confirm: billing owner]\n\nBest regards,"))
    with pytest.raises(SendBlocked) as refused:
        _send(store, response_id, tmp_path)
    assert refused.value.code == "unconfirmed_placeholder"
    assert not _outbox_bodies(tmp_path)
    with store.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM approval_requests").fetchone()["n"] == 0


def test_4_a_new_recipient_gets_their_own_greeting_and_attribution(store: Store, tmp_path: Path) -> None:
    _load(store)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    assert draft.email.body.startswith("Dear Dana,")
    view = change_recipient(store, actor=ACCOUNT_CSM, response_id=draft.response_id or "", contact="Sam Ortiz",
                            now=NOW)
    assert view.body.startswith(("Dear Sam,", "Hi Sam,")) and "Dana," not in view.body.splitlines()[0]
    assert "As you wrote" not in view.body  # Dana's words are no longer quoted back as Sam's
    assert _send(store, draft.response_id or "", tmp_path).outcome == "sent"


def test_4b_a_hand_edited_body_keeps_its_text_but_not_the_old_greeting(store: Store) -> None:
    _load(store)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    edited = draft.email.body.replace("Thank you", "Thanks a lot, truly,")
    edit_response(store, actor=ACCOUNT_CSM, response_id=draft.response_id or "", body=edited)
    view = change_recipient(store, actor=ACCOUNT_CSM, response_id=draft.response_id or "", contact="Sam Ortiz")
    assert view.body.splitlines()[0] in ("Dear Sam,", "Hi Sam,")
    assert "Thanks a lot, truly," in view.body
    stored = load_draft(store, actor=ACCOUNT_CSM, response_id=draft.response_id or "", policy=Policy().email)
    assert any(n.code == "recipient_changed_after_edit" for n in stored.review_notes)


def test_5_one_escalation_per_draft(store: Store) -> None:
    other = {"id": "rs-older", "customer_id": "c-aurora", "signal_type": "executive_complaint", "severity": "critical",
             "source": "meeting", "escalation_type": "service", "title": "COO escalation: onboarding slipped",
             "detected_at": (NOW - timedelta(days=2)).isoformat(), "status": "open",
             "reported_by_contact_id": "a-sam"}
    plays = [{"id": "sp-1", "customer_id": "c-aurora", "title": "Onboarding recovery", "status": "in_progress",
              "owner_id": "k-rita", "created_at": (NOW - timedelta(days=3)).isoformat(),
              "actions": ["Assign named onboarding manager"]}]
    _load(store, extra_signals=[other], save_plays=plays)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    assert "onboarding" not in draft.email.body.lower()
    assert "not the first time" not in draft.email.body
    assert [o.risk_signal_id for o in draft.other_open_escalations] == ["rs-older"]


def test_6_no_night_time_promises(store: Store) -> None:
    late = datetime(2027, 3, 11, 4, 40, tzinfo=UTC)  # 10:40 PM in Chicago
    _load(store, late)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=late, new=True).draft
    chicago = ZoneInfo("America/Chicago")
    for milestone in draft.timeline:
        if milestone.due is not None:
            local = milestone.due.astimezone(chicago)
            assert 9 <= local.hour < 18 or (local.hour, local.minute) == (18, 0), milestone
    for hour, minute, half in _CLOCK.findall(draft.email.body):
        clock = int(hour) % 12 + (12 if half == "PM" else 0)
        assert 7 <= clock < 21, f"{hour}:{minute} {half} in the body"


def test_7_status_words_follow_the_ticket_events(store: Store) -> None:
    _load(store, events=[("opened", 50), ("workaround_identified", 5)])
    body = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft.email.body
    assert "in place" not in body and "workaround identified" in body.lower()
    _load(store, events=[("opened", 50), ("workaround_identified", 5), ("fix_deployed", 2)])
    body = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft.email.body
    assert "Interim mitigation" not in body and "Interim workaround" not in body


def test_8_the_customers_deadline_is_heard(store: Store) -> None:
    _load(store, email_body="Rita, the manifest sync failed again. We need this fixed before our board meeting "
                            "on Thursday.")
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    assert "before our board meeting on Thursday" in draft.email.body
    assert draft.customer_deadline is not None and draft.customer_deadline.due is not None


def test_9_subjects(store: Store) -> None:
    _load(store, email_subject="AW: Re: Manifest sync still failing")
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    assert draft.email.subject == "RE: Manifest sync still failing"
    _load(store, signal={"communication_id": None, "title": "Dashboard exports time out for large date ranges"},
          ticket_subject="Dashboard exports time out for large date ranges and quarterly custom reports")
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    words = draft.email.subject.split()
    assert words[-1].lower() not in {"for", "large", "and", "of", "the", "-", "a", "to"}
    assert len(draft.email.subject) <= 200


def test_10_each_fact_at_most_twice(store: Store) -> None:
    _load(store, signal={"escalation_type": "billing", "title": "Duplicate invoice INV-9001"},
          email_subject="Duplicate invoice INV-9001 / INV-9002",
          email_body="We were invoiced twice (INV-9001 and INV-9002). Please fix this before month-end.")
    body = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft.email.body
    for fact in ("INV-9001", "INV-9002", "AF-3107"):
        assert body.count(fact) <= 2, (fact, body)


@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    yield from running_fake_gmail()


def test_11_gmail_thread_unknown_to_the_sender_still_sends(store: Store, tmp_path: Path, gmail: FakeGmail) -> None:
    _load(store)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="rs-aurora", policy=Policy(), now=NOW, new=True).draft
    settings = Settings(home=tmp_path, mail_transport="gmail", gmail_sender="rita.alves@kestrel.example",
                        gmail_api_endpoint=gmail.url,
                        gmail_service_account_file=write_service_account(
                            tmp_path / "sa.json", token_uri=gmail.token_uri, client_email="sa@kestrel.example"))
    from communicator_escalation.mail.factory import make_mailer

    outcome = send_response(store, response_id=draft.response_id or "", mailer=make_mailer(settings), urgent=True,
                            policy=Policy(), settings=settings, now=NOW + timedelta(minutes=5), sleep=lambda _: None)
    assert outcome.outcome == "sent" and outcome.new_thread
    [sent] = gmail.sent
    assert sent.parsed["In-Reply-To"] == "<aurora-1@aurorafreight.example>"
    with store.connection() as conn:
        audit = conn.execute("SELECT detail FROM audit_log WHERE entity_id = %s AND action = 'sent'",
                             (draft.response_id,)).fetchone()
    assert audit["detail"]["new_thread"] is True
