"""Step 4 review: edit the subject and body, CC staff from the directory, switch To to another contact.

Recipients never come from free text: a CC is a staff member found by id, email, name or a role
word relative to the account team ("my manager", "support lead", "account executive", "security"),
and To is a contact of the same customer. Anything else is refused with the reason. Every change
is audited with the actor, and a change to the content voids a pending or granted approval.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from ..errors import Refused
from ..models import StaffMember
from ..store import Store
from ._rows import (
    APPROVAL_ENTITY,
    RESPONSE_ENTITY,
    Conn,
    Row,
    addresses,
    all_staff,
    audit,
    display_names,
    content_hash,
    load_response,
    require_status,
    resolve_actor,
    sender_of,
    set_status,
    staff_member,
    utcnow,
)
from .access import require_response_access
from .customers import name_key

__all__ = [
    "EDITABLE_STATES",
    "Recipient",
    "ResponseView",
    "add_cc",
    "change_recipient",
    "edit_response",
    "get_response",
    "remove_cc",
    "resolve_staff",
]

EDITABLE_STATES = ("drafted", "pending_approval", "approved", "failed", "rejected")
_BAD_HEADER_CHARS = re.compile(r"[\r\n\x00]")

# Role words -> (customer team column, directory role). None column: the directory alone decides.
_ROLE_WORDS: dict[str, tuple[str | None, str]] = {
    "support lead": ("support_lead_id", "support_lead"),
    "support": ("support_lead_id", "support_lead"),
    "account executive": ("account_executive_id", "account_executive"),
    "account exec": ("account_executive_id", "account_executive"),
    "ae": ("account_executive_id", "account_executive"),
    "executive sponsor": ("executive_sponsor_id", "executive"),
    "sponsor": ("executive_sponsor_id", "executive"),
    "security": (None, "security_officer"),
    "security officer": (None, "security_officer"),
    "security team": (None, "security_officer"),
    "billing": (None, "billing_specialist"),
    "billing specialist": (None, "billing_specialist"),
    "finance": (None, "billing_specialist"),
    "engineering": (None, "engineering_manager"),
    "engineering manager": (None, "engineering_manager"),
    "eng manager": (None, "engineering_manager"),
    "support engineer": ("ticket_assignee", "support_engineer"),
    "assignee": ("ticket_assignee", "support_engineer"),
}
_MANAGER_WORDS = {"manager", "your manager", "csm manager", "csm's manager", "the csm's manager"}
_FILLERS = re.compile(r"^(the|our|an?)\s+|\s+(please)$")


class Recipient(BaseModel):
    """One address on the response, with who it is."""

    name: str | None = Field(default=None, description="Display name from the contacts or the staff directory.")
    email: str = Field(description="Address.")
    contact_id: str | None = Field(default=None, description="Customer contact id (To).")
    staff_id: str | None = Field(default=None, description="Staff id (CC).")


class ResponseView(BaseModel):
    """A response as the CSM reviews it."""

    id: str = Field(description="Response id.")
    customer_id: str = Field(description="Customer id.")
    customer_name: str = Field(description="Customer name.")
    risk_signal_id: str = Field(description="The escalation answered.")
    status: str = Field(description="drafted, pending_approval, approved, sending, sent, failed, unknown or rejected.")
    sender_id: str | None = Field(default=None, description="Staff id of the sender (the account's CSM).")
    to: list[Recipient] = Field(default_factory=list, description="To recipients.")
    cc: list[Recipient] = Field(default_factory=list, description="CC recipients (staff).")
    subject: str = Field(description="Subject.")
    body: str = Field(description="Plain-text body.")
    in_reply_to: str | None = Field(default=None, description="Message-ID replied to.")
    thread_id: str | None = Field(default=None, description="Provider thread id.")
    content_hash: str = Field(description="sha256 of the exact To, CC, subject and body an approval binds.")
    updated_at: datetime = Field(description="Last change.")


def _view(conn: Conn, row: Row) -> ResponseView:
    known = display_names(conn, addresses(row["to_addrs"]) + addresses(row["cc_addrs"]))

    def recipients(value: Any) -> list[Recipient]:
        result = []
        for email in addresses(value):
            name, contact_id, staff_id = known.get(email.casefold(), (None, None, None))
            result.append(Recipient(name=name, email=email, contact_id=contact_id, staff_id=staff_id))
        return result

    return ResponseView(
        id=row["id"],
        customer_id=row["customer_id"],
        customer_name=row["customer_name"],
        risk_signal_id=row["risk_signal_id"],
        status=row["status"],
        sender_id=row["sender_id"] or row["csm_id"],
        to=recipients(row["to_addrs"]),
        cc=recipients(row["cc_addrs"]),
        subject=row["subject"],
        body=row["body"],
        in_reply_to=row["in_reply_to"],
        thread_id=row["thread_id"],
        content_hash=content_hash(row),
        updated_at=row["updated_at"],
    )


def get_response(store: Store, *, response_id: str) -> ResponseView:
    """The response as it stands now.

    Raises:
        NotFound: No such response.
    """
    with store.connection() as conn:
        return _view(conn, load_response(conn, response_id))


def _phrase(text: str) -> str:
    folded = " ".join(text.casefold().split())
    previous = None
    while previous != folded:
        previous, folded = folded, _FILLERS.sub("", folded).strip()
    return folded


def _unique_role(directory: list[StaffMember], role: str, who: str) -> StaffMember:
    holders = [s for s in directory if s.role == role]
    if len(holders) == 1:
        return holders[0]
    if not holders:
        raise Refused(f"nobody in the staff directory has the role {role} ('{who}')")
    raise Refused(
        f"'{who}' is ambiguous: {len(holders)} staff are {role}; name one",
        candidates=[f"{s.name} <{s.email}>" for s in holders],
    )


def _by_role(conn: Conn, row: Row, actor: StaffMember, who: str, directory: list[StaffMember]) -> StaffMember | None:
    phrase = _phrase(who)
    if phrase == "my manager":
        manager = staff_member(conn, actor.manager_id)
        if manager is None:
            raise Refused(f"{actor.name} has no manager in the staff directory")
        return manager
    if phrase in _MANAGER_WORDS:
        sender = sender_of(conn, row)
        manager = staff_member(conn, sender.manager_id)
        if manager is None:
            raise Refused(f"{sender.name} (the account's CSM) has no manager in the staff directory")
        return manager
    if phrase not in _ROLE_WORDS:
        return None
    column, role = _ROLE_WORDS[phrase]
    assigned: str | None = None
    if column == "ticket_assignee" and row["ticket_id"]:
        found = conn.execute("SELECT assignee_id FROM tickets WHERE id = %s", (row["ticket_id"],)).fetchone()
        assigned = found["assignee_id"] if found else None
    elif column is not None and column != "ticket_assignee":
        assigned = row[column]
    member = staff_member(conn, assigned)
    return member if member is not None else _unique_role(directory, role, who)


def _outsider_reason(conn: Conn, row: Row, who: str) -> str:
    """Why `who` cannot be CC'd: a customer contact, an outside address, or nobody known."""
    text = who.strip()
    contact = conn.execute(
        "SELECT c.name, c.email, k.name AS customer FROM contacts c JOIN customers k ON k.id = c.customer_id"
        " WHERE lower(c.email) = lower(%s) OR c.id = %s",
        (text, text),
    ).fetchone()
    if contact is not None:
        return (
            f"{contact['name']} <{contact['email']}> is a contact at {contact['customer']}, not internal staff; "
            "CCs are staff from the directory only (use edit --to to change the customer recipient)"
        )
    if "@" in text:
        return f"{text} is not in the staff directory; CCs can only be internal staff from the directory"
    return f"nobody called '{text}' in the staff directory"


