"""From a CSM's sentence to the one escalation it is about, or a question back.

`locate_escalation` reads the mentions (`mentions.py`) and decides:

1. A risk signal id in the message names that escalation (several different ones: ask which).
2. Otherwise the customers named, directly or through one of their contacts, at the surest tier
   found (id or full name, then without legal form, a prefix or a first name, then a near miss); longer runs of words
   win over shorter ones inside them. One customer is the answer; two or more, or words that name
   several customers at that tier, are `AmbiguousCustomer` with the candidates: it asks, never guesses.
3. Nothing named: `CustomerNotFound`, with the closest customer names to what is left of the message
   once command and connecting words are taken out.

`on_named` runs one of the workflow's entries (`gather_context`, `open_or_create_draft`) on the
escalation a CSM's words name, so the chat's tools keep the one entry per use case of every door.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from pydantic import BaseModel, Field

from ...auth.access import acting_staff
from ...auth.actor import Actor
from ...errors import AmbiguousCustomer, CustomerNotFound
from ...models import StaffMember
from ...store import Store
from .customers import resolve_customer_on
from .mentions import Hit, Mentions, is_weak, read_mentions, words

__all__ = ["Located", "Target", "locate_escalation", "locate_on", "on_named"]

Conn = psycopg.Connection[dict[str, Any]]
T = TypeVar("T")


class Located(BaseModel):
    """The escalation a message is about."""

    customer_id: str = Field(description="The customer.")
    customer: str = Field(description="Its name.")
    signal_id: str | None = Field(default=None, description="The risk signal, when the message named one.")
    contact_id: str | None = Field(default=None, description="A contact of the customer the message named, if any.")
    contact: str | None = Field(default=None, description="That contact's name.")
    named_by: list[str] = Field(default_factory=list, description="The words that named it, in message order.")


def _non_overlapping(hits: list[Hit]) -> list[Hit]:
    """The surest, longest hits first; a hit inside words already taken is dropped."""
    taken: set[int] = set()
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.rank, -h.size, h.first)):
        span = set(range(hit.first, hit.last + 1))
        if not span & taken:
            kept.append(hit)
            taken |= span
    return kept


def _located(hits: list[Hit], customer_id: str, signal_id: str | None) -> Located:
    own = sorted((h for h in hits if h.customer_id == customer_id), key=lambda h: h.first)
    contact = next((h for h in own if h.kind == "contact"), None)
    return Located(
        customer_id=customer_id,
        customer=own[0].customer,
        signal_id=signal_id,
        contact_id=contact.ref_id if contact else None,
        contact=contact.name if contact else None,
        named_by=list(dict.fromkeys(h.text for h in own)),
    )


def _by_signal(signals: list[Hit], hits: list[Hit]) -> Located:
    distinct = {h.ref_id: h for h in signals}
    if len(distinct) > 1:
        labels = [{"id": h.ref_id, "label": h.ref_id, "detail": h.customer} for h in distinct.values()]
        raise AmbiguousCustomer("context.many_escalations", candidates=labels, found=list(distinct.values()))
    (signal,) = distinct.values()
    return _located(hits, signal.customer_id, signal.ref_id)


def _residual(mentions: Mentions) -> str:
    return " ".join(w.core for w in mentions.words if not is_weak(w))


def _not_found(conn: Conn, mentions: Mentions, actor: StaffMember | None) -> CustomerNotFound:
    residual = _residual(mentions)
    if not residual:
        return CustomerNotFound("context.names_nothing", candidates=[])
    try:
        resolve_customer_on(conn, query=residual, actor=actor)
    except (CustomerNotFound, AmbiguousCustomer) as err:
        return CustomerNotFound("context.nothing_matches", candidates=err.candidates, text=residual)
    return CustomerNotFound("context.nothing_matches", candidates=[], text=residual)


def locate_on(conn: Conn, *, text: str, actor: StaffMember | None) -> Located:
    """`locate_escalation` on an open connection."""
    mentions = read_mentions(conn, text=text, actor=actor)
    signals = [h for h in mentions.hits if h.kind == "signal"]
    if signals:
        return _by_signal(signals, mentions.hits)
    kept = _non_overlapping(mentions.hits)
    if not kept and not mentions.ambiguous:
        raise _not_found(conn, mentions, actor)
    best = min([h.rank for h in kept] + [a.rank for a in mentions.ambiguous])
    chosen = {h.customer_id: h for h in kept if h.rank == best}
    taken = {i for h in kept for i in range(h.first, h.last + 1)}
    unclear = [a for a in mentions.ambiguous if a.rank <= best and not set(range(a.first, a.last + 1)) & taken]
    if len(chosen) == 1 and not unclear:
        return _located(kept, next(iter(chosen)), None)
    if unclear and not chosen:
        first = unclear[0]
        raise AmbiguousCustomer("context.ambiguous_customer", candidates=first.candidates, query=first.text,
                                total=len(first.candidates), labels=first.candidates)
    names = [h.customer for h in chosen.values()] + [c for a in unclear for c in a.candidates]
    names = list(dict.fromkeys(names))
    raise AmbiguousCustomer("context.many_customers", candidates=names, names=names)


def locate_escalation(store: Store, *, text: str, actor: Actor) -> Located:
    """The escalation a CSM's sentence is about: a signal id, a customer or a contact in it.

    Args:
        store: The database.
        text: What the CSM typed ("I need to respond to Michael at DataFlow", "answer rs-1003").
        actor: Who asks; a staff member finds only the customers they may reach (the account's CSM: every one).

    Raises:
        AmbiguousCustomer: It names several escalations or customers, or words that fit several customers.
        CustomerNotFound: It names nothing the actor may reach (closest names in `candidates`).
        NotFound: The actor's staff id is not in the staff directory.
    """
    if not words(text):
        raise CustomerNotFound("context.names_nothing", candidates=[])
    with store.connection() as conn:
        return locate_on(conn, text=text, actor=acting_staff(conn, actor))


class Target(BaseModel):
    """A plain target for the workflow's entries: a risk signal id, or what names one customer."""

    customer: str | None = Field(default=None, description="A customer id or name (None with a signal id).")
    signal_id: str | None = Field(default=None, description="A risk signal id.")


def _quietly(store: Store, text: str, actor: Actor) -> Located | None:
    try:
        return locate_escalation(store, text=text, actor=actor)
    except (CustomerNotFound, AmbiguousCustomer):
        return None


def on_named(
    store: Store,
    act: Callable[[Target], T],
    *,
    actor: Actor,
    customer: str | None = None,
    signal_id: str | None = None,
    request: str | None = None,
) -> tuple[T, Located | None]:
    """Run a workflow entry (`act`) on the escalation a CSM named, and say how their words named it.

    A signal id wins. A customer name that matches no customer is read like a sentence (a contact's
    name, "Michael at DataFlow"); when that finds nothing either, the entry's own error stands.
    `request` alone is always read for the customer, contact or signal in it. The second value is how
    the words named the escalation (None for a plain id or name).

    Args:
        store: The database.
        act: The entry to run, e.g. `gather_context` or `open_or_create_draft` for the target.
        actor: Who asks; only customers they may reach are read.
        customer: A customer id or name as the CSM typed it.
        signal_id: A risk signal id.
        request: The CSM's words, read for a name when neither of the others is given.

    Raises:
        The errors of `act` and of `locate_escalation`.
    """
    if signal_id is not None:
        return act(Target(signal_id=signal_id)), None
    if customer is None:
        found = locate_escalation(store, text=request or "", actor=actor)
    else:
        try:
            return act(Target(customer=customer)), None
        except CustomerNotFound:
            quiet = _quietly(store, customer, actor)
            if quiet is None:
                raise
            found = quiet
    target = Target(signal_id=found.signal_id) if found.signal_id else Target(customer=found.customer_id)
    return act(target), found
