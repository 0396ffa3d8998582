"""Customer resolution: from what a CSM types to exactly one customer, or a helpful error.

Matching runs in tiers and stops at the first tier that finds anything:

1. **Certain**: the customer id, or the full name ignoring case, accents, punctuation and spacing
   ("dataflow inc", "Data-Flow Inc." and "DATAFLOW INC" all equal "DataFlow Inc.").
2. **Plausible**: the name without its legal form ("dataflow" for "DataFlow Inc.") or a prefix of the
   name ("bright" for "Brightpath Retail").
3. **Close**: a fuzzy match (difflib ratio) above a cutoff, for typos ("dataflwo").

One hit in a tier is the answer; two or more is `AmbiguousCustomer` listing them; nothing in any tier
is `CustomerNotFound` with the closest names as suggestions.

Given an acting staff member, only the customers they may reach (see `access`) take part: a customer
they cannot reach is never matched, listed as a candidate or suggested, so it is answered exactly like
a customer that does not exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any

import psycopg
from pydantic import BaseModel, Field

from ...auth.access import require_staff, visible_customer_ids
from ...errors import AmbiguousCustomer, CustomerNotFound
from ...models import StaffMember
from ...store import Store

__all__ = ["ResolvedCustomer", "match_customer", "name_key", "resolve_customer", "resolve_customer_on"]

# Legal forms dropped from the end of a name (compared after normalisation).
_LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "corp", "corporation", "co", "company",
        "plc", "pty", "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "ab", "as", "oy",
        "kk", "pte", "sl", "group",
    }
)
# Legal forms written without spaces in CJK names, dropped from either end (longest first).
_CJK_LEGAL_AFFIXES = ("股份有限公司", "株式会社", "有限会社", "合同会社", "有限公司", "주식회사", "公司")
# "&", "and", "und", "et" between words are the same connector; drop them ("Müller und Söhne").
_CONNECTORS = frozenset({"and", "und", "et"})
_SEPARATORS = re.compile(r"[\W_]+")
_FUZZY_CUTOFF = 0.85
_FUZZY_TIE = 0.05
_SUGGESTION_CUTOFF = 0.5
_MAX_SUGGESTIONS = 3
_MIN_PREFIX = 2
_MIN_FUZZY_PREFIX = 4


class ResolvedCustomer(BaseModel):
    """The customer a query resolved to."""

    id: str = Field(description="Customer id.")
    name: str = Field(description="Account name.")


def _fold(text: str) -> str:
    """Case- and accent-insensitive form: NFKD, combining marks dropped, casefolded, NFKC again."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", stripped.casefold())


def _tokens(text: str) -> list[str]:
    tokens = [tok for tok in _SEPARATORS.split(_fold(text)) if tok]
    return tokens[:1] + [tok for tok in tokens[1:] if tok not in _CONNECTORS]


def name_key(name: str, *, drop_legal_form: bool = False) -> str:
    """Comparison key of a name: folded, punctuation and spaces removed, optionally without legal form.

    Args:
        name: A customer name or what a user typed.
        drop_legal_form: Also drop trailing legal forms ("Inc.", "GmbH & Co. KG", "株式会社").
    """
    tokens = _tokens(name)
    if drop_legal_form:
        while len(tokens) > 1 and tokens[-1] in _LEGAL_SUFFIXES:
            tokens.pop()
    key = "".join(tokens)
    if drop_legal_form:
        for affix in _CJK_LEGAL_AFFIXES:
            if key.startswith(affix) and len(key) > len(affix):
                key = key[len(affix):]
            if key.endswith(affix) and len(key) > len(affix):
                key = key[: -len(affix)]
    return key


def _label(customer: ResolvedCustomer, everyone: Sequence[ResolvedCustomer]) -> str:
    """How a candidate is listed: its name, with the id when the name is not unique."""
    same_name = sum(1 for other in everyone if name_key(other.name) == name_key(customer.name))
    return f"{customer.name} ({customer.id})" if same_name > 1 else customer.name


def _decide(hits: list[ResolvedCustomer], *, query: str, everyone: Sequence[ResolvedCustomer]) -> ResolvedCustomer:
    if len(hits) == 1:
        return hits[0]
    labels = [_label(hit, everyone) for hit in sorted(hits, key=lambda c: (c.name.casefold(), c.id))]
    raise AmbiguousCustomer(
        f"'{query}' matches {len(hits)} customers: {', '.join(labels)}; say which one", candidates=labels
    )


def _similarity(query_key: str, customer: ResolvedCustomer) -> float:
    """Best difflib ratio of the query against the name, the name without legal form, and (for a
    query of a few letters or more) the start of the name, so a mistyped prefix still counts."""
    base = name_key(customer.name, drop_legal_form=True)
    keys = [base, name_key(customer.name)]
    if len(query_key) >= _MIN_FUZZY_PREFIX:
        keys.append(base[: len(query_key)])
    return max(SequenceMatcher(None, query_key, key).ratio() for key in keys)


def match_customer(*, customers: Sequence[ResolvedCustomer], query: str) -> ResolvedCustomer:
    """Pick the one customer `query` means (pure; see the module docstring for the tiers).

    Args:
        customers: Every customer that may be meant.
        query: What the user typed: an id or (part of) a name.

    Raises:
        AmbiguousCustomer: Two or more customers match equally well.
        CustomerNotFound: Nothing matches; candidates are the closest names.
    """
    text = query.strip()
    full = name_key(text)
    base = name_key(text, drop_legal_form=True)
    if not full:
        raise CustomerNotFound("no customer name given", candidates=[])

    by_id = [c for c in customers if c.id == text] or [c for c in customers if c.id.casefold() == text.casefold()]
    if by_id:
        return by_id[0]
    certain = [c for c in customers if name_key(c.name) == full]
    if certain:
        return _decide(certain, query=text, everyone=customers)

    plausible = [
        c
        for c in customers
        if name_key(c.name, drop_legal_form=True) == base
        or (len(full) >= _MIN_PREFIX and name_key(c.name).startswith(full))
    ]
    if plausible:
        return _decide(plausible, query=text, everyone=customers)

    scored = sorted(((_similarity(base, c), c) for c in customers), key=lambda sc: (-sc[0], sc[1].name, sc[1].id))
    close = [c for score, c in scored if score >= _FUZZY_CUTOFF and score >= scored[0][0] - _FUZZY_TIE]
    if close:
        return _decide(close, query=text, everyone=customers)

    suggestions = [_label(c, customers) for score, c in scored[:_MAX_SUGGESTIONS] if score >= _SUGGESTION_CUTOFF]
    raise CustomerNotFound(f"no customer matches '{text}'", candidates=suggestions)


def resolve_customer_on(
    conn: psycopg.Connection[dict[str, Any]], *, query: str, actor: StaffMember | None = None
) -> ResolvedCustomer:
    """`resolve_customer` on an open connection.

    One query (the customer directory's ids and names); with `actor`, a second one (the teams) so only
    the customers `actor` reaches are considered.
    """
    rows = conn.execute("SELECT id, name FROM customers ORDER BY id").fetchall()
    if actor is not None:
        visible = visible_customer_ids(conn, actor=actor)
        rows = [row for row in rows if row["id"] in visible]
    return match_customer(customers=[ResolvedCustomer(**row) for row in rows], query=query)


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
