"""Draft the next status update of an escalation thread (the one function every door calls).

`draft_update` takes any sent message of the thread (usually the one `escalation updates` lists), an
escalation (its signal id), or a customer (its thread whose next update is due soonest), follows the
latest sent message, and saves
an update (or, once the escalation is resolved, the closing email) as a `drafted` response of kind
`update`/`closing`. It then goes through the same review, send gate, approval and exactly-once send
as a first response; the send path refuses it once the thread has moved on
(`thread.require_current_update`), and sending it moves the clock (`hook`). An update already
drafted for the same message and not sent is opened instead of a second one: the check and the save
hold the escalation's drafting lock (`drafting.open.signal_lock`).
"""

from __future__ import annotations

from datetime import datetime

from ...auth.access import acting_staff, require_response_reach
from ...auth.actor import Actor
from ...errors import InvalidRequest, Refused
from ...models import Draft
from ...store import Store
from ...store.responses import Conn, Row, load_response
from ...utc import utcnow
from ..context.customers import resolve_customer_on
from ..context.gather import gather_on
from ..context.target import reachable_signal
from ..drafting.open import OpenedDraft, signal_lock
from ..drafting.responses import load_draft_on, save_draft_on
from ..policy import Policy
from .thread import latest_sent
from .update_text import compose_update

__all__ = ["draft_update"]


def _first_of(conn: Conn, signal_id: str) -> Draft | None:
    row = conn.execute(
        "SELECT draft FROM escalation_responses WHERE risk_signal_id = %s AND kind = 'first' AND status = 'sent'"
        " ORDER BY sent_at, id LIMIT 1",
        (signal_id,),
    ).fetchone()
    return Draft.model_validate(row["draft"]) if row else None


def _owed_for_customer(conn: Conn, *, actor: Actor, customer: str) -> str:
    """The sent message of the customer's thread whose next update is due soonest (among reachable customers)."""
    found = resolve_customer_on(conn, query=customer, actor=acting_staff(conn, actor))
    row = conn.execute(
        "SELECT r.id FROM escalation_responses r WHERE r.customer_id = %s AND r.status = 'sent'"
        " AND r.next_update_due IS NOT NULL ORDER BY r.next_update_due, r.sent_at DESC LIMIT 1",
        (found.id,),
    ).fetchone()
    if row is None:
        raise Refused("delivery.nothing_waiting", customer=found.name)
    return str(row["id"])


def _sent_of_signal(conn: Conn, *, actor: Actor, signal_id: str) -> str:
    """A sent message of escalation `signal_id` (one the actor may reach)."""
    found = reachable_signal(conn, signal_id, acting_staff(conn, actor))
    latest = latest_sent(conn, signal_id=found.id)
    if latest is None:
        raise Refused("delivery.nothing_sent", signal_id=found.id)
    return str(latest["id"])


def _latest_of_thread(conn: Conn, given: Row) -> Row:
    """The latest sent message of `given`'s escalation, refusing a thread with nothing sent or already closed."""
    latest = latest_sent(conn, signal_id=given["risk_signal_id"])
    if latest is None:
        raise Refused("delivery.nothing_sent", signal_id=given["risk_signal_id"], response_id=given["id"])
    if latest["kind"] == "closing":
        raise Refused("delivery.no_update_owed", signal_id=given["risk_signal_id"], response_id=latest["id"])
    return load_response(conn, latest["id"])


def draft_update(
    store: Store,
    *,
    actor: Actor,
    policy: Policy,
    response_id: str | None = None,
    signal_id: str | None = None,
    customer: str | None = None,
    now: datetime | None = None,
) -> OpenedDraft:
    """The next update of a thread, drafted now or already waiting.

    Args:
        store: The database.
        actor: Who drafts (audited; a staff member reaches only their customers' threads).
        policy: SLA cadence and timeline plan.
        response_id: A sent message of the thread; wins over the others.
        signal_id: The escalation; wins over `customer`.
        customer: What the CSM typed to name the customer: its thread whose next update is due soonest.
        now: The moment of the update (default: now).

    Raises:
        InvalidRequest: None of `response_id`, `signal_id` and `customer` given.
        NotFound: No such response or signal, one the actor may not reach, or an unknown actor.
        CustomerNotFound, AmbiguousCustomer: `customer` does not name one reachable customer.
        Refused: Nothing of the thread was sent yet, or its closing email already was.
    """
    if response_id is None and signal_id is None and customer is None:
        raise InvalidRequest("delivery.update_target")
    moment = utcnow(now)
    with store.connection() as conn:
        if response_id is None and signal_id is not None:
            response_id = _sent_of_signal(conn, actor=actor, signal_id=signal_id)
        elif response_id is None:
            response_id = _owed_for_customer(conn, actor=actor, customer=customer or "")
        require_response_reach(conn, actor=actor, response_id=response_id)
        given = load_response(conn, response_id)
        with signal_lock(conn, given["risk_signal_id"]):
            latest = _latest_of_thread(conn, given)
            waiting = conn.execute(
                "SELECT id FROM escalation_responses WHERE follows_response_id = %s AND status NOT IN ('sent', 'rejected')"
                " ORDER BY created_at DESC, id DESC LIMIT 1",
                (latest["id"],),
            ).fetchone()
            if waiting is not None:
                return OpenedDraft(draft=load_draft_on(conn, response_id=waiting["id"], policy=policy.email), created=False)
            first = _first_of(conn, latest["risk_signal_id"])
            if first is None:
                raise Refused("delivery.no_first_sent", signal_id=latest["risk_signal_id"])
            ctx = gather_on(conn, actor=actor, signal_id=latest["risk_signal_id"], now=moment)
            draft = compose_update(ctx, first=first, last=latest, policy=policy, now=moment)
            who = actor.audit_id(ctx.team.csm.id if ctx.team.csm else None)
            return OpenedDraft(draft=save_draft_on(conn, draft, actor=who, now=moment), created=True)
