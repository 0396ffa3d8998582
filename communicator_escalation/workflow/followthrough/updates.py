"""Draft the next status update of an escalation thread (the one function every door calls).

`draft_update` takes any sent message of the thread (usually the one `escalation updates` lists),
follows the latest sent one, and saves an update (or, once the escalation is resolved, the closing
email) as a `drafted` response of kind `update`/`closing`. It then goes through the same review,
gate, approval and exactly-once send as a first response; the send path refuses it once the thread
has moved on (`thread.require_current_update`), and sending it moves the clock (`hook`).
An update already drafted for the same message and not sent is opened instead of a second one.
"""

from __future__ import annotations

from datetime import datetime

from ...auth.access import require_response_access, require_staff
from ...errors import Refused
from ...models import Draft
from ...store import Store
from ...store.responses import load_response, resolve_actor, utcnow
from ..context.customers import resolve_customer_on
from ..context.gather import gather_context
from ..drafting.responses import load_draft, save_draft
from ..policy import Policy
from .thread import latest_sent
from .update_text import compose_update

__all__ = ["draft_update", "latest_sent_for_customer"]


def _first_of(store: Store, signal_id: str) -> Draft | None:
    with store.connection() as conn:
        row = conn.execute(
            "SELECT draft FROM escalation_responses WHERE risk_signal_id = %s AND kind = 'first' AND status = 'sent'"
            " ORDER BY sent_at, id LIMIT 1",
            (signal_id,),
        ).fetchone()
    return Draft.model_validate(row["draft"]) if row else None


def draft_update(store: Store, *, response_id: str, policy: Policy, actor_id: str | None = None,
                 now: datetime | None = None, recorded_as: str | None = None) -> tuple[Draft, bool]:
    """The next update of the thread of `response_id`, drafted now or already waiting; returns (draft, created).

    `actor_id` (default: the account's CSM) must reach the customer; the draft is recorded as made
    by `recorded_as` when given (the worker), else by the actor.

    Raises:
        NotFound: no such response, or one of a customer the actor may not reach.
        Refused: nothing of the thread was sent yet, or its closing email already was.
    """
    moment = utcnow(now)
    with store.connection() as conn:
        given = load_response(conn, response_id)
        actor = resolve_actor(conn, given, actor_id)
        require_response_access(conn, actor=actor, response_id=response_id)
        latest = latest_sent(conn, signal_id=given["risk_signal_id"])
        if latest is not None:
            latest = load_response(conn, latest["id"])
    if latest is None:
        raise Refused(f"nothing of escalation {given['risk_signal_id']} was sent yet: send response {response_id} first")
    if latest["kind"] == "closing":
        raise Refused(f"escalation {given['risk_signal_id']} was closed by response {latest['id']}; no update is owed")
    with store.connection() as conn:
        waiting = conn.execute(
            "SELECT id FROM escalation_responses WHERE follows_response_id = %s AND status NOT IN ('sent', 'rejected')"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (latest["id"],),
        ).fetchone()
    if waiting is not None:
        return load_draft(store, response_id=waiting["id"]), False
    first = _first_of(store, latest["risk_signal_id"])
    if first is None:
        raise Refused(f"escalation {latest['risk_signal_id']} has no sent first response to follow up on")
    ctx = gather_context(store, signal_id=latest["risk_signal_id"], now=moment)
    draft = compose_update(ctx, first=first, last=latest, policy=policy, now=moment)
    return save_draft(store, draft, actor=recorded_as or actor.id, now=moment), True


def latest_sent_for_customer(store: Store, *, customer: str, actor_id: str | None = None) -> str:
    """The latest sent message of the customer's most recently answered open (or unclosed) escalation.

    Raises:
        CustomerNotFound, AmbiguousCustomer: `customer` does not name one (reachable) customer.
        Refused: nothing was sent to the customer that an update could follow.
    """
    with store.connection() as conn:
        actor = require_staff(conn, staff_id=actor_id) if actor_id is not None else None
        found = resolve_customer_on(conn, query=customer, actor=actor)
        row = conn.execute(
            "SELECT r.id FROM escalation_responses r WHERE r.customer_id = %s AND r.status = 'sent'"
            " AND r.next_update_due IS NOT NULL ORDER BY r.next_update_due, r.sent_at DESC LIMIT 1",
            (found.id,),
        ).fetchone()
    if row is None:
        raise Refused(f"no escalation of {found.name} is waiting for an update: send its first response first")
    return str(row["id"])
