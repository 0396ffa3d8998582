"""The internal brief as a Google Doc: the real google-api-python-client (Drive v3 + Docs v1) with the
Gmail service-account credentials, against a loopback server speaking those APIs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.config import Settings
from communicator_escalation.errors import ConfigurationError, MailError
from communicator_escalation.mail.docs import DOCS_SCOPES, GoogleDocsBriefs
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.workflow.delivery.sending import send_response
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.followthrough.brief import publish_briefs
from communicator_escalation.workflow.policy import Policy
from communicator_escalation.workflow.review.edits import add_cc
from tests.support.followthrough_world import NOW, load
from tests.support.gmail_accounts import write_service_account
from tests.support.gmail_server import Reply
from tests.support.google_docs_server import FakeGoogleWorkspace, running_fake_workspace

SENDER = "ines@lumen.example"


@pytest.fixture
def google() -> Iterator[FakeGoogleWorkspace]:
    yield from running_fake_workspace()


def _settings(home: Path, google: FakeGoogleWorkspace, **extra: object) -> Settings:
    account = write_service_account(home / "sa.json", token_uri=google.token_uri,
                                    client_email="briefs@lumen-test.iam.gserviceaccount.com")
    return Settings(home=home, brief_docs="google", docs_api_endpoint=google.url, docs_folder_id="fld-escalations",
                    gmail_service_account_file=account, gmail_sender=SENDER, gmail_timeout_seconds=2.0,
                    send_backoff_seconds=0.001, send_backoff_cap_seconds=0.01, **extra)


def _sent_with_cc(store: Store, home: Path, settings: Settings) -> str:
    """Draft Spreewerk's upload escalation, CC the support lead, send it (briefs per `settings`)."""
    load(store)
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id="sig-spree-up", policy=Policy(), now=NOW, new=True).draft
    add_cc(store, actor=ACCOUNT_CSM, response_id=draft.response_id, who="support lead", now=NOW)
    outcome = send_response(store, response_id=draft.response_id, mailer=OutboxMailer(home / "outbox"), urgent=True,
                            settings=settings, now=NOW)
    assert outcome.outcome == "sent"
    return str(draft.response_id)


def _brief(store: Store, response_id: str) -> dict:
    with store.connection() as conn:
        return conn.execute("SELECT * FROM escalation_briefs WHERE response_id = %s", (response_id,)).fetchone()


def test_brief_becomes_a_shared_google_doc_in_the_folder(store: Store, tmp_path: Path, google: FakeGoogleWorkspace) -> None:
    response_id = _sent_with_cc(store, tmp_path, _settings(tmp_path, google))

    [doc] = google.docs.values()
    brief = _brief(store, response_id)
    assert brief["status"] == "written" and brief["doc_id"] == doc.id and doc.id in brief["doc_url"]
    assert doc.mime_type == "application/vnd.google-apps.document" and doc.parents == ["fld-escalations"]
    assert doc.name == brief["title"] and "Spreewerk" in doc.name
    assert "our depots are shipping blind" in doc.text.lower() and "# " not in doc.text  # headings became styles
    assert {s["paragraphStyle"]["namedStyleType"] for s in doc.styles} == {"HEADING_1", "HEADING_2"}
    assert [(p["emailAddress"], p["role"], p["sendNotificationEmail"]) for p in doc.permissions] == [
        ("raj@lumen.example", "reader", "false")]
    [token] = google.token_requests
    assert token["claims"]["sub"] == SENDER and set(token["claims"]["scope"].split()) == set(DOCS_SCOPES)
    assert Path(brief["path"]).read_text(encoding="utf-8").startswith("# " + brief["title"])  # Markdown copy kept


def test_5xx_and_429_are_retried_with_backoff_honouring_retry_after(tmp_path: Path, google: FakeGoogleWorkspace) -> None:
    google.script("drive.files.create", [503, Reply(429, retry_after="0.02")])
    google.script("docs.documents.batchUpdate", [500])
    waits: list[float] = []
    docs = GoogleDocsBriefs.from_settings(_settings(tmp_path, google), sleep=waits.append)

    doc_id, url = docs.publish(title="Brief", markdown="# Brief\nText", share_with=[])

    assert list(google.docs) == [doc_id] and google.docs[doc_id].text == "Brief\nText\n"
    assert len(google.calls("drive.files.create")) == 3 and len(google.calls("docs.documents.batchUpdate")) == 2
    assert len(waits) == 3 and waits[1] >= 0.02  # the second wait is at least the Retry-After


def test_a_doc_that_keeps_failing_leaves_the_brief_failed_then_a_later_run_writes_it(
    store: Store, tmp_path: Path, google: FakeGoogleWorkspace
) -> None:
    settings = _settings(tmp_path, google, docs_max_attempts=2)
    google.script("drive.files.create", [503, 503])
    response_id = _sent_with_cc(store, tmp_path, settings)  # the email went out all the same

    failed = _brief(store, response_id)
    assert failed["status"] == "failed" and "HTTP 503 after 2 attempts" in failed["error"] and not google.docs
    assert Path(failed["path"]).exists()

    assert publish_briefs(store, settings=settings) == 1
    assert _brief(store, response_id)["status"] == "written" and len(google.docs) == 1


def test_a_google_doc_brief_without_credentials_is_a_clean_error(store: Store, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, brief_docs="google")
    with pytest.raises(ConfigurationError, match="ESCALATION_BRIEF_DOCS=google needs ESCALATION_GMAIL_SERVICE_ACCOUNT_FILE"):
        GoogleDocsBriefs.from_settings(settings)

    response_id = _sent_with_cc(store, tmp_path, settings)

    brief = _brief(store, response_id)
    assert brief["status"] == "failed" and "needs ESCALATION_GMAIL_SERVICE_ACCOUNT_FILE" in brief["error"]
    assert Path(brief["path"]).exists()  # the Markdown brief is written regardless


def test_a_refused_call_is_not_retried(tmp_path: Path, google: FakeGoogleWorkspace) -> None:
    google.script("drive.files.create", [Reply(403)])
    docs = GoogleDocsBriefs.from_settings(_settings(tmp_path, google), sleep=lambda _: None)
    with pytest.raises(MailError, match="HTTP 403"):
        docs.publish(title="Brief", markdown="Text", share_with=[])
    assert len(google.calls("drive.files.create")) == 1
