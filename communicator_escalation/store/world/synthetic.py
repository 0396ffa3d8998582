"""Synthetic `escalation-world/1` worlds of any size, for benchmarks and scale tests.

Deterministic: the same customer count and seed give the same file, byte for byte. Every customer has
3 contacts, 4 tickets (with events), 25 communications and 8 risk signals (one open escalation, two
answered ones, five context signals), names from several markets (legal forms, non-English and CJK
names), and a staff directory on the vendor's domain that grows with the book of business. The file is
written record by record, so a world of 100,000 customers never sits in memory.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, TextIO

from .format import WORLD_FORMAT
from .synthetic_names import Locale, company_name, locales, person_name, vendors

__all__ = ["generate_world", "world_records", "write_world"]

AS_OF = datetime(2027, 3, 1, 15, 0, tzinfo=timezone.utc)
CUSTOMERS_PER_CSM = 40
CSMS_PER_MANAGER = 8
_CONTACT_TITLES = ("CTO", "VP Operations", "Head of Data", "IT Director", "CFO", "Procurement Lead")
_ESCALATIONS = (
    ("ticket_escalated", "technical", "Ticket escalated: {subject}"),
    ("executive_complaint", "service", "Executive complaint about {subject}"),
    ("critical_issue", "outage", "Critical: {subject}"),
    ("ticket_escalated", "billing", "Billing dispute escalated: {subject}"),
    ("critical_issue", "security", "Security concern: {subject}"),
)
_CONTEXT_SIGNALS = ("health_score_drop", "usage_decline", "champion_left", "nps_detractor", "payment_late")
_SUBJECTS = (
    "API sync failures delaying reports", "Invoices charged twice this month", "Dashboard outage since the upgrade",
    "SSO login errors for all users", "Export jobs timing out", "Missing data after the migration",
    "Slow response from the support team", "Unexpected price increase at renewal",
)
_EVENT_KINDS = ("opened", "customer_followup", "engineering_escalated", "workaround_identified")
_STAFF_ROLES = ("support_lead", "support_engineer", "engineering_manager", "account_executive",
                "billing_specialist", "security_officer", "executive")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _slug(text: str, rng: random.Random) -> str:
    ascii_part = "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())
    return ascii_part[:16] or f"kunde{rng.randrange(10**6)}"


def _staff(rng: random.Random, customers: int, domain: str) -> Iterator[dict[str, Any]]:
    """Executives, CSM managers, CSMs (one per CUSTOMERS_PER_CSM customers) and specialists."""
    csms = max(1, -(-customers // CUSTOMERS_PER_CSM))
    managers = max(1, -(-csms // CSMS_PER_MANAGER))
    locale = locales()[0]

    def person(staff_id: str, role: str, manager: str | None) -> dict[str, Any]:
        name = person_name(rng, locale)
        email = f"{name.lower().replace(' ', '.')}.{staff_id}@{domain}"
        record = {"id": staff_id, "name": name, "email": email, "role": role, "timezone": locale.timezone}
        return record | ({"manager_id": manager} if manager else {})

    yield person("st-exec", "executive", None)
    for index in range(managers):
        yield person(f"st-mgr-{index}", "csm_manager", "st-exec")
    for index in range(csms):
        yield person(f"st-csm-{index}", "csm", f"st-mgr-{index // CSMS_PER_MANAGER}")
    for role in _STAFF_ROLES[:-1]:
        for index in range(max(1, csms // 4)):
            yield person(f"st-{role.replace('_', '')}-{index}", role, "st-exec")


def _customer_records(rng: random.Random, index: int, locale: Locale, names: tuple[str, str],
                      csms: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """The customer and its contacts, tickets, communications and risk signals."""
    cid = f"cu-{index:06d}"
    name, _base = names
    domain = f"{_slug(_base, rng)}{index}.{locale.code}.example"
    support = max(1, csms // 4)
    yield "customers", {
        "id": cid, "name": name, "domain": domain, "arr": rng.randrange(12, 900) * 1000,
        "tier": rng.choice(("enterprise", "mid_market", "smb")), "health_score": rng.randrange(20, 95),
        "health_history": [{"at": _iso(AS_OF - timedelta(days=30 * k)), "score": rng.randrange(30, 95)}
                           for k in (3, 2, 1)],
        "renewal_date": (AS_OF + timedelta(days=rng.randrange(10, 400))).date().isoformat(),
        "customer_since": (AS_OF - timedelta(days=rng.randrange(200, 3000))).date().isoformat(),
        "timezone": locale.timezone, "csm_id": f"st-csm-{index % csms}",
        "account_executive_id": f"st-accountexecutive-{index % support}",
        "support_lead_id": f"st-supportlead-{index % support}", "executive_sponsor_id": "st-exec",
        "segment": locale.code,
    }
    contacts = [f"{cid}-p{k}" for k in range(3)]
    for k, contact in enumerate(contacts):
        person = person_name(rng, locale)
        yield "contacts", {"id": contact, "customer_id": cid, "name": person, "title": _CONTACT_TITLES[(index + k) % 6],
                           "email": f"contact{k}@{domain}"}
    tickets = []
    for k in range(4):
        opened = AS_OF - timedelta(hours=rng.randrange(2, 24 * 60))
        subject = rng.choice(_SUBJECTS)
        tickets.append((f"{cid}-t{k}", subject))
        yield "tickets", {
            "id": f"{cid}-t{k}", "customer_id": cid, "subject": subject,
            "description": f"{subject}. Reported by {contacts[k % 3]}; affects {rng.randrange(2, 400)} users.",
            "priority": rng.choice(("urgent", "high", "normal")), "status": "escalated" if k == 0 else "open",
            "opened_at": _iso(opened), "requester_contact_id": contacts[k % 3],
            "assignee_id": f"st-supportengineer-{index % support}",
            "events": [{"at": _iso(opened + timedelta(hours=3 * e)), "kind": kind, "note": f"{kind.replace('_', ' ')}"}
                       for e, kind in enumerate(_EVENT_KINDS[: 2 + k % 3])],
        }
    for k in range(25):
        inbound = k % 2 == 0
        channel = ("email", "email", "meeting", "call", "ticket_comment")[k % 5]
        at = AS_OF - timedelta(minutes=30 + 1440 * k + rng.randrange(600))
        record = {"id": f"{cid}-m{k}", "customer_id": cid, "channel": channel,
                  "direction": "inbound" if inbound else "outbound", "at": _iso(at),
                  "subject": rng.choice(_SUBJECTS), "body": f"Update {k} on {tickets[k % 4][1].lower()}.",
                  "contact_id": contacts[k % 3], "staff_id": f"st-csm-{index % csms}"}
        if channel == "email":
            record |= {"thread_id": f"thr-{cid}-{k // 5}", "message_id": f"<{cid}.{k}.{rng.randrange(10**9)}@{domain}>"}
        yield "communications", record
    yield from _signals(rng, cid, contacts, tickets)


def _signals(rng: random.Random, cid: str, contacts: list[str],
             tickets: list[tuple[str, str]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """8 risk signals: the open escalation, two answered ones, five context signals."""
    index = int(cid.split("-")[1])
    for k in range(8):
        detected = AS_OF - timedelta(minutes=rng.randrange(5, 600)) if k == 0 else AS_OF - timedelta(days=20 * k)
        record: dict[str, Any] = {"id": f"{cid}-s{k}", "customer_id": cid, "source": "support_ticket",
                                  "detected_at": _iso(detected), "severity": rng.choice(("critical", "high", "medium"))}
        if k < 3:
            signal_type, kind, title = _ESCALATIONS[(index + k) % len(_ESCALATIONS)]
            ticket, subject = tickets[k]
            record |= {"signal_type": signal_type, "escalation_type": kind, "title": title.format(subject=subject.lower()),
                       "status": "open" if k == 0 else "resolved", "reported_by_contact_id": contacts[k % 3],
                       "ticket_id": ticket, "communication_id": f"{cid}-m{2 * k}"}
            if k:
                record["response_sent_at"] = _iso(detected + timedelta(minutes=rng.randrange(20, 300)))
        else:
            signal_type = _CONTEXT_SIGNALS[k - 3]
            record |= {"signal_type": signal_type, "source": "health_model", "severity": "medium",
                       "title": signal_type.replace("_", " ").capitalize(), "status": rng.choice(("open", "resolved"))}
        yield "risk_signals", record


def world_records(*, customers: int, seed: int) -> Iterator[tuple[str, Any]]:
    """(top-level key, value) pairs of a synthetic world, list sections as one (section, record) per record.

    Yields ("format", ...), ("as_of", ...), ("vendor", {...}) first, then (section, record) for every
    record, sections in file order (staff, customers, contacts, tickets, communications, risk_signals).
    """
    rng = random.Random(seed)
    vendor, markets = vendors()[seed % len(vendors())], locales()
    yield "format", WORLD_FORMAT
    yield "as_of", _iso(AS_OF)
    yield "vendor", {"name": vendor.name, "email_domain": vendor.email_domain}
    yield from (("staff", record) for record in _staff(rng, customers, vendor.email_domain))
    csms = max(1, -(-customers // CUSTOMERS_PER_CSM))
    used: set[str] = set()
    for index in range(customers):
        locale = markets[rng.randrange(len(markets))]
        names, variant = company_name(rng, locale, 0), 0
        while names[1] in used:  # account names are unique without their legal form, as in a real CRM
            variant += 1
            names = company_name(rng, locale, variant)
        used.add(names[1])
        yield from _customer_records(rng, index, locale, names, csms)


def write_world(out: TextIO, *, customers: int, seed: int) -> int:
    """Write a synthetic world as one JSON document to `out`; returns the number of records written."""
    return _write(out, world_records(customers=customers, seed=seed))


def generate_world(*, customers: int, seed: int) -> dict[str, Any]:
    """A synthetic world as a decoded document (for small sizes: it is built in memory)."""
    world: dict[str, Any] = {}
    for key, value in world_records(customers=customers, seed=seed):
        if key in ("format", "as_of", "vendor"):
            world[key] = value
        else:
            world.setdefault(key, []).append(value)
    return world


def _write(out: TextIO, pairs: Iterator[tuple[str, Any]]) -> int:
    """Stream `pairs` as one JSON object: list sections are spooled to temporary files, then joined."""
    header: dict[str, Any] = {}
    spools: dict[str, Any] = {}
    written = 0
    try:
        for key, value in pairs:
            if key in ("format", "as_of", "vendor"):
                header[key] = value
                continue
            spool = spools.get(key)
            if spool is None:
                spool = spools[key] = tempfile.TemporaryFile("w+", encoding="utf-8")
            else:
                spool.write(",\n")
            spool.write(json.dumps(value, ensure_ascii=False))
            written += 1
        out.write(json.dumps(header, ensure_ascii=False)[:-1])
        for key, spool in spools.items():
            out.write(f',\n"{key}": [\n')
            spool.seek(0)
            shutil.copyfileobj(spool, out)
            out.write("\n]")
        out.write("}\n")
    finally:
        for spool in spools.values():
            spool.close()
    return written
