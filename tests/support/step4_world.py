"""A world for Step 4 tests (another vendor, Unicode names), and drafted responses written like Step 3 writes them.

Timestamps are relative to `NOW` and the world has no `as_of`, so it loads as written; tests pin
`now` to moments after `NOW`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from psycopg.types.json import Jsonb

from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world

NOW = datetime(2026, 2, 3, 14, 0, tzinfo=timezone.utc)
VENDOR_DOMAIN = "helios.example"
# Ingrid's email (communication e-fjord-1) as the CSM's Gmail holds it, on thread thr-fjord-77.
CUSTOMER_EMAIL = (
    b"From: Ingrid Bj\xc3\xb8rnstad <ingrid@fjordline.no>\r\nTo: zoe.laurent@helios.example\r\n"
    b"Subject: Ingestion stalls again\r\nMessage-ID: <ingrid.77@mail.fjordline.no>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe jobs stalled again.\r\n"
)


def _at(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


def world() -> dict[str, Any]:
    """Helios Analytics with two CSMs under one manager, a Norwegian and a French customer."""
    return {
        "format": "escalation-world/1",
        "vendor": {"name": "Helios Analytics", "email_domain": VENDOR_DOMAIN},
        "staff": [
            {"id": "h-zoe", "name": "Zoë Laurent", "email": "zoe.laurent@helios.example", "role": "csm",
             "manager_id": "h-mateus", "phone": "+47 22 00 11 22", "timezone": "Europe/Oslo"},
            {"id": "h-kenji", "name": "Kenji Watanabe", "email": "kenji@helios.example", "role": "csm",
             "manager_id": "h-mateus"},
            {"id": "h-mateus", "name": "Mateus Oliveira", "email": "mateus@helios.example", "role": "csm_manager",
             "manager_id": "h-amara"},
            {"id": "h-amara", "name": "Amara Okeke", "email": "amara@helios.example", "role": "executive",
             "title": "Chief Customer Officer"},
            {"id": "h-soren", "name": "Søren Dahl", "email": "soren@helios.example", "role": "support_lead"},
            {"id": "h-piotr", "name": "Piotr Nowak", "email": "piotr@helios.example", "role": "support_engineer",
             "manager_id": "h-soren"},
            {"id": "h-lucia", "name": "Lucía Fernández", "email": "lucia@helios.example", "role": "account_executive"},
            {"id": "h-nadia", "name": "Nadia Haddad", "email": "nadia@helios.example", "role": "security_officer"},
            {"id": "h-bea", "name": "Bea Lindqvist", "email": "bea@helios.example", "role": "billing_specialist"},
        ],
        "customers": [
            {"id": "k-fjord", "name": "Fjordline AS", "domain": "fjordline.no", "arr": 410000, "tier": "enterprise",
             "health_score": 58, "timezone": "Europe/Oslo", "csm_id": "h-zoe", "account_executive_id": "h-lucia",
             "support_lead_id": "h-soren", "executive_sponsor_id": "h-amara"},
            {"id": "k-ciel", "name": "Ciel Bleu SARL", "domain": "cielbleu.fr", "arr": 60000, "tier": "mid_market",
             "health_score": 77, "timezone": "Europe/Paris", "csm_id": "h-kenji", "support_lead_id": "h-soren"},
        ],
        "contacts": [
            {"id": "f-ingrid", "customer_id": "k-fjord", "name": "Ingrid Bjørnstad", "title": "CTO",
             "email": "ingrid@fjordline.no", "role": "executive"},
            {"id": "f-ola", "customer_id": "k-fjord", "name": "Ola Nordmann", "title": "Head of Data",
             "email": "ola@fjordline.no", "role": "technical"},
            {"id": "c-helene", "customer_id": "k-ciel", "name": "Hélène Dubois", "title": "DAF",
             "email": "helene@cielbleu.fr", "role": "billing"},
        ],
        "tickets": [
            {"id": "FJ-77", "customer_id": "k-fjord", "subject": "Ingestion jobs stalling", "priority": "urgent",
             "status": "open", "opened_at": _at(hours=30), "requester_contact_id": "f-ola", "assignee_id": "h-piotr"},
        ],
        "communications": [
            {"id": "e-fjord-1", "customer_id": "k-fjord", "channel": "email", "direction": "inbound",
             "at": _at(minutes=45), "subject": "Ingestion stalls again", "contact_id": "f-ingrid",
             "staff_id": "h-zoe", "thread_id": "thr-fjord-77", "message_id": "<ingrid.77@mail.fjordline.no>"},
        ],
        "risk_signals": [
            {"id": "sig-fjord", "customer_id": "k-fjord", "signal_type": "ticket_escalated", "severity": "high",
             "source": "support_ticket", "escalation_type": "technical", "title": "Ingestion stalls escalated by CTO",
             "detected_at": _at(minutes=40), "status": "open", "reported_by_contact_id": "f-ingrid",
             "ticket_id": "FJ-77", "communication_id": "e-fjord-1"},
            {"id": "sig-ciel", "customer_id": "k-ciel", "signal_type": "executive_complaint", "severity": "medium",
             "source": "direct_complaint", "escalation_type": "billing", "title": "Facture en double",
             "detected_at": _at(minutes=90), "status": "open", "reported_by_contact_id": "c-helene"},
        ],
    }


def load(store: Store) -> None:
    """Load `world()` as written."""
    load_world(store, world(), now=NOW)


def insert_drafted(store: Store, *, signal_id: str = "sig-fjord", to: list[str] | None = None,
                   subject: str | None = None, body: str | None = None) -> str:
    """A `drafted` escalation_responses row as Step 3 stores it (To = the reporter, threaded on the
    signal's email, empty CC, the Draft JSON), with its audit entry; returns the response id."""
    response_id = f"resp-{secrets.token_hex(4)}"
    with store.transaction() as conn:
        s = conn.execute(
            "SELECT s.*, c.csm_id, c.name AS customer_name, k.email AS reporter_email, m.subject AS original_subject,"
            " m.message_id, m.thread_id FROM risk_signals s JOIN customers c ON c.id = s.customer_id"
            " LEFT JOIN contacts k ON k.id = s.reported_by_contact_id"
            " LEFT JOIN communications m ON m.id = s.communication_id WHERE s.id = %s",
            (signal_id,),
        ).fetchone()
        recipients = to if to is not None else [s["reporter_email"]]
        subject = subject or (f"RE: {s['original_subject']}" if s["original_subject"] else f"{s['customer_name']} escalation")
        body = body or (
            "Dear Ingrid,\n\nThank you for raising this with me directly. I am sorry the ingestion jobs have"
            " stalled again.\n\nNext update by 18:00 CET.\n\nBest regards,\nZoë Laurent\n"
        )
        draft = {
            "response_id": response_id,
            "customer": {"id": s["customer_id"], "name": s["customer_name"]},
            "email": {"to": recipients, "cc": [], "subject": subject, "body": body,
                      "in_reply_to": s["message_id"], "thread_id": s["thread_id"]},
        }
        conn.execute(
            "INSERT INTO escalation_responses (id, risk_signal_id, customer_id, status, sender_id, to_addrs, cc_addrs,"
            " subject, body, in_reply_to, thread_id, draft, created_by, created_at, updated_at)"
            " VALUES (%s, %s, %s, 'drafted', %s, %s, '[]', %s, %s, %s, %s, %s, %s, %s, %s)",
            (response_id, signal_id, s["customer_id"], s["csm_id"], Jsonb(recipients), subject, body,
             s["message_id"], s["thread_id"], Jsonb(draft), s["csm_id"], NOW, NOW),
        )
        conn.execute(
            "INSERT INTO audit_log (at, actor, entity, entity_id, action, detail)"
            " VALUES (%s, %s, 'escalation_response', %s, 'drafted', '{}')",
            (NOW, s["csm_id"], response_id),
        )
    return response_id


def audit_actions(store: Store, response_id: str) -> list[tuple[str, str]]:
    """(actor, action) of the response's audit entries, oldest first."""
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT actor, action FROM audit_log WHERE entity = 'escalation_response' AND entity_id = %s ORDER BY id",
            (response_id,),
        ).fetchall()
    return [(r["actor"], r["action"]) for r in rows]
