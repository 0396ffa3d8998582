"""Review: edits, CCs from the staff directory only, To within the same customer, audit, approval voiding."""

from __future__ import annotations

import pytest

from communicator_escalation.auth.actor import ACCOUNT_CSM, Actor
from communicator_escalation.errors import InvalidRequest, NotFound, Refused
from communicator_escalation.store import Store
from communicator_escalation.workflow.delivery.approval import approval_status, approve_send, submit_for_approval
from communicator_escalation.workflow.review.edits import (
    add_cc,
    change_recipient,
    edit_response,
    get_response,
    remove_cc,
)
from tests.support.step4_world import NOW, audit_actions, insert_drafted, load


@pytest.fixture
def response_id(store: Store) -> str:
    load(store)
    return insert_drafted(store)


def test_edit_subject_and_body_is_audited_with_the_actor(store: Store, response_id: str) -> None:
    view = edit_response(store, actor=ACCOUNT_CSM, response_id=response_id, subject="RE: Ingestion stalls again (update)",
                         body="Dear Ingrid,\n\nNew text.\n", now=NOW)
    assert view.subject == "RE: Ingestion stalls again (update)"
    assert view.body == "Dear Ingrid,\n\nNew text.\n"
    assert view.status == "drafted"
    assert audit_actions(store, response_id)[-1] == ("h-zoe", "edited")


def test_replace_changes_every_occurrence_and_refuses_missing_text(store: Store, response_id: str) -> None:
    view = edit_response(store, actor=ACCOUNT_CSM, response_id=response_id, replace=("18:00 CET", "17:30 CET"), now=NOW)
    assert "17:30 CET" in view.body and "18:00 CET" not in view.body
    with pytest.raises(Refused, match="does not occur"):
        edit_response(store, actor=ACCOUNT_CSM, response_id=response_id, replace=("no such words", "x"), now=NOW)


@pytest.mark.parametrize(
    "subject",
    ["Hello\r\nBcc: attacker@evil.example", "line\nbreak", "nul\x00", "sep\u2028Bcc: x@evil.example",
     "vt\x0bx", "ff\x0cx", "para\u2029x", "=?utf-8?q?hi=0D=0ABcc:_x@evil.example?=", "x" * 999],
)
def test_subject_the_send_path_would_refuse_is_refused_at_edit_time(store: Store, response_id: str, subject: str) -> None:
    with pytest.raises(InvalidRequest, match="forbidden character|encoded-word|longer than 998"):
        edit_response(store, actor=ACCOUNT_CSM, response_id=response_id, subject=subject, now=NOW)
    assert get_response(store, actor=ACCOUNT_CSM, response_id=response_id).subject == "RE: Ingestion stalls again"


@pytest.mark.parametrize(
    ("who", "email"),
    [
        ("my manager", "mateus@helios.example"),
        ("support lead", "soren@helios.example"),
        ("the account executive", "lucia@helios.example"),
        ("security", "nadia@helios.example"),
        ("billing", "bea@helios.example"),
        ("support engineer", "piotr@helios.example"),
        ("executive sponsor", "amara@helios.example"),
        ("Søren", "soren@helios.example"),
        ("lucía fernández", "lucia@helios.example"),
        ("NADIA@HELIOS.EXAMPLE", "nadia@helios.example"),
        ("h-bea", "bea@helios.example"),
    ],
)
def test_cc_resolves_names_emails_and_role_words(store: Store, response_id: str, who: str, email: str) -> None:
    view = add_cc(store, actor=ACCOUNT_CSM, response_id=response_id, who=who, now=NOW)
    assert [r.email for r in view.cc] == [email]
    assert view.cc[0].staff_id is not None


