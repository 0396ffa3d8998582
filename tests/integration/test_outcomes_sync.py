"""Outcomes from the wire: the customer's Gmail reply read back with threads.get (real client, loopback
Gmail), its tone by the lexicon or by ChatOpenAI (loopback OpenAI server), and the sync round."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from langchain_openai import ChatOpenAI

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.config import Settings
from communicator_escalation.insights.tone import LexiconTone, LlmTone
from communicator_escalation.mail.factory import make_mailer
from communicator_escalation.store import Store
from communicator_escalation.workflow.delivery.sending import send_response
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.followthrough.rounds import follow_up
from communicator_escalation.workflow.policy import Policy
from tests.support.followthrough_world import NOW, load
from tests.support.gmail_accounts import write_service_account
from tests.support.gmail_server import FakeGmail, running_fake_gmail
from tests.support.openai_server import OpenAIServer


@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    yield from running_fake_gmail()


def _gmail_settings(home: Path, gmail: FakeGmail) -> Settings:
    account = write_service_account(home / "sa.json", token_uri=gmail.token_uri,
                                    client_email="csm@lumen-test.iam.gserviceaccount.com")
    return Settings(home=home, mail_transport="gmail", gmail_sender="ines@lumen.example", gmail_api_endpoint=gmail.url,
                    gmail_service_account_file=account, gmail_timeout_seconds=2.0, send_backoff_seconds=0.001,
                    send_backoff_cap_seconds=0.01)


def _reply(to_message_id: str, subject: str, text: str, sender: str = "Jonas Weber <jonas.weber@spreewerk.de>") -> bytes:
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = sender, "ines@lumen.example", subject
    reply["Message-ID"], reply["In-Reply-To"] = f"<reply-{len(text)}@spreewerk.de>", to_message_id
    reply["Date"] = "Fri, 12 Mar 2027 17:45:00 +0000"
    reply.set_content(text)
    return reply.as_bytes()


def test_a_gmail_reply_on_the_thread_becomes_the_recorded_first_reply(
    store: Store, tmp_path: Path, gmail: FakeGmail
) -> None:
    load(store)
    settings = _gmail_settings(tmp_path, gmail)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="sig-spree-up", policy=Policy(), now=NOW, new=True).draft
    # the escalation thread exists in the mailbox: the customer's email the response replies on
    original = EmailMessage()
    original["From"], original["Subject"] = "jonas.weber@spreewerk.de", "Scanner uploads down"
    original["Message-ID"] = "<jonas.77@spreewerk.de>"
    original.set_content("Two days without uploads.")
    thread = gmail.add_message(original.as_bytes()).thread_id
    with store.connection() as conn:
        conn.execute("UPDATE escalation_responses SET thread_id = %s WHERE id = %s", (thread, draft.response_id))
    sent = send_response(store, response_id=draft.response_id, mailer=make_mailer(settings), urgent=True,
                         settings=settings, now=NOW)
    assert sent.outcome == "sent"
    gmail.add_message(_reply(sent.message_id, f"Re: {draft.email.subject}",
                             "Thanks Inês, uploads work again and the depots are catching up. Great job."),
                      thread_id=thread)
    gmail.add_message(_reply(sent.message_id, "Re: other", "Internal note", sender="raj@lumen.example"),
                      thread_id=thread)  # our own colleague: not a customer reply

    report = follow_up(store, settings=settings, policy=Policy(), now=NOW + timedelta(hours=3), tone=LexiconTone())

    assert report.replies == 1 and not report.errors
    assert [c.endpoint for c in gmail.requests if c.endpoint.startswith("threads")] == ["threads.get"]
    with store.connection() as conn:
        reply = conn.execute("SELECT * FROM communications WHERE id LIKE 'gmail-%'").fetchone()
        outcome = conn.execute("SELECT * FROM response_outcomes WHERE response_id = %s", (draft.response_id,)).fetchone()
    assert (reply["contact_id"], reply["direction"], reply["thread_id"]) == ("s-jonas", "inbound", thread)
    assert reply["metadata"]["in_reply_to"] == sent.message_id
    assert outcome["first_reply_id"] == reply["id"] and outcome["reply_tone"] == "positive"
    assert outcome["tone_method"] == "lexicon" and outcome["de_escalated"] is None  # the window is still open
    again = follow_up(store, settings=settings, policy=Policy(), now=NOW + timedelta(hours=4), tone=LexiconTone())
    assert again.replies == 0  # stored once


def test_reply_tone_by_the_llm_and_the_lexicon_when_it_fails() -> None:
    with OpenAIServer() as server:
        llm = ChatOpenAI(base_url=server.base_url, api_key="test-key", model="test-model", max_retries=0)
        server.reply_json({"tone": "negative"})
        server.reply_error(500)
        tone = LlmTone(llm)
        assert tone("We are reviewing our options with other vendors.") == "negative"
        [request] = server.requests
        assert "<reply>" in request.messages[-1]["content"]  # the customer's text is a delimited data block
        assert tone("Thank you so much, this is wonderful.") == "positive"  # HTTP 500: the lexicon answers
    assert LexiconTone()("This is unacceptable and still broken.") == "negative"
    assert LexiconTone()("Received.") == "neutral"
