"""The worker notices status updates that are due and drafts them; the follow-up round records outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.config import Settings
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.worker import run_worker
from communicator_escalation.workflow.delivery.sending import send_response
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.policy import Policy


def test_worker_drafts_the_update_that_is_due_once(store: Store, demo_world_path: Path, tmp_path: Path) -> None:
    then = datetime.now(UTC) - timedelta(hours=5)
    load_world(store, demo_world_path, now=then)  # the demo's escalations were detected five hours ago
    settings = Settings(home=tmp_path)
    first = open_or_create_draft(store, actor=ACCOUNT_CSM, customer="DataFlow", policy=Policy(), now=then + timedelta(minutes=20), new=True).draft
    sent = send_response(store, response_id=first.response_id, mailer=OutboxMailer(tmp_path / "outbox"), urgent=True,
                         settings=settings, now=then + timedelta(minutes=20))
    assert sent.outcome == "sent"

    report = run_worker(store, policy=Policy(), once=True, settings=settings)

    [round_] = report.follow_ups
    assert [d.response_id for d in round_.due] == [first.response_id] and len(round_.drafted) == 1
    assert round_.outcomes >= 1 and not round_.errors
    with store.connection() as conn:
        update = conn.execute("SELECT * FROM escalation_responses WHERE id = %s", (round_.drafted[0],)).fetchone()
    assert (update["kind"], update["follows_response_id"], update["created_by"]) == ("update", first.response_id,
                                                                                     "system:worker")
    again = run_worker(store, policy=Policy(), once=True, settings=settings)
    assert again.follow_ups[0].drafted == [] and again.follow_ups[0].due[0].draft_id == update["id"]
