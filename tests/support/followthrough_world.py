"""A world for the after-the-send tests: another vendor, a German and a Brazilian customer, no `as_of`.

Timestamps are relative to `NOW` (a Friday, 16:30 in Berlin) and the world loads as written, so
tests pin every `now` to moments around it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.config import Settings
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.models import Draft
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.delivery.approval import approve_send
from communicator_escalation.workflow.delivery.sending import SendOutcome, send_response
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.policy import Policy

NOW = datetime(2027, 3, 12, 15, 30, tzinfo=timezone.utc)  # Friday 16:30 in Berlin


def at(**delta: float) -> str:
    """`NOW` moved by `delta` (negative: before), as ISO-8601."""
    return (NOW + timedelta(**delta)).isoformat()


def world() -> dict[str, Any]:
    """Lumen Ops with one CSM, a Berlin logistics customer (high and medium escalations) and a Brazilian one."""
    return {
        "format": "escalation-world/1",
        "vendor": {"name": "Lumen Ops", "email_domain": "lumen.example"},
        "staff": [
            {"id": "l-ines", "name": "Inês Carvalho", "email": "ines@lumen.example", "role": "csm",
             "manager_id": "l-bo", "phone": "+49 30 5550 1000", "timezone": "Europe/Berlin"},
            {"id": "l-bo", "name": "Bo Andersen", "email": "bo@lumen.example", "role": "csm_manager"},
            {"id": "l-raj", "name": "Raj Iyer", "email": "raj@lumen.example", "role": "support_lead"},
            {"id": "l-mia", "name": "Mia Schulz", "email": "mia@lumen.example", "role": "support_engineer",
             "manager_id": "l-raj"},
            {"id": "l-ken", "name": "Ken Ito", "email": "ken@lumen.example", "role": "executive", "title": "COO"},
            {"id": "l-oda", "name": "Oda Lindqvist", "email": "oda@lumen.example", "role": "billing_specialist"},
        ],
        "customers": [
            {"id": "k-spree", "name": "Spreewerk Logistik GmbH", "domain": "spreewerk.de", "arr": 180000,
             "tier": "enterprise", "health_score": 64, "timezone": "Europe/Berlin", "csm_id": "l-ines",
             "support_lead_id": "l-raj", "executive_sponsor_id": "l-ken",
             "health_history": [{"at": at(days=-40), "score": 71}, {"at": at(days=-2), "score": 64}]},
            {"id": "k-sol", "name": "Sol Nascente Ltda", "domain": "solnascente.com.br", "arr": 40000, "tier": "smb",
             "health_score": 80, "timezone": "America/Sao_Paulo", "csm_id": "l-ines"},
        ],
        "contacts": [
            {"id": "s-jonas", "customer_id": "k-spree", "name": "Jonas Weber", "title": "Leiter IT",
             "email": "jonas.weber@spreewerk.de", "role": "technical"},
            {"id": "s-greta", "customer_id": "k-spree", "name": "Greta Vogel", "title": "Einkauf",
             "email": "greta.vogel@spreewerk.de", "role": "billing"},
            {"id": "n-ana", "customer_id": "k-sol", "name": "Ana Souza", "email": "ana@solnascente.com.br"},
        ],
        "tickets": [
            {"id": "LX-77", "customer_id": "k-spree", "subject": "Scanner uploads rejected with HTTP 500",
             "description": "Since Wednesday our warehouse scanners cannot upload shipments; every upload fails.",
             "priority": "urgent", "status": "escalated", "opened_at": at(days=-2), "requester_contact_id": "s-jonas",
             "assignee_id": "l-mia",
             "events": [
                 {"at": at(days=-2), "kind": "opened", "note": "Opened by Jonas"},
                 {"at": at(hours=-3), "kind": "engineering_escalated", "note": "Platform team investigating"},
                 {"at": at(hours=-2), "kind": "fix_scheduled", "note": "Fix planned for the next release",
                  "due": at(days=3)},
             ]},
        ],
        "communications": [
            {"id": "sp-mail-1", "customer_id": "k-spree", "channel": "email", "direction": "inbound",
             "at": at(minutes=-20), "subject": "Scanner uploads down", "contact_id": "s-jonas",
             "body": "Two days without uploads. Our depots are shipping blind and this is unacceptable.",
             "thread_id": "thr-spree-77", "message_id": "<jonas.77@spreewerk.de>"},
            {"id": "sp-mail-2", "customer_id": "k-spree", "channel": "email", "direction": "inbound",
             "at": at(minutes=-50), "subject": "Doppelte Rechnung RE-5512", "contact_id": "s-greta",
             "body": "We were charged twice on invoice RE-5512. Please correct it.",
             "thread_id": "thr-spree-5512", "message_id": "<greta.5512@spreewerk.de>"},
        ],
        "risk_signals": [
            {"id": "sig-spree-up", "customer_id": "k-spree", "signal_type": "ticket_escalated", "severity": "high",
             "source": "support_ticket", "escalation_type": "technical", "title": "Scanner uploads failing",
             "detected_at": at(minutes=-15), "status": "open", "reported_by_contact_id": "s-jonas",
             "ticket_id": "LX-77", "communication_id": "sp-mail-1"},
            {"id": "sig-spree-bill", "customer_id": "k-spree", "signal_type": "executive_complaint",
             "severity": "medium", "source": "direct_complaint", "escalation_type": "billing",
             "title": "Charged twice on RE-5512", "detected_at": at(minutes=-45), "status": "open",
             "reported_by_contact_id": "s-greta", "communication_id": "sp-mail-2"},
        ],
    }


def load(store: Store) -> None:
    """Load `world()` as written."""
    load_world(store, world(), now=NOW)


def settings_in(home: Path) -> Settings:
    """Settings writing briefs under `home`, with fast retries."""
    return Settings(home=home, send_max_attempts=2, send_backoff_seconds=0.001, send_backoff_cap_seconds=0.01)


def send_now(store: Store, response_id: str, *, home: Path, now: datetime, approver: str = "l-bo") -> SendOutcome:
    """Send urgently at `now`; a send that waits for approval is approved by `approver` and sent."""
    mailer, settings = OutboxMailer(home / "outbox"), settings_in(home)
    outcome = send_response(store, response_id=response_id, mailer=mailer, urgent=True, settings=settings, now=now)
    if outcome.outcome == "pending_approval" and outcome.approval is not None:
        approve_send(store, approval_id=outcome.approval.id, actor_id=approver, now=now)
        outcome = send_response(store, response_id=response_id, mailer=mailer, settings=settings, now=now)
    return outcome


def draft_and_send(store: Store, *, signal_id: str, home: Path, now: datetime) -> tuple[Draft, SendOutcome]:
    """Draft the first response of `signal_id` at `now` and send it (urgently, approved if needed) at once."""
    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, signal_id=signal_id, policy=Policy(), now=now, new=True).draft
    assert draft.response_id is not None
    return draft, send_now(store, draft.response_id, home=home, now=now)
