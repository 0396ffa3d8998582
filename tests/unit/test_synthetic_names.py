"""The synthetic world's name pools: read from the packaged `locales.toml`, validated, and combined deterministically."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest
from pydantic import ValidationError

from communicator_escalation.store.world.synthetic import generate_world, write_world
from communicator_escalation.store.world.synthetic_names import Locale, company_name, locales, person_name, vendors


def test_the_pools_load_once_with_every_market_and_vendor() -> None:
    markets = locales()
    assert markets is locales()  # read and validated once per process
    assert len({m.code for m in markets}) == len(markets) >= 2
    assert all(m.code.isascii() and m.code.isalnum() and m.code.islower() for m in markets)  # they go into domains
    assert len({v.email_domain for v in vendors()}) == len(vendors()) >= 2


@pytest.mark.parametrize("locale", locales(), ids=lambda locale: locale.code)
def test_every_market_names_people_and_companies_from_its_own_pools(locale: Locale) -> None:
    rng = random.Random(locale.code)
    for _ in range(50):
        name = person_name(rng, locale)
        if locale.family_first:
            assert any(name == f + g for f in locale.family for g in locale.given)
        else:
            given, _, family = name.partition(" ")
            assert given in locale.given and family in locale.family
        full, base = company_name(rng, locale, 0)
        assert any(base.startswith(root) for root in locale.roots) and any(trade in base for trade in locale.trades)
        assert full == base or any(legal and legal in full for legal in locale.legal_forms)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"given": []}, "given"),
        ({"trades": []}, "trades"),
        ({"nickname": ["Al"]}, "nickname"),
    ],
)
def test_a_bad_market_table_is_refused(change: dict[str, Any], field: str) -> None:
    good = locales()[0].model_dump()
    with pytest.raises(ValidationError) as raised:
        Locale.model_validate(good | change)
    assert field in str(raised.value)


def test_generation_is_deterministic_and_uses_every_market() -> None:
    first, again = io.StringIO(), io.StringIO()
    write_world(first, customers=150, seed=3)
    write_world(again, customers=150, seed=3)
    assert first.getvalue() == again.getvalue()
    world = json.loads(first.getvalue())
    assert world == generate_world(customers=150, seed=3)
    assert world != generate_world(customers=150, seed=4)
    assert world["vendor"] == vendors()[3 % len(vendors())].model_dump()
    by_code = {m.code: m for m in locales()}
    assert {c["segment"] for c in world["customers"]} == set(by_code)
    for customer in world["customers"]:
        market = by_code[customer["segment"]]
        assert customer["timezone"] == market.timezone
        assert any(root in customer["name"] for root in market.roots)
