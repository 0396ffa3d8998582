"""Where customer resolution looks names up: a list in memory, or the customers table's key indexes.

Both answer the same questions for each tier (`customers.py`): a customer by id, the customers with a
given key, the plausible ones (same key without legal form, or a key starting with the query), a
bounded pool of fuzzy candidates, and which keys more than one reachable customer shares. The indexed
directory asks PostgreSQL (index lookups, at most `MAX_LISTED` rows per tier) and adds, from memory, the
few customers whose keys were never stored (rows written by other means than the world loader). The id
and the first two tiers are one statement; the fuzzy pool and the labels of an ambiguous answer one more each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

import psycopg
from pydantic import BaseModel, Field

from ...auth.access import reach_filter
from ...models import StaffMember
from ...store.name_keys import name_grams, name_key

__all__ = ["MAX_LISTED", "Candidate", "Directory", "IndexedDirectory", "ListDirectory", "Tier", "Tiers"]

MAX_LISTED = 25  # candidates listed for an ambiguous name (the count says how many there are)
FUZZY_POOL = 64  # customers sharing the most trigrams with the query, scored by the fuzzy tier
_MIN_PREFIX = 2
_COLUMNS = "c.id, c.name, c.name_key AS key, c.name_base_key AS base"


class Candidate(BaseModel):
    """A customer with its comparison keys."""

    id: str = Field(description="Customer id.")
    name: str = Field(description="Account name.")
    key: str = Field(description="Folded full name.")
    base: str = Field(description="Folded name without legal form.")

    @classmethod
    def of(cls, customer_id: str, name: str) -> Candidate:
        """A candidate with its keys computed from the name."""
        return cls(id=customer_id, name=name, key=name_key(name), base=name_key(name, drop_legal_form=True))


class Tier(BaseModel):
    """What one tier found: some hits (all of them when `total` is small) and how many there are."""

    hits: list[Candidate] = Field(default_factory=list, description="Matches, at most MAX_LISTED from the index.")
    total: int = Field(default=0, description="How many customers match.")


class Tiers(BaseModel):
    """The certain and plausible tiers of one query."""

    by_id: Candidate | None = Field(default=None, description="The customer whose id the query is.")
    certain: Tier = Field(default_factory=Tier, description="Same full key.")
    plausible: Tier = Field(default_factory=Tier, description="Same key without legal form, or a key prefix.")


class Directory(Protocol):
    """The lookups resolution needs."""

    def tiers(self, text: str, full: str, base: str) -> Tiers: ...

    def near(self, base: str) -> list[Candidate]: ...

    def repeated_keys(self, keys: set[str]) -> set[str]: ...


def _tier(hits: list[Candidate]) -> Tier:
    return Tier(hits=hits, total=len(hits))


class ListDirectory:
    """Lookups over customers held in memory (pure; also the fallback for rows without stored keys)."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self.candidates = list(candidates)
        self._counts = Counter(c.key for c in self.candidates)

    @classmethod
    def of(cls, customers: Iterable[Any]) -> ListDirectory:
        """From anything with `id` and `name`."""
        return cls(Candidate.of(c.id, c.name) for c in customers)

    def tiers(self, text: str, full: str, base: str) -> Tiers:
        exact = [c for c in self.candidates if c.id == text]
        by_id = exact or [c for c in self.candidates if c.id.casefold() == text.casefold()]
        prefix = len(full) >= _MIN_PREFIX
        return Tiers(
            by_id=by_id[0] if by_id else None,
            certain=_tier([c for c in self.candidates if c.key == full]),
            plausible=_tier([c for c in self.candidates if c.base == base or (prefix and c.key.startswith(full))]),
        )

    def near(self, base: str) -> list[Candidate]:
        return list(self.candidates)

    def repeated_keys(self, keys: set[str]) -> set[str]:
        return {key for key in keys if self._counts[key] > 1}


# One statement for the id and the first two tiers: each matching row with its tier (0 id, 1 certain,
# 2 plausible, 3 no stored keys), the first MAX_LISTED of each tier and each tier's size.
_TIERS_SQL = f"""
SELECT * FROM (
  SELECT m.*, count(*) OVER (PARTITION BY m.tier) AS total,
         row_number() OVER (PARTITION BY m.tier ORDER BY m.key COLLATE "C", m.id) AS rank
  FROM (
    SELECT {_COLUMNS}, CASE WHEN c.name_key IS NULL THEN 3 WHEN lower(c.id) = lower(%(text)s) THEN 0
                            WHEN c.name_key = %(full)s THEN 1 ELSE 2 END AS tier
    FROM customers c
    WHERE (lower(c.id) = lower(%(text)s) OR c.name_key = %(full)s OR c.name_base_key = %(base)s
           OR c.name_key LIKE %(prefix)s OR c.name_key IS NULL) AND {{reach}}
  ) m
) ranked WHERE rank <= %(limit)s OR tier = 3
"""


class IndexedDirectory:
    """Lookups on the customers table's key indexes, limited to what `actor` reaches (None: everyone)."""

    def __init__(self, conn: psycopg.Connection[dict[str, Any]], *, actor: StaffMember | None) -> None:
        self.conn = conn
        self.reach, self.params = reach_filter(actor)
        self.loose = ListDirectory([])  # customers without stored keys, found by `tiers`

    def _rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.conn.execute(sql, {**self.params, **params}).fetchall()

    def tiers(self, text: str, full: str, base: str) -> Tiers:
        prefix = _like_prefix(full) if len(full) >= _MIN_PREFIX else None
        rows = self._rows(_TIERS_SQL.format(reach=self.reach),
                          {"text": text, "full": full, "base": base, "prefix": prefix, "limit": MAX_LISTED})
        self.loose = ListDirectory(Candidate.of(r["id"], r["name"]) for r in rows if r["tier"] == 3)
        loose = self.loose.tiers(text, full, base)
        by_tier: dict[int, list[dict[str, Any]]] = {0: [], 1: [], 2: []}
        for row in rows:
            if row["tier"] != 3:
                by_tier[row["tier"]].append(row)
        by_id = ListDirectory(Candidate(**r) for r in by_tier[0]).tiers(text, full, base).by_id

        def tier(number: int, extra: Tier) -> Tier:
            found = by_tier[number]
            total = found[0]["total"] if found else 0
            return Tier(hits=[Candidate(**r) for r in found] + extra.hits, total=total + extra.total)

        return Tiers(by_id=by_id or loose.by_id, certain=tier(1, loose.certain), plausible=tier(2, loose.plausible))
    def near(self, base: str) -> list[Candidate]:
        grams = name_grams(base)
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM customers c WHERE c.name_grams && %(grams)s::text[] AND {self.reach}"
            " ORDER BY (SELECT count(*) FROM unnest(c.name_grams) g WHERE g = ANY(%(grams)s::text[])) DESC, c.id"
            " LIMIT %(limit)s",
            {"grams": grams, "limit": FUZZY_POOL},
        )
        return [Candidate(**row) for row in rows] + self.loose.near(base)

    def repeated_keys(self, keys: set[str]) -> set[str]:
        if not keys:
            return set()
        rows = self._rows(
            f"SELECT c.name_key AS key, count(*) AS n FROM customers c WHERE c.name_key = ANY(%(keys)s) AND {self.reach}"
            " GROUP BY c.name_key",
            {"keys": sorted(keys)},
        )
        counts = Counter({row["key"]: row["n"] for row in rows})
        counts.update(c.key for c in self.loose.candidates)
        return {key for key in keys if counts[key] > 1}


def _like_prefix(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

