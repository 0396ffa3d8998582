"""Who a CSM means: staff for CCs (by id, email, name or role word), a customer contact for To.

Role words are read relative to the account team: "my manager" is the actor's manager, "manager"
the CSM's; "support lead", "account executive" and "executive sponsor" are the customer's when
assigned, else the one holder of that role in the directory; "security", "billing",
"engineering" are the directory's one holder of that role; "support engineer" is the ticket's
assignee. Nobody outside the directory (or, for To, outside the customer's contacts) is ever
returned; the refusal says why.
"""

from __future__ import annotations

import re
from typing import Any

from ...errors import Refused
from ...models import StaffMember
from ...safe_text import text_problem
from ...store.responses import Conn, Row, all_staff, sender_of, staff_member
from ..context.customers import name_key

__all__ = ["resolve_contact", "resolve_staff"]

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


def _check_who(text: str) -> None:
    """Refuse a recipient named with control characters, line breaks or lone surrogates."""
    problem = text_problem(text, multiline=False)
    if problem is not None:
        raise Refused(f"a recipient {problem}")


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
    _check_who(text)
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


def resolve_contact(conn: Conn, *, row: Row, who: str) -> dict[str, Any]:
    """The contact of the response's customer `who` means: id, email, full or partial name.

    Raises:
        Refused: Another customer's contact, staff, an unknown address or person, or ambiguous.
    """
    text = who.strip()
    _check_who(text)
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
