"""The `responses` section of a world file: escalation responses sent before this skill kept records.

Each record is one message sent to a customer about an escalation (the first response, a status
update or the closing email), with what the learning loop needs: template, tone, expedited or not,
the CCs (staff ids), how much the CSM edited the draft, and when it was sent. The records go to
`past_responses`; insights and the strategy read them beside the skill's own sent responses (the
`sent_responses` view). The section is optional: every file without it loads as before.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from psycopg.types.json import Jsonb
from pydantic import Field, ValidationError

from ..errors import WorldFileError
from ..models import EscalationType
from .responses import Conn
from .world_format import Record

__all__ = ["PastResponseRecord", "parse_past_responses", "write_past_responses"]

SECTION = "responses"


class PastResponseRecord(Record):
    """A response sent before the skill kept records."""

    id: str = Field(min_length=1)
    risk_signal_id: str
    kind: Literal["first", "update", "closing"] = "first"
    sent_at: datetime
    sender_id: str | None = None
    to_contact_id: str | None = None
    cc: list[str] = Field(default_factory=list, description="Staff ids on CC.")
    subject: str | None = None
    template: EscalationType | None = None
    tone: Literal["executive", "urgent", "formal", "warm"] | None = None
    expedited: bool = False
    edit_ratio: float | None = Field(default=None, ge=0, le=1)
    message_id: str | None = None
    thread_id: str | None = None


def parse_past_responses(raw: Any, *, source: str) -> list[PastResponseRecord]:
    """Validate the section (missing = empty); raise WorldFileError naming each bad record and field."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise WorldFileError(f"{source}: {SECTION}: expected a list; nothing was written")
    records, problems, seen = [], [], set()
    for index, item in enumerate(raw):
        where = f"{SECTION} {item.get('id')!r}" if isinstance(item, dict) and item.get("id") else f"{SECTION}[{index}]"
        try:
            record = PastResponseRecord.model_validate(item)
        except ValidationError as err:
            problems += [f"{where}: field '{'.'.join(map(str, e['loc'])) or '(record)'}': {e['msg']}" for e in err.errors()]
            continue
        if record.id in seen:
            problems.append(f"{where}: field 'id': duplicate id in this file")
        seen.add(record.id)
        records.append(record)
    if problems:
        raise WorldFileError(f"{source}: " + "; ".join(problems[:5]) + "; nothing was written")
    return records


def _reference_problems(conn: Conn, records: list[PastResponseRecord]) -> list[str]:
    """Unknown signals, staff or contacts, a To of another customer, an id the skill already uses."""
    signals = {r["id"]: r["customer_id"] for r in conn.execute(
        "SELECT id, customer_id FROM risk_signals WHERE id = ANY(%s)", ([p.risk_signal_id for p in records],))}
    staff = {r["id"]: r["email"] for r in conn.execute("SELECT id, email FROM staff")}
    contacts = {r["id"]: r["customer_id"] for r in conn.execute(
        "SELECT id, customer_id FROM contacts WHERE id = ANY(%s)", ([p.to_contact_id for p in records],))}
    taken = {r["id"] for r in conn.execute(
        "SELECT id FROM escalation_responses WHERE id = ANY(%s)", ([p.id for p in records],))}
    problems = []
    for past in records:
        where = f"{SECTION} {past.id!r}"
        customer = signals.get(past.risk_signal_id)
        if customer is None:
            problems.append(f"{where}: field 'risk_signal_id': unknown risk_signals id {past.risk_signal_id!r}")
        if past.to_contact_id is not None and past.to_contact_id not in contacts:
            problems.append(f"{where}: field 'to_contact_id': unknown contacts id {past.to_contact_id!r}")
        elif past.to_contact_id is not None and customer and contacts[past.to_contact_id] != customer:
            problems.append(f"{where}: field 'to_contact_id': contacts {past.to_contact_id!r} belongs to another customer")
        for field, ids in (("sender_id", [past.sender_id] if past.sender_id else []), ("cc", past.cc)):
            problems += [f"{where}: field '{field}': unknown staff id {i!r}" for i in ids if i not in staff]
        if past.id in taken:
            problems.append(f"{where}: field 'id': already the id of a response drafted here")
    return problems


def write_past_responses(conn: Conn, records: list[PastResponseRecord], *, shift: timedelta, source: str) -> None:
    """Check references and upsert the records by id, inside the loader's transaction.

    Raises:
        WorldFileError: a reference is unknown or crosses customers (the whole load rolls back).
    """
    if not records:
        return
    problems = _reference_problems(conn, records)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise WorldFileError(f"{source}: " + "; ".join(problems[:5]) + more + "; nothing was written")
    staff = {r["id"]: r["email"] for r in conn.execute("SELECT id, email FROM staff")}
    rows = [
        {**past.model_dump(exclude={"cc"}), "sent_at": past.sent_at + shift, "cc": Jsonb([staff[i] for i in past.cc]),
         "metadata": Jsonb(past.metadata)}
        for past in records
    ]
    columns = ("id", "risk_signal_id", "kind", "sender_id", "to_contact_id", "subject", "template", "tone",
               "expedited", "edit_ratio", "sent_at", "message_id", "thread_id", "metadata")
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*columns[1:], "customer_id", "cc_addrs"))
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO past_responses ({', '.join(columns)}, customer_id, cc_addrs)"
            f" SELECT {', '.join('%(' + c + ')s' for c in columns)}, s.customer_id, %(cc)s"
            " FROM risk_signals s WHERE s.id = %(risk_signal_id)s"
            f" ON CONFLICT (id) DO UPDATE SET {assignments}",
            rows,
        )