def resolve_staff(conn: Conn, *, row: Row, actor: StaffMember, who: str) -> StaffMember:
    """The one staff member `who` means: id, email, name (full, first or last), or a role word.

    Raises:
        Refused: Unknown, outside or customer address, or ambiguous (candidates listed).
    """
    text = who.strip()
    if not text:
        raise Refused("say who to CC: a name, an email address or a role such as 'support lead'")
    if _BAD_HEADER_CHARS.search(text):
        raise Refused("a recipient may not contain line breaks or NUL characters")
    directory = all_staff(conn)
    exact = [s for s in directory if s.id == text or s.email.casefold() == text.casefold()]
    if exact:
        return exact[0]
    by_role = _by_role(conn, row, actor, text, directory)
    if by_role is not None:
        return by_role
    key = name_key(text)
    tiers = [
        [s for s in directory if name_key(s.name) == key],
        [s for s in directory if key and key in {name_key(part) for part in s.name.split()}],
        [s for s in directory if len(key) >= 3 and name_key(s.name).startswith(key)],
    ]
    for hits in tiers:
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise Refused(
                f"'{text}' matches {len(hits)} staff members; say which one",
                candidates=[f"{s.name} <{s.email}>" for s in hits],
            )
    raise Refused(_outsider_reason(conn, row, text))