def test_cc_twice_is_a_no_op_and_remove_works(store: Store, response_id: str) -> None:
    add_cc(store, actor=ACCOUNT_CSM, response_id=response_id, who="support lead", now=NOW)
    view = add_cc(store, actor=ACCOUNT_CSM, response_id=response_id, who="Søren Dahl", now=NOW)
    assert [r.name for r in view.cc] == ["Søren Dahl"]
    view = remove_cc(store, actor=ACCOUNT_CSM, response_id=response_id, who="soren@helios.example", now=NOW)
    assert view.cc == []
    with pytest.raises(Refused, match="not on CC"):
        remove_cc(store, actor=ACCOUNT_CSM, response_id=response_id, who="support lead", now=NOW)
    assert [a for _, a in audit_actions(store, response_id)][-2:] == ["cc_added", "cc_removed"]


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("someone@gmail.com", "not in the staff directory"),
        ("ola@fjordline.no", "is a contact at Fjordline AS, not internal staff"),
        ("helene@cielbleu.fr", "is a contact at Ciel Bleu SARL, not internal staff"),
        ("Bob Nobody", "nobody called 'Bob Nobody'"),
        ("Zoë Laurent", "is the sender"),
        ("soren@helios.example\r\nBcc: x@evil.example", "line break"),
        ("support lead\x1b]8;;https://evil.example\x07", "control character"),
    ],
)
def test_cc_refuses_anyone_outside_the_directory(store: Store, response_id: str, who: str, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        add_cc(store, actor=ACCOUNT_CSM, response_id=response_id, who=who, now=NOW)
    assert get_response(store, actor=ACCOUNT_CSM, response_id=response_id).cc == []


def test_to_switches_only_within_the_same_customer(store: Store, response_id: str) -> None:
    view = change_recipient(store, actor=ACCOUNT_CSM, response_id=response_id, contact="Ola", now=NOW)
    assert [(r.name, r.email, r.contact_id) for r in view.to] == [("Ola Nordmann", "ola@fjordline.no", "f-ola")]
    with pytest.raises(Refused, match="contact of Ciel Bleu SARL, not of Fjordline AS"):
        change_recipient(store, actor=ACCOUNT_CSM, response_id=response_id, contact="Hélène Dubois", now=NOW)
    with pytest.raises(Refused, match="not a contact of Fjordline AS"):
        change_recipient(store, actor=ACCOUNT_CSM, response_id=response_id, contact="ceo@competitor.example", now=NOW)
    with pytest.raises(Refused, match="internal staff"):
        change_recipient(store, actor=ACCOUNT_CSM, response_id=response_id, contact="piotr@helios.example", now=NOW)
    assert [r.email for r in get_response(store, actor=ACCOUNT_CSM, response_id=response_id).to] == ["ola@fjordline.no"]
    assert audit_actions(store, response_id)[-1] == ("h-zoe", "recipient_changed")


def test_edit_after_approval_voids_it(store: Store, response_id: str) -> None:
    pending = submit_for_approval(store, response_id=response_id, now=NOW)
    approve_send(store, approval_id=pending.approval.id, actor_id="h-mateus", now=NOW)
    assert approval_status(store, response_id=response_id).response_status == "approved"

    add_cc(store, actor=ACCOUNT_CSM, response_id=response_id, who="support lead", now=NOW)

    status = approval_status(store, response_id=response_id)
    assert status.response_status == "drafted"
    assert status.approval.status == "void"
    assert not status.content_matches
    assert audit_actions(store, response_id)[-1] == ("h-zoe", "returned_to_draft")


def test_edit_while_pending_voids_the_request(store: Store, response_id: str) -> None:
    submit_for_approval(store, response_id=response_id, now=NOW)
    edit_response(store, actor=ACCOUNT_CSM, response_id=response_id, replace=("again", "once more"), now=NOW)
    status = approval_status(store, response_id=response_id)
    assert (status.response_status, status.approval.status) == ("drafted", "void")


def test_sent_responses_and_outsiders_cannot_edit(store: Store, response_id: str) -> None:
    with pytest.raises(NotFound):
        edit_response(store, response_id=response_id, subject="x", actor=Actor.of("h-kenji"), now=NOW)
    with store.connection() as conn:
        conn.execute("UPDATE escalation_responses SET status = 'sent' WHERE id = %s", (response_id,))
    with pytest.raises(Refused, match="is sent"):
        add_cc(store, actor=ACCOUNT_CSM, response_id=response_id, who="support lead", now=NOW)


def test_the_manager_may_edit_on_the_csms_behalf(store: Store, response_id: str) -> None:
    edit_response(store, response_id=response_id, replace=("Dear Ingrid", "Hi Ingrid"), actor=Actor.of("h-mateus"), now=NOW)
    assert audit_actions(store, response_id)[-1] == ("h-mateus", "edited")
