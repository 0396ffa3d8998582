"""Large worlds: synthetic generation, chunked staging with foreign keys dropped and restored, same answers."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
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


def _indexes(store: Store) -> list[tuple[str, str]]:
    with store.connection() as conn:
        rows = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                            " AND indexname NOT LIKE 'world\\_stage\\_%' ORDER BY indexname").fetchall()
    return [(row["indexname"], row["indexdef"]) for row in rows]


def test_chunked_bulk_load_writes_the_same_rows(store: Store, small_chunks: None) -> None:
    data = generate_world(customers=40, seed=3)
    keys, indexes = _foreign_keys(store), _indexes(store)
    load_world(store, data, now=NOW)
    chunked = snapshot(store)
    assert len(chunked["communications"]) == 1000
    assert _foreign_keys(store) == keys  # every foreign key is back
    assert _indexes(store) == indexes  # and every index a first load built after its section
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
    keys, indexes = _foreign_keys(store), _indexes(store)
    with pytest.raises(WorldFileError) as err:
        load_world(store, data, now=NOW)
    assert expected in err.value.message
    assert sum(len(rows) for rows in snapshot(store).values()) == 0
    assert _foreign_keys(store) == keys
    assert _indexes(store) == indexes


def _one_record_per_line(data: dict[str, Any]) -> str:
    """The layout `escalation generate-world` writes: each record of a list on a line of its own."""
    parts = [json.dumps(key) + ": " + ("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in value) + "\n]"
                                       if isinstance(value, list) else json.dumps(value)) for key, value in data.items()]
    return "{" + ",\n".join(parts) + "}\n"


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of records each run of a file validated at once (the stream's fast path)."""
    sizes: list[int] = []
    parse = loader._parse_run

    def counted(key: str, text: str) -> Any:
        records = parse(key, text)
        sizes.append(len(records) if records is not None else 0)
        return records

    monkeypatch.setattr(loader, "_parse_run", counted)
    return sizes


@pytest.mark.parametrize("layout", [_one_record_per_line, lambda d: json.dumps(d, indent=2), json.dumps])
def test_every_layout_of_a_file_loads_the_same_rows(store: Store, tmp_path: Path, runs: list[int], layout: Any) -> None:
    data = generate_world(customers=40, seed=3)
    load_world(store, data, now=NOW)
    expected = snapshot(store)
    path = tmp_path / "world.json"
    path.write_text(layout(data), encoding="utf-8")
    load_world(store, path, now=NOW)  # the same world again changes nothing
    assert snapshot(store) == expected
    with store.connection() as conn:
        conn.execute("TRUNCATE customers, staff, vendor, world_clocks CASCADE")
    runs.clear()
    load_world(store, path, now=NOW)
    assert snapshot(store) == expected
    if layout is json.dumps:  # one line: no boundary to cut at, every record on its own
        assert runs == []
    else:  # all but the last record of each list validated in runs, none refused
        assert 0 not in runs and sum(runs) == sum(len(v) - 1 for v in data.values() if isinstance(v, list))


def _set(section: str, index: int, **fields: Any) -> Any:
    return lambda d: d[section][index].update(fields)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set("communications", 500, body="broken\x00"), "communications 'cu-000020-m0': field 'body': contains a control"),
        (_set("contacts", 50, name="Zoë \x1b[31mMüller"), "contacts 'cu-000016-p2': field 'name': contains a control"),
        (_set("customers", 20, arr=float("inf")), "customers 'cu-000020': field 'arr'"),
        (_set("customers", 20, crm={"note": "a\x00b"}), "customers 'cu-000020': field 'crm': contains a NUL"),
        (_set("tickets", 70, events=[{"at": "yesterday", "kind": "opened"}]), "tickets 'cu-000017-t2': field 'events.0.at'"),
        (_set("risk_signals", 100, ticket_id=None, severity="apocalyptic"), "risk_signals 'cu-000012-s4': field 'severity'"),
        (_set("communications", 600, id="m\u202e1"), "communications[600]: field 'id'"),
    ],
)
def test_a_bad_record_inside_a_run_is_named(store: Store, tmp_path: Path, runs: list[int], mutate: Any, expected: str) -> None:
    data = generate_world(customers=40, seed=3)
    mutate(data)
    path = tmp_path / "world.json"
    path.write_text(_one_record_per_line(data), encoding="utf-8")
    with pytest.raises(WorldFileError) as err:
        load_world(store, path, now=NOW)
    assert expected in err.value.message
    assert 0 in runs  # the run holding the record was refused, then read record by record
    assert sum(len(rows) for rows in snapshot(store).values()) == 0


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda t: t.replace('"cu-000020-m0",', '"cu-000020-m0",,', 1), "communications[500]: not valid JSON at line"),
        (lambda t: t.replace(b'"Update 0', b'"Upd\xe4te 0', 1), "field 'body': is not UTF-8 text"),
    ],
)
def test_a_broken_file_inside_a_run_is_named(store: Store, tmp_path: Path, runs: list[int], damage: Any, expected: str) -> None:
    text = _one_record_per_line(generate_world(customers=40, seed=3))
    path = tmp_path / "world.json"
    damaged = damage(text) if "line" in expected else damage(text.encode("utf-8"))
    path.write_bytes(damaged.encode("utf-8") if isinstance(damaged, str) else damaged)
    with pytest.raises(WorldFileError) as err:
        load_world(store, path, now=NOW)
    assert expected in err.value.message
    assert sum(len(rows) for rows in snapshot(store).values()) == 0