def _begin(conn: Conn, *, response_id: str, actor_id: str | None, doing: str) -> tuple[Row, StaffMember]:
    row = load_response(conn, response_id, lock=True)
    actor = resolve_actor(conn, row, actor_id)
    require_response_access(conn, actor=actor, response_id=response_id)
    require_status(row, EDITABLE_STATES, doing)
    return row, actor


def _commit_change(conn: Conn, row: Row, actor: StaffMember, *, action: str, detail: dict[str, Any],
                   now: datetime) -> None:
    """Write the changed content, void approvals it invalidates, reset the state, audit."""
    new_hash = content_hash(row)
    conn.execute(
        "UPDATE escalation_responses SET to_addrs = %s, cc_addrs = %s, subject = %s, body = %s, updated_at = %s"
        " WHERE id = %s",
        (Jsonb(row["to_addrs"]), Jsonb(row["cc_addrs"]), row["subject"], row["body"], now, row["id"]),
    )
    audit(conn, actor=actor.id, entity=RESPONSE_ENTITY, entity_id=row["id"], action=action,
          detail={**detail, "content_hash": new_hash}, now=now)
    voided = conn.execute(
        "UPDATE approval_requests SET status = 'void', decided_at = %s, decided_by = %s,"
        " reason = 'content changed after the request' WHERE response_id = %s AND status IN ('pending', 'approved')"
        " AND content_hash <> %s RETURNING id, status",
        (now, actor.id, row["id"], new_hash),
    ).fetchall()
    for approval in voided:
        audit(conn, actor=actor.id, entity=APPROVAL_ENTITY, entity_id=approval["id"], action="void",
              detail={"reason": f"{action} on response {row['id']}"}, now=now)
    if row["status"] == "failed":
        # The provider draft holds the old content: the next send builds a new one.
        conn.execute(
            "UPDATE escalation_responses SET provider_draft_id = NULL, message_id = NULL WHERE id = %s", (row["id"],)
        )
    if row["status"] != "drafted" and (voided or row["status"] in ("rejected", "failed")):
        set_status(conn, row, "drafted", actor=actor.id, now=now, action="returned_to_draft",
                   detail={"because": action, "voided_approvals": [a["id"] for a in voided]})


def _check_text(value: str, *, field: str, header: bool) -> str:
    if not value.strip():
        raise Refused(f"the {field} may not be empty")
    if "\x00" in value or (header and _BAD_HEADER_CHARS.search(value)):
        raise Refused(f"the {field} may not contain {'line breaks or ' if header else ''}NUL characters")
    return value


def edit_response(store: Store, *, response_id: str, actor_id: str | None = None, subject: str | None = None,
                  body: str | None = None, replace: tuple[str, str] | None = None,
                  now: datetime | None = None) -> ResponseView:
    """Change the subject and/or body, or replace a piece of text in both.

    Args:
        store: The database.
        response_id: The response to edit.
        actor_id: Staff id of who edits; default the account's CSM.
        subject: New subject (one line).
        body: New plain-text body.
        replace: (old, new): replace every occurrence of `old` in the subject and body.
        now: Clock override.

    Raises:
        Refused: Nothing to change, text not found, header injection, wrong state or actor.
    """
    if subject is None and body is None and replace is None:
        raise Refused("nothing to edit: give a subject, a body or a replacement")
    at = utcnow(now)
    with store.transaction() as conn:
        row, actor = _begin(conn, response_id=response_id, actor_id=actor_id,
                            doing="edit")
        before = {"subject": row["subject"], "body": row["body"]}
        if subject is not None:
            row["subject"] = _check_text(subject, field="subject", header=True)
        if body is not None:
            row["body"] = _check_text(body, field="body", header=False)
        detail: dict[str, Any] = {}
        if replace is not None:
            old, new = replace
            count = row["subject"].count(old) + row["body"].count(old) if old else 0
            if not count:
                raise Refused(f"'{old}' does not occur in the subject or body")
            row["subject"] = _check_text(row["subject"].replace(old, new), field="subject", header=True)
            row["body"] = _check_text(row["body"].replace(old, new), field="body", header=False)
            detail["replaced"] = {"old": old, "new": new, "occurrences": count}
        changed = [f for f in ("subject", "body") if row[f] != before[f]]
        if not changed:
            return _view(conn, row)
        detail.update({"fields": changed, **{f"previous_{f}": before[f] for f in changed}})
        _commit_change(conn, row, actor, action="edited", detail=detail, now=at)
        return _view(conn, load_response(conn, response_id))


