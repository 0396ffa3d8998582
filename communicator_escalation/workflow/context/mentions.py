"""Which customers, contacts and escalations a CSM's sentence names, wherever they are in it.

The message is cut into words; runs of up to `MAX_SPAN_WORDS` words are matched against the customers
the actor may reach with the customer resolver (`resolve_customer_on`: the same id, exact, legal-form,
prefix and fuzzy tiers as everywhere else), longest first. A run made only of connecting words ("to",
"the", "please") is never looked up, nor one that starts or ends with one; a run made only of command
and everyday escalation words ("draft", "reply", "data", "invoice") counts only when it is a whole
name, never as a prefix or a near miss. Every word is also looked up as a risk signal id (the ids the
world uses, whatever their pattern), and the names of the contacts of customers with an open
escalation are matched: the full name, a first or last name, or a near miss of the full name.

The result lists every hit with its tier and the words it came from; `locate.py` picks the escalation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field
from rapidfuzz import fuzz

from ...auth.access import customer_team, may_reach
from ...errors import AmbiguousCustomer, CustomerNotFound
from ...models import ESCALATION_SIGNAL_TYPES, StaffMember
from .customers import name_key, resolve_customer_on

__all__ = ["MAX_SPAN_WORDS", "TIER_RANK", "Ambiguity", "Hit", "Mentions", "Word", "is_weak", "read_mentions", "words"]

Conn = psycopg.Connection[dict[str, Any]]
Tier = Literal["id", "exact", "base", "prefix", "close"]
TIER_RANK: dict[str, int] = {"id": 0, "exact": 0, "base": 1, "prefix": 1, "close": 2}
"""The resolver's tiers: 0 certain (id, full name), 1 plausible (without legal form, a prefix; a first or
last name of a contact), 2 close (a near miss)."""
MAX_SPAN_WORDS = 6
_MIN_PREFIX_KEY = 3
_MIN_CLOSE_KEY = 5
_CONTACT_CLOSE = 85.0

_WORD = re.compile(r"\S+")
_LEAD = "\"'“”‘’«»([{<#*_"
_TRAIL = "\"'“”‘’«»)]}>.,;:!?*_…"
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_CONNECTING = frozenset(
    "a an the to for at of on in from with by about into onto re and or but & + - – — / my our their his her "
    "its me us i we you your it this that these those them they he she him please pls plz kindly can could "
    "would will shall should may might must need needs want wants like help let lets let's i'd i'm im is are "
    "was were be been do does did just now today right away up so then also again too yet still some any all "
    "every each one ones hi hello hey thanks thank thx ok okay yes yeah sure what which who whom whose when "
    "where why how there here as if than not no don't dont use using tell give get got go see know think look "
    "take keep put say said done doing going".split()
)
_COMMAND = frozenset(
    "draft drafts drafting write writing reply replies respond responding response responses answer answers "
    "email e-mail acknowledge acknowledgement acknowledgment apology escalation escalations escalated send sent "
    "show view display cancel discard cc ccs bcc edit replace shorten tone softer warmer shorter subject "
    "recipient signal signals urgently asap sla deadline mention mentioning regarding smth explain".split()
)
"""Words that are never part of a name: a run of words containing one is not looked up."""
_EVERYDAY = frozenset(
    "mail message note letter add remove change make set soft warm formal short brief longer customer customers "
    "account accounts client clients id issue issues problem problems ticket tickets complaint complaints case "
    "cases incident incidents open new latest current first next last urgent critical high medium low priority "
    "severity due team data sync api integration invoice invoices billing bill outage downtime security login "
    "sso export dashboard report reports support service update updates delay delays error errors failure "
    "failures include including quick quickly again re: fw: fwd: guy guys folks people person contact contacts "
    "manager lead strategy template timeline status something anything reason version time left long much soon "
    "way u ur".split()
)
"""Everyday escalation words: a run made only of these counts only as a whole name, never a prefix or near miss."""


class Word(BaseModel):
    """One word of the message: where it is and its core (surrounding punctuation and "'s" taken off)."""

    core: str = Field(description="The word without surrounding punctuation.")
    start: int = Field(description="Offset of the core in the message.")
    end: int = Field(description="End offset of the core in the message.")

    @property
    def folded(self) -> str:
        """Comparison form of the word."""
        return self.core.casefold()


class Hit(BaseModel):
    """Something the message names: a customer, a contact (of a customer) or a risk signal."""

    kind: Literal["customer", "contact", "signal"] = Field(description="What was named.")
    text: str = Field(description="The words of the message that name it, as typed.")
    first: int = Field(description="Index of its first word.")
    last: int = Field(description="Index of its last word.")
    tier: Tier = Field(description="How it matched: id, exact, base (without legal form), prefix, close (near miss).")
    customer_id: str = Field(description="The customer named, or the customer of the contact or signal.")
    customer: str = Field(description="That customer's name.")
    ref_id: str = Field(description="Id of what was named (customer, contact or signal id).")
    name: str = Field(description="Its name (customer or contact name; the signal id for a signal).")

    @property
    def rank(self) -> int:
        """Tier strength (lower is surer)."""
        return TIER_RANK[self.tier]

    @property
    def size(self) -> int:
        """Number of words."""
        return self.last - self.first + 1


class Ambiguity(BaseModel):
    """Words that name more than one customer."""

    text: str = Field(description="The words, as typed.")
    first: int = Field(description="Index of the first word.")
    last: int = Field(description="Index of the last word.")
    rank: int = Field(description="Tier strength of the candidates (see TIER_RANK).")
    candidates: list[str] = Field(description="The customers they may mean, as the resolver lists them.")


class Mentions(BaseModel):
    """Everything a message names."""

    words: list[Word] = Field(default_factory=list, description="The message's words.")
    hits: list[Hit] = Field(default_factory=list, description="Customers, contacts and signals named.")
    ambiguous: list[Ambiguity] = Field(default_factory=list, description="Words naming several customers.")


def words(text: str) -> list[Word]:
    """The words of `text` with surrounding punctuation (and a possessive "'s") taken off."""
    found: list[Word] = []
    for match in _WORD.finditer(text):
        raw = match.group()
        core = _POSSESSIVE.sub("", raw.lstrip(_LEAD).rstrip(_TRAIL)).rstrip(_TRAIL)
        if not core:
            continue
        start = match.start() + raw.index(core)
        found.append(Word(core=core, start=start, end=start + len(core)))
    return found


def _connecting(word: Word) -> bool:
    return word.folded in _CONNECTING


def is_weak(word: Word) -> bool:
    """True for a connecting, command or everyday escalation word (never a name on its own)."""
    return word.folded in _CONNECTING or word.folded in _COMMAND or word.folded in _EVERYDAY


def _spans(found: list[Word]) -> Iterator[tuple[int, int]]:
    """(first, last) word indexes of every run worth looking up, longest first."""
    for size in range(min(MAX_SPAN_WORDS, len(found)), 0, -1):
        for first in range(len(found) - size + 1):
            last = first + size - 1
            inside = found[first : last + 1]
            if not (_connecting(found[first]) or _connecting(found[last]) or any(w.folded in _COMMAND for w in inside)):
                yield first, last


def _tier(query: str, customer_id: str, name: str) -> Tier:
    if query.strip().casefold() == customer_id.casefold():
        return "id"
    if name_key(query) == name_key(name):
        return "exact"
    if name_key(query, drop_legal_form=True) == name_key(name, drop_legal_form=True):
        return "base"
    return "prefix" if name_key(name).startswith(name_key(query)) else "close"


def _acceptable(tier: Tier, query: str, weak_only: bool) -> bool:
    if tier in ("id", "exact", "base"):
        return True
    if weak_only:
        return False
    key = name_key(query, drop_legal_form=True)
    return len(key) >= (_MIN_PREFIX_KEY if tier == "prefix" else _MIN_CLOSE_KEY)


def _customer_hits(conn: Conn, text: str, found: list[Word], actor: StaffMember | None) -> Mentions:
    hits: list[Hit] = []
    ambiguous: list[Ambiguity] = []
    seen: set[str] = set()
    for first, last in _spans(found):
        query = text[found[first].start : found[last].end]
        weak_only = all(is_weak(w) for w in found[first : last + 1])
        key = name_key(query)
        if not key or key in seen or (weak_only and len(key) < _MIN_PREFIX_KEY):
            continue
        seen.add(key)
        try:
            customer = resolve_customer_on(conn, query=query, actor=actor)
        except CustomerNotFound:
            continue
        except AmbiguousCustomer as err:
            labels = [str(c) for c in err.candidates]
            tier = _tier(query, "", re.sub(r"\s\([^)]*\)$", "", labels[0])) if labels else "close"
            if labels and _acceptable(tier, query, weak_only):
                ambiguous.append(Ambiguity(text=query, first=first, last=last, rank=TIER_RANK[tier], candidates=labels))
            continue
        tier = _tier(query, customer.id, customer.name)
        if _acceptable(tier, query, weak_only):
            hits.append(Hit(kind="customer", text=query, first=first, last=last, tier=tier, customer_id=customer.id,
                            customer=customer.name, ref_id=customer.id, name=customer.name))
    return Mentions(hits=hits, ambiguous=ambiguous)


def _reachable(conn: Conn, customer_ids: set[str], actor: StaffMember | None) -> set[str]:
    if actor is None:
        return customer_ids
    return {c for c in customer_ids if (team := customer_team(conn, customer_id=c)) and may_reach(actor, team)}


def _signal_hits(conn: Conn, found: list[Word], actor: StaffMember | None) -> list[Hit]:
    variants = {v for w in found for v in (w.core, w.core.lower(), w.core.upper())}
    rows = conn.execute(
        "SELECT s.id, s.customer_id, c.name AS customer FROM risk_signals s JOIN customers c ON c.id = s.customer_id"
        " WHERE s.id = ANY(%s)",
        (sorted(variants),),
    ).fetchall()
    reachable = _reachable(conn, {r["customer_id"] for r in rows}, actor)
    by_folded = {r["id"].casefold(): r for r in rows if r["customer_id"] in reachable}
    return [
        Hit(kind="signal", text=w.core, first=i, last=i, tier="id", customer_id=row["customer_id"],
            customer=row["customer"], ref_id=row["id"], name=row["id"])
        for i, w in enumerate(found)
        if (row := by_folded.get(w.folded)) is not None
    ]


def _contact_match(name: str, keys: list[str]) -> tuple[int, int, Tier] | None:
    """Where the contact's name is in the message's word keys: full name, one name, or a near miss."""
    parts = [k for k in (name_key(p) for p in name.split()) if k]
    size = len(parts)
    for first in range(len(keys) - size + 1):
        if keys[first : first + size] == parts:
            return first, first + size - 1, "exact"
    for first in range(len(keys) - size + 1):
        window = " ".join(keys[first : first + size])
        if size > 1 and len(window) >= _MIN_CLOSE_KEY and fuzz.ratio(window, " ".join(parts)) >= _CONTACT_CLOSE:
            return first, first + size - 1, "close"
    for index, key in enumerate(keys):
        if len(key) >= _MIN_PREFIX_KEY and key in (parts[0], parts[-1]):
            return index, index, "prefix"
    return None


def _contact_hits(conn: Conn, text: str, found: list[Word], actor: StaffMember | None) -> list[Hit]:
    rows = conn.execute(
        "SELECT p.id, p.name, p.customer_id, c.name AS customer FROM contacts p JOIN customers c ON c.id = p.customer_id"
        " WHERE EXISTS (SELECT 1 FROM risk_signals s WHERE s.customer_id = p.customer_id AND s.status = 'open'"
        " AND s.signal_type = ANY(%s)) ORDER BY p.id",
        (list(ESCALATION_SIGNAL_TYPES),),
    ).fetchall()
    reachable = _reachable(conn, {r["customer_id"] for r in rows}, actor)
    keys = ["" if is_weak(w) else name_key(w.core) for w in found]
    hits: list[Hit] = []
    for row in rows:
        if row["customer_id"] not in reachable or not (match := _contact_match(row["name"], keys)):
            continue
        first, last, tier = match
        hits.append(Hit(kind="contact", text=text[found[first].start : found[last].end], first=first, last=last,
                        tier=tier, customer_id=row["customer_id"], customer=row["customer"], ref_id=row["id"],
                        name=row["name"]))
    return hits


def read_mentions(conn: Conn, *, text: str, actor: StaffMember | None) -> Mentions:
    """Every customer, contact and risk signal `text` names among what `actor` may reach.

    Args:
        conn: An open connection.
        text: What the CSM typed.
        actor: Who asks (None: every customer).
    """
    found = words(text)
    customers = _customer_hits(conn, text, found, actor)
    hits = [*_signal_hits(conn, found, actor), *customers.hits, *_contact_hits(conn, text, found, actor)]
    return Mentions(words=found, hits=hits, ambiguous=customers.ambiguous)
