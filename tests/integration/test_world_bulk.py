"""Large worlds: synthetic generation, chunked staging with foreign keys dropped and restored, same answers."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest

from communicator_escalation.errors import WorldFileError
from communicator_escalation.store import Store
from communicator_escalation.store.world import loader, stage, writer
from communicator_escalation.store.world.synthetic import generate_world, write_world
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.store.world.format import SECTIONS
from tests.integration.test_world_hardening import snapshot
from tests.integration.test_world_loader import NOW


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 300 records and bulk mode from 200, so a world of 40 customers takes the large-world path."""
    for module in (loader, stage):
        monkeypatch.setattr(module, "CHUNK_ROWS", 300)
    for module in (stage, writer):
        monkeypatch.setattr(module, "BULK_ROWS", 200)


def test_generated_worlds_are_deterministic_and_valid(store: Store) -> None:
    out = io.StringIO()
    count = write_world(out, customers=12, seed=5)
    again = io.StringIO()
    write_world(again, customers=12, seed=5)
    assert out.getvalue() == again.getvalue()
    data = json.loads(out.getvalue())
    assert data == generate_world(customers=12, seed=5)
    assert {k: len(v) for k, v in data.items() if isinstance(v, list) and k != "staff"} == {
        "customers": 12, "contacts": 36, "tickets": 48, "communications": 300, "risk_signals": 96}
    assert count == sum(len(v) for v in data.values() if isinstance(v, list))
    names = [c["name"] for c in data["customers"]]
    assert len(set(names)) == len(names) and any(not n.isascii() for n in names)
    emails = {s["email"].split("@")[1] for s in data["staff"]}
    assert emails == {data["vendor"]["email_domain"]}
    report = load_world(store, data, now=NOW)
    assert sum(report.counts.values()) == count


def test_sections_refer_only_to_themselves_and_earlier_sections() -> None:
    # the writer checks a section's foreign keys as soon as it is written, before the later sections
    order = [key for key, _model, _refs in SECTIONS]
    for position, (key, _model, refs) in enumerate(SECTIONS):
        assert {order.index(target) for target in refs.values()} <= set(range(position + 1)), key


def _foreign_keys(store: Store) -> list[str]:
    with store.connection() as conn:
        rows = conn.execute("SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY conname").fetchall()
    return [row["conname"] for row in rows]


def test_chunked_bulk_load_writes_the_same_rows(store: Store, small_chunks: None) -> None:
    data = generate_world(customers=40, seed=3)
    keys = _foreign_keys(store)
    load_world(store, data, now=NOW)
    chunked = snapshot(store)
    assert len(chunked["communications"]) == 1000
    assert _foreign_keys(store) == keys  # every foreign key is back
    with store.connection() as conn:
        staging = conn.execute("SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'world_stage%'").fetchone()
    assert staging["n"] == 0
    load_world(store, data, now=NOW + timedelta(hours=3))
    assert snapshot(store) == chunked


def _broken(data: dict[str, Any], section: str, index: int, **fields: Any) -> dict[str, Any]:
    data[section][index] = {**data[section][index], **fields}
    return data


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: _broken(d, "communications", 700, id=d["communications"][10]["id"]), "duplicate id"),
        (lambda d: _broken(d, "communications", 650, contact_id="nobody"), "field 'contact_id': unknown contacts id 'nobody'"),
        (lambda d: _broken(d, "risk_signals", 200, ticket_id=d["tickets"][0]["id"]), "belongs to another customer"),
    ],
)
def test_chunked_bulk_load_still_names_the_record(store: Store, small_chunks: None, mutate: Any, expected: str) -> None:
    data = mutate(generate_world(customers=40, seed=3))
    keys = _foreign_keys(store)
    with pytest.raises(WorldFileError) as err:
        load_world(store, data, now=NOW)
    assert expected in err.value.message
    assert sum(len(rows) for rows in snapshot(store).values()) == 0
    assert _foreign_keys(store) == keys