def add_cc(store: Store, *, response_id: str, who: str, actor_id: str | None = None, now: datetime | None = None) -> ResponseView:
    """CC a staff member (by id, email, name or role word); already CC'd is a no-op.

    Raises:
        Refused: Not staff (outside address, customer contact, unknown), the sender, ambiguous, wrong state.
    """
    at = utcnow(now)
    with store.transaction() as conn:
        row, actor = _begin(conn, response_id=response_id, actor_id=actor_id,
                            doing="change CCs")
        member = resolve_staff(conn, row=row, actor=actor, who=who)
        if member.id == sender_of(conn, row).id:
            raise Refused(f"{member.name} is the sender of this response; no need to CC them")
        cc = addresses(row["cc_addrs"])
        if member.email.casefold() in {a.casefold() for a in cc}:
            return _view(conn, row)
        row["cc_addrs"] = [*cc, member.email]
        _commit_change(conn, row, actor, action="cc_added", now=at,
                       detail={"staff_id": member.id, "email": member.email, "asked_for": who})
        return _view(conn, load_response(conn, response_id))


def remove_cc(store: Store, *, response_id: str, who: str, actor_id: str | None = None, now: datetime | None = None) -> ResponseView:
    """Remove a CC, named as for `add_cc` or by the address on the response.

    Raises:
        Refused: Not on CC, ambiguous, wrong state or actor.
    """
    at = utcnow(now)
    with store.transaction() as conn:
        row, actor = _begin(conn, response_id=response_id, actor_id=actor_id,
                            doing="change CCs")
        cc = addresses(row["cc_addrs"])
        target = who.strip().casefold()
        if target not in {a.casefold() for a in cc}:
            member = resolve_staff(conn, row=row, actor=actor, who=who)
            target = member.email.casefold()
            if target not in {a.casefold() for a in cc}:
                raise Refused(f"{member.name} <{member.email}> is not on CC")
        row["cc_addrs"] = [a for a in cc if a.casefold() != target]
        _commit_change(conn, row, actor, action="cc_removed", now=at,
                       detail={"email": target, "asked_for": who})
        return _view(conn, load_response(conn, response_id))


def _contact(conn: Conn, row: Row, who: str) -> dict[str, Any]:
    text = who.strip()
    if _BAD_HEADER_CHARS.search(text):
        raise Refused("a recipient may not contain line breaks or NUL characters")
    contacts = conn.execute(
        "SELECT c.id, c.customer_id, c.name, c.email, c.title, k.name AS customer FROM contacts c"
        " JOIN customers k ON k.id = c.customer_id ORDER BY c.name, c.id"
    ).fetchall()
    key = name_key(text)
    hits = [c for c in contacts if c["id"] == text or c["email"].casefold() == text.casefold()]
    if not hits:
        own = [c for c in contacts if c["customer_id"] == row["customer_id"]]
        for tier in (
            [c for c in own if name_key(c["name"]) == key],
            [c for c in own if key and key in {name_key(p) for p in c["name"].split()}],
        ):
            if len(tier) > 1:
                raise Refused(f"'{text}' matches {len(tier)} contacts at {row['customer_name']}; say which one",
                              candidates=[f"{c['name']} <{c['email']}>" for c in tier])
            if tier:
                hits = tier
                break
        else:
            hits = [c for c in contacts if name_key(c["name"]) == key]
    if not hits:
        staff = conn.execute("SELECT name FROM staff WHERE lower(email) = lower(%s)", (text,)).fetchone()
        if staff is not None:
            raise Refused(f"{staff['name']} is internal staff; To must be a contact of {row['customer_name']}")
        where = "address" if "@" in text else "person"
        raise Refused(f"the {where} '{text}' is not a contact of {row['customer_name']} on file; "
                      "To can only be one of the customer's contacts")
    contact = hits[0]
    if contact["customer_id"] != row["customer_id"]:
        raise Refused(f"{contact['name']} <{contact['email']}> is a contact of {contact['customer']}, "
                      f"not of {row['customer_name']}")
    return contact


def change_recipient(store: Store, *, response_id: str, contact: str, actor_id: str | None = None,
                     now: datetime | None = None) -> ResponseView:
    """Address the response to another contact of the same customer (by id, email or name).

    Raises:
        Refused: Another customer's contact, staff, an unknown address or person, wrong state or actor.
    """
    at = utcnow(now)
    with store.transaction() as conn:
        row, actor = _begin(conn, response_id=response_id, actor_id=actor_id,
                            doing="change the recipient")
        found = _contact(conn, row, contact)
        previous = addresses(row["to_addrs"])
        if previous == [found["email"]]:
            return _view(conn, row)
        row["to_addrs"] = [found["email"]]
        _commit_change(conn, row, actor, action="recipient_changed", now=at,
                       detail={"from": previous, "to": found["email"], "contact_id": found["id"]})
        return _view(conn, load_response(conn, response_id))

