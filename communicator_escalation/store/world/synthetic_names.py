"""Names for the synthetic world generator: people and companies of several markets, and the vendor.

The name pools are data (`locales.toml`, beside this module, shipped in the package); this module
reads them once and combines their parts.
"""

from __future__ import annotations

import random
import tomllib
from functools import cache
from importlib.resources import files
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .format import VendorRecord, check_timezone

__all__ = ["Locale", "company_name", "locales", "person_name", "vendors"]

_Words = Annotated[tuple[str, ...], Field(min_length=1)]


class Locale(BaseModel):
    """How people and companies of one market are named."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, description="Short code, used in generated domains.")
    timezone: Annotated[str, AfterValidator(check_timezone)] = Field(description="IANA timezone of the market.")
    given: _Words = Field(description="Given names.")
    family: _Words = Field(description="Family names.")
    roots: _Words = Field(description="First parts of company names.")
    trades: _Words = Field(description="Second parts of company names (what the company does).")
    legal_forms: _Words = Field(description="Legal forms; an empty string means none.")
    family_first: bool = Field(default=False, description="Family name before given name, no space (CJK).")
    legal_first: bool = Field(default=False, description="Legal form before the name (株式会社 ...).")


class _NamePools(BaseModel):
    """The contents of `locales.toml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    locales: tuple[Locale, ...] = Field(min_length=1, description="Markets, in the order a seed picks them.")
    vendors: tuple[VendorRecord, ...] = Field(min_length=1, description="Vendors, picked by seed.")


@cache
def _pools() -> _NamePools:
    """`locales.toml`, read and validated once per process."""
    text = files(__package__).joinpath("locales.toml").read_text(encoding="utf-8")
    return _NamePools.model_validate(tomllib.loads(text))


def locales() -> tuple[Locale, ...]:
    """The markets a generated customer may come from; the first also names the vendor's staff."""
    return _pools().locales


def vendors() -> tuple[VendorRecord, ...]:
    """The vendors a seed picks from (seed modulo their number), so generated worlds are not all one company."""
    return _pools().vendors


def person_name(rng: random.Random, locale: Locale) -> str:
    """A full name as people of `locale` write it."""
    given, family = rng.choice(locale.given), rng.choice(locale.family)
    return f"{family}{given}" if locale.family_first else f"{given} {family}"


def company_name(rng: random.Random, locale: Locale, variant: int) -> tuple[str, str]:
    """(account name with legal form, the same name without it); `variant` > 0 adds a distinguishing word."""
    root, trade = rng.choice(locale.roots), rng.choice(locale.trades)
    joined = locale.family_first or trade[:1].islower()
    base = f"{root}{trade}" if joined else f"{root} {trade}"
    if variant:
        base = f"{base}{variant}" if locale.family_first else f"{base} {_roman(variant)}"
    legal = rng.choice(locale.legal_forms)
    if not legal:
        return base, base
    if locale.legal_first:
        return f"{legal} {base}" if rng.random() < 0.5 else f"{base}{legal}", base
    return f"{base} {legal}" if locale.family_first is False else f"{base}{legal}", base


def _roman(number: int) -> str:
    numerals = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
                (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = []
    for value, letters in numerals:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)
