"""Step 4 review: edit the subject and body, CC staff from the directory, switch To to another contact.

Recipients never come from free text: a CC is a staff member found by id, email, name or a role
word relative to the account team ("my manager", "support lead", "account executive", "security"),
and To is a contact of the same customer. Anything else is refused with the reason. Every change
is audited with the actor, and a change to the content voids a pending or granted approval.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from pydantic import Field

from ...auth.access import lock_reachable_response, require_response_reach
from ...auth.actor import Actor
from ...errors import InvalidRequest, NotFound, Refused
from ...models import EscalationContext, Recipient, StaffMember
from ...rendering import phrases
from ...safe_text import MAX_SUBJECT_LENGTH, header_problem, text_problem
from ...store import Store
from ...store.responses import (
    RESPONSE_ENTITY,
    Conn,
    ResponseHead,
    Row,
    addresses,
    audit,
    content_hash,
    display_names,
    load_response,
    require_status,
    sender_of,
    set_status,
    void_approvals,
)
from ...utc import utcnow
from ..context.gather import gather_on
from ..policy import Policy
from .readdress import readdressed
from .recipients import resolve_contact, resolve_staff

__all__ = [
    "EDITABLE_STATES",
    "Recipient",
    "ResponseView",
    "add_cc",
    "change_recipient",
    "edit_response",
    "get_response",
    "remove_cc",
    "revise_response",
]

EDITABLE_STATES = ("drafted", "pending_approval", "approved", "failed", "rejected")


class ResponseView(ResponseHead):
    """A response as the CSM reviews it."""

    sender_id: str | None = Field(default=None, description="Staff id of the sender (the account's CSM).")
    to: list[Recipient] = Field(default_factory=list, description="To recipients.")
    cc: list[Recipient] = Field(default_factory=list, description="CC recipients (staff).")
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


def get_response(store: Store, *, response_id: str, actor: Actor) -> ResponseView:
    """The response as it stands now.

    Raises:
        NotFound: No such response, one of a customer the actor may not reach, or an unknown actor.
    """
    with store.connection() as conn:
        require_response_reach(conn, actor=actor, response_id=response_id)
        return _view(conn, load_response(conn, response_id))


def _begin(conn: Conn, *, response_id: str, actor: Actor, doing: str) -> tuple[Row, StaffMember]:
    row, staff = lock_reachable_response(conn, response_id=response_id, actor_id=actor.staff_id)
    require_status(row, EDITABLE_STATES, doing)
    return row, staff


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
    voided = void_approvals(conn, response_id=row["id"], actor=actor.id, now=now, unless_hash=new_hash,
                            reason=phrases("delivery/reasons.j2").content_changed(),
                            audit_detail={"reason": phrases("delivery/reasons.j2").edited(action, row["id"])})
    if row["status"] == "failed":
        # The provider draft holds the old content: the next send deletes it (asking the provider by
        # the response's Message-ID, which stays the same) and builds a new one.
        conn.execute("UPDATE escalation_responses SET provider_draft_id = NULL WHERE id = %s", (row["id"],))
    if row["status"] != "drafted" and (voided or row["status"] in ("rejected", "failed")):
        set_status(conn, row, "drafted", actor=actor.id, now=now, action="returned_to_draft",
                   detail={"because": action, "voided_approvals": voided})


def _check_text(value: str, *, field: str, header: bool) -> str:
    """`value` if it may be the subject (the send path's header rule) or the body, else InvalidRequest."""
    if not value.strip():
        raise InvalidRequest("text.empty_field", field=field)
    problem = header_problem(value, max_length=MAX_SUBJECT_LENGTH) if header else text_problem(value, multiline=True)
    if problem is not None:
        raise InvalidRequest("text.bad_field", field=field, problem=problem)
    return value


def _edit_on(conn: Conn, *, response_id: str, actor: Actor, subject: str | None, body: str | None,
             replace: tuple[str, str] | None, at: datetime) -> ResponseView:
    row, staff = _begin(conn, response_id=response_id, actor=actor, doing="edit")
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
            raise Refused("review.not_in_text", old=old)
        row["subject"] = _check_text(row["subject"].replace(old, new), field="subject", header=True)
        row["body"] = _check_text(row["body"].replace(old, new), field="body", header=False)
        detail["replaced"] = {"old": old, "new": new, "occurrences": count}
    changed = [f for f in ("subject", "body") if row[f] != before[f]]
    if not changed:
        return _view(conn, row)
    detail.update({"fields": changed, **{f"previous_{f}": before[f] for f in changed}})
    _commit_change(conn, row, staff, action="edited", detail=detail, now=at)
    return _view(conn, load_response(conn, response_id))


def edit_response(store: Store, *, response_id: str, actor: Actor, subject: str | None = None,
                  body: str | None = None, replace: tuple[str, str] | None = None,
                  now: datetime | None = None) -> ResponseView:
    """Change the subject and/or body, or replace a piece of text in both (`revise_response` without To;
    the arguments are its own).

    Raises:
        InvalidRequest: A subject the header rule refuses (`safe_text.header_problem`, as sending
            applies it), an empty subject or body, or a body with NUL or control characters.
        Refused: Nothing to change, text not found, wrong state or actor.
    """
    if subject is None and body is None and replace is None:
        raise Refused("review.nothing_to_edit")
    return revise_response(store, response_id=response_id, actor=actor, subject=subject, body=body, replace=replace,
                           now=now)


def add_cc(store: Store, *, response_id: str, who: str, actor: Actor, now: datetime | None = None) -> ResponseView:
    """CC a staff member (by id, email, name or role word); already CC'd is a no-op.

    Raises:
        Refused: Not staff (outside address, customer contact, unknown), the sender, ambiguous, wrong state.
    """
    at = utcnow(now)
    with store.transaction() as conn:
        row, staff = _begin(conn, response_id=response_id, actor=actor, doing="change_ccs")
        member = resolve_staff(conn, row=row, actor=staff, who=who)
        if member.id == sender_of(conn, row).id:
            raise Refused("review.cc_is_sender", name=member.name)
        cc = addresses(row["cc_addrs"])
        if member.email.casefold() in {a.casefold() for a in cc}:
            return _view(conn, row)
        row["cc_addrs"] = [*cc, member.email]
        _commit_change(conn, row, staff, action="cc_added", now=at,
                       detail={"staff_id": member.id, "email": member.email, "asked_for": who})
        return _view(conn, load_response(conn, response_id))


def remove_cc(store: Store, *, response_id: str, who: str, actor: Actor, now: datetime | None = None) -> ResponseView:
    """Remove a CC, named as for `add_cc` or by the address on the response.

    Raises:
        Refused: Not on CC, ambiguous, wrong state or actor.
    """
    at = utcnow(now)
    with store.transaction() as conn:
        row, staff = _begin(conn, response_id=response_id, actor=actor, doing="change_ccs")
        cc = addresses(row["cc_addrs"])
        target = who.strip().casefold()
        if target not in {a.casefold() for a in cc}:
            member = resolve_staff(conn, row=row, actor=staff, who=who)
            target = member.email.casefold()
            if target not in {a.casefold() for a in cc}:
                raise Refused("review.not_on_cc", name=member.name, email=member.email)
        row["cc_addrs"] = [a for a in cc if a.casefold() != target]
        _commit_change(conn, row, staff, action="cc_removed", now=at,
                       detail={"email": target, "asked_for": who})
        return _view(conn, load_response(conn, response_id))


def _recipient_on(conn: Conn, *, response_id: str, contact: str, actor: Actor, ctx: EscalationContext,
                  policy: Policy, at: datetime) -> ResponseView:
    row, staff = _begin(conn, response_id=response_id, actor=actor, doing="change_recipient")
    found = resolve_contact(conn, row=row, who=contact)
    previous = addresses(row["to_addrs"])
    if previous == [found["email"]]:
        return _view(conn, row)
    old = display_names(conn, previous).get(previous[0].casefold(), (None,))[0] if previous else None
    row["body"], draft = readdressed(row, ctx=ctx, contact=found, old_name=old, policy=policy, now=at)
    row["to_addrs"] = [found["email"]]
    if draft is not None:
        conn.execute("UPDATE escalation_responses SET draft = %s WHERE id = %s", (Jsonb(draft.to_json()), row["id"]))
    _commit_change(conn, row, staff, action="recipient_changed", now=at,
                   detail={"from": previous, "to": found["email"], "contact_id": found["id"]})
    return _view(conn, load_response(conn, response_id))


def _signal_context(conn: Conn, *, response_id: str, actor: Actor, at: datetime) -> EscalationContext:
    """The context of the response's escalation, read before the edit's transaction (its own snapshot)."""
    require_response_reach(conn, actor=actor, response_id=response_id)
    row = conn.execute("SELECT risk_signal_id FROM escalation_responses WHERE id = %s", (response_id,)).fetchone()
    if row is None:
        raise NotFound("access.no_response", response_id=response_id)
    return gather_on(conn, actor=actor, signal_id=row["risk_signal_id"], now=at)


def change_recipient(store: Store, *, response_id: str, contact: str, actor: Actor, policy: Policy | None = None,
                     now: datetime | None = None) -> ResponseView:
    """Address the response to another contact of the same customer (by id, email or name).

    The draft follows the new person (readdress.py): re-drafted when untouched, its greeting and quote
    attributions fixed (with a review note) when the CSM edited the body by hand.

    Raises:
        Refused: Another customer's contact, staff, an unknown address or person, wrong state or actor.
    """
    return revise_response(store, response_id=response_id, actor=actor, to=contact, policy=policy, now=now)


def revise_response(store: Store, *, response_id: str, actor: Actor, to: str | None = None,
                    subject: str | None = None, body: str | None = None, replace: tuple[str, str] | None = None,
                    policy: Policy | None = None, now: datetime | None = None) -> ResponseView:
    """One review edit as every door offers it: change To (when given), then the subject and body, in
    one transaction (a refused part changes nothing).

    Args:
        store: The database.
        response_id: The response to edit.
        actor: Who edits (a staff member, or the account's CSM).
        to: Another contact of the same customer (id, email or name).
        subject: New subject (one line).
        body: New plain-text body.
        replace: (old, new): replace every occurrence of `old` in the subject and body.
        policy: The policy a re-drafted body follows when To changes (default policy if omitted).
        now: Clock override.

    Raises:
        InvalidRequest: Nothing to edit, or text `edit_response` refuses.
        Refused / NotFound: As `change_recipient` and `edit_response`.
    """
    text_change = subject is not None or body is not None or replace is not None
    if to is None and not text_change:
        raise InvalidRequest("review.nothing_to_change")
    at = utcnow(now)
    with store.connection() as conn:
        ctx = _signal_context(conn, response_id=response_id, actor=actor, at=at) if to is not None else None
        with conn.transaction():
            return _revise_on(conn, response_id=response_id, actor=actor, to=to, ctx=ctx, policy=policy or Policy(),
                              subject=subject, body=body, replace=replace, at=at)


def _revise_on(conn: Conn, *, response_id: str, actor: Actor, to: str | None, ctx: EscalationContext | None,
               policy: Policy, subject: str | None, body: str | None, replace: tuple[str, str] | None,
               at: datetime) -> ResponseView:
    view = None
    if to is not None and ctx is not None:
        view = _recipient_on(conn, response_id=response_id, contact=to, actor=actor, ctx=ctx, policy=policy, at=at)
    if subject is not None or body is not None or replace is not None:
        view = _edit_on(conn, response_id=response_id, actor=actor, subject=subject, body=body, replace=replace, at=at)
    assert view is not None
    return view
