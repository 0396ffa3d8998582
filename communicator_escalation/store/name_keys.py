"""Comparison keys of names: what customer resolution compares, stored beside each customer's name.

A key folds case, accents, punctuation and spacing ("Data-Flow Inc." -> "dataflowinc"); the base key
also drops the legal form ("dataflow"); the trigrams of the base key feed the fuzzy tier's candidate
index. The world loader writes all three on every upsert, so resolution is a few index lookups.
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel, Field

__all__ = ["NameKeys", "name_grams", "name_key", "name_keys"]

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


class NameKeys(BaseModel):
    """The stored comparison keys of one name."""

    key: str = Field(description="Folded name: no case, accents, punctuation or spaces.")
    base: str = Field(description="The key without the legal form.")
    grams: list[str] = Field(description="Distinct trigrams of the base key (fuzzy candidate index).")


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
    return _base_key(tokens) if drop_legal_form else "".join(tokens)


def _base_key(tokens: list[str]) -> str:
    """The key of `tokens` without the legal form."""
    tokens = tokens[:]
    while len(tokens) > 1 and tokens[-1] in _LEGAL_SUFFIXES:
        tokens.pop()
    key = "".join(tokens)
    for affix in _CJK_LEGAL_AFFIXES:
        if key.startswith(affix) and len(key) > len(affix):
            key = key[len(affix):]
        if key.endswith(affix) and len(key) > len(affix):
            key = key[: -len(affix)]
    return key


def name_grams(key: str) -> list[str]:
    """Distinct trigrams of a key padded like pg_trgm ("  k", " ke", ..., "ey "), sorted."""
    padded = f"  {key} "
    return sorted({padded[i: i + 3] for i in range(len(padded) - 2)}) if key else []


def name_keys(name: str) -> NameKeys:
    """All stored keys of a name."""
    tokens = _tokens(name)  # folded once for both keys
    base = _base_key(tokens)
    return NameKeys(key="".join(tokens), base=base, grams=name_grams(base))
