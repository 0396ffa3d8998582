"""Customer resolution: from what a CSM types to exactly one customer, or a helpful error.

Matching runs in tiers and stops at the first tier that finds anything:

1. **Certain**: the customer id, or the full name ignoring case, accents, punctuation and spacing
   ("dataflow inc", "Data-Flow Inc." and "DATAFLOW INC" all equal "DataFlow Inc.").
2. **Plausible**: the name without its legal form ("dataflow" for "DataFlow Inc.") or a prefix of the
   name ("bright" for "Brightpath Retail").
3. **Close**: a fuzzy match (rapidfuzz ratio) above a cutoff, for typos ("dataflwo").

One hit in a tier is the answer; two or more is `AmbiguousCustomer` listing them; nothing in any tier
is `CustomerNotFound` with the closest names as suggestions.

In the database the first two tiers are index lookups on the comparison keys the world loader stores
beside every name (`store/name_keys.py`), and the fuzzy tier scores a bounded set of candidates that
share the most trigrams with the query (`customer_lookup.py`), so the cost does not grow with the
number of customers.

Given an acting staff member, only the customers they may reach (see `access`) take part: a customer
they cannot reach is never matched, listed as a candidate or suggested, so it is answered exactly like
a customer that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from pydantic import BaseModel, Field
from rapidfuzz import fuzz

from ...auth.access import require_staff
from ...errors import AmbiguousCustomer, CustomerNotFound
from ...models import StaffMember
from ...store import Store
from ...store.name_keys import name_key
from .customer_lookup import Candidate, Directory, IndexedDirectory, ListDirectory, Tier

__all__ = ["ResolvedCustomer", "match_customer", "name_key", "resolve_customer", "resolve_customer_on"]

_FUZZY_CUTOFF = 0.85
_FUZZY_TIE = 0.05
_SUGGESTION_CUTOFF = 0.5
_MAX_SUGGESTIONS = 3
_MIN_FUZZY_PREFIX = 4


class ResolvedCustomer(BaseModel):
    """The customer a query resolved to."""

    id: str = Field(description="Customer id.")
    name: str = Field(description="Account name.")


def _labels(hits: Sequence[Candidate], directory: Directory) -> list[str]:
    """How candidates are listed: the name, with the id when another reachable customer has that name."""
    repeated = directory.repeated_keys({hit.key for hit in hits})
    return [f"{hit.name} ({hit.id})" if hit.key in repeated else hit.name for hit in hits]


def _decide(tier: Tier, *, query: str, directory: Directory) -> ResolvedCustomer:
    if tier.total == 1:
        return ResolvedCustomer(id=tier.hits[0].id, name=tier.hits[0].name)
    labels = _labels(sorted(tier.hits, key=lambda c: (c.name.casefold(), c.id)), directory)
    raise AmbiguousCustomer("context.ambiguous_customer", candidates=labels, query=query, total=tier.total, labels=labels)


def _similarity(query_key: str, candidate: Candidate) -> float:
    """Best ratio of the query against the name, the name without legal form, and (for a query of a
    few letters or more) the start of the name, so a mistyped prefix still counts."""
    keys = [candidate.base, candidate.key]
    if len(query_key) >= _MIN_FUZZY_PREFIX:
        keys.append(candidate.base[: len(query_key)])
    return max(fuzz.ratio(query_key, key) for key in keys) / 100


def _resolve(directory: Directory, query: str) -> ResolvedCustomer:
    text = query.strip()
    full = name_key(text)
    base = name_key(text, drop_legal_form=True)
    if not full:
        raise CustomerNotFound("context.no_name", candidates=[])
    tiers = directory.tiers(text, full, base)
    if tiers.by_id is not None:
        return ResolvedCustomer(id=tiers.by_id.id, name=tiers.by_id.name)
    for tier in (tiers.certain, tiers.plausible):
        if tier.total:
            return _decide(tier, query=text, directory=directory)

    pool = directory.near(base)
    scored = sorted(((_similarity(base, c), c) for c in pool), key=lambda sc: (-sc[0], sc[1].name, sc[1].id))
    close = [c for score, c in scored if score >= _FUZZY_CUTOFF and score >= scored[0][0] - _FUZZY_TIE]
    if close:
        return _decide(Tier(hits=close, total=len(close)), query=text, directory=directory)
    near = [c for score, c in scored[:_MAX_SUGGESTIONS] if score >= _SUGGESTION_CUTOFF]
    raise CustomerNotFound("context.no_match", candidates=_labels(near, directory), text=text)


def match_customer(*, customers: Sequence[ResolvedCustomer], query: str) -> ResolvedCustomer:
    """Pick the one customer `query` means among `customers` (pure; see the module docstring for the tiers).

    Args:
        customers: Every customer that may be meant.
        query: What the user typed: an id or (part of) a name.

    Raises:
        AmbiguousCustomer: Two or more customers match equally well.
        CustomerNotFound: Nothing matches; candidates are the closest names.
    """
    return _resolve(ListDirectory.of(customers), query)


def resolve_customer_on(
    conn: psycopg.Connection[dict[str, Any]], *, query: str, actor: StaffMember | None = None
) -> ResolvedCustomer:
    """`resolve_customer` on an open connection: a few index lookups, scoped to what `actor` reaches."""
    return _resolve(IndexedDirectory(conn, actor=actor), query)


def resolve_customer(store: Store, *, query: str, actor_id: str | None = None) -> ResolvedCustomer:
    """Resolve what a CSM typed (id, name, part of a name, or a near miss) to one customer.

    Args:
        store: The database.
        query: What the user typed.
        actor_id: Who asks; when given, only customers they may reach are matched, listed or suggested
            (None: every customer, for admin and library use).

    Raises:
        AmbiguousCustomer: Two or more plausible customers (listed in `candidates`).
        CustomerNotFound: No match (closest names in `candidates`), or only customers `actor_id` may not reach.
        NotFound: `actor_id` is not in the staff directory.
    """
    with store.connection() as conn:
        actor = require_staff(conn, staff_id=actor_id) if actor_id is not None else None
        return resolve_customer_on(conn, query=query, actor=actor)
