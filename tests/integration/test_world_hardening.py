"""Malformed world files fail in one line naming the record and field, and change nothing; reloads keep history."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from communicator_escalation.errors import WorldFileError
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from tests.integration.test_world_loader import NOW, TABLES, small_world


def snapshot(store: Store) -> dict[str, list[Any]]:
    with store.connection() as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in (*TABLES, "world_clocks")}


@pytest.fixture
def loaded(store: Store) -> Store:
    """A database that already holds a world, so 'changes nothing' means something."""
    load_world(store, small_world(), now=NOW)
    return store


def _refused(store: Store, source: Path | dict[str, Any], *expected: str) -> str:
    before = snapshot(store)
    with pytest.raises(WorldFileError) as err:
        load_world(store, source, now=NOW + timedelta(hours=5))
    message = err.value.message
    assert "\n" not in message and "\r" not in message
    for part in expected:
        assert part in message
    assert snapshot(store) == before
    return message


def _contact(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda world: world["contacts"][0].update(fields)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_contact(name="Zoë\x00Müller"), ("contacts 'p-1'", "field 'name'", "control character")),
        (_contact(title="CEO\u202eOEC"), ("contacts 'p-1'", "field 'title'", "bidi")),
        (_contact(name="Zoë \x1b[31mMüller"), ("contacts 'p-1'", "field 'name'", "control character")),
        (lambda w: w["customers"][0].update(name="Café\nZürich"), ("customers 'k-1'", "field 'name'")),
        (lambda w: w["customers"][0].update(arr=float("inf")), ("customers 'k-1'", "field 'arr'", "finite")),
        (lambda w: w["customers"][0].update(arr=1e15), ("customers 'k-1'", "field 'arr'")),
        (lambda w: w["customers"][0].update(crm={"note": "a\x00b"}), ("customers 'k-1'", "field 'crm'", "NUL")),
        (lambda w: w["customers"][0].update(score=float("nan")), ("customers 'k-1'", "field 'score'", "finite")),
        (lambda w: w["risk_signals"][0].update(description="broken\x00"), ("risk_signals 'sig-1'", "field 'description'")),
        (lambda w: w["contacts"][0].update(id="p-1\r\nBcc: x@evil.example"), ("contacts[0]", "field 'id'")),
        (lambda w: w["staff"][0].update(manager_id="s-1"), ("staff 's-1'", "field 'manager_id'", "own manager")),
        (lambda w: w["staff"][1].update(manager_id="s-1"), ("staff", "field 'manager_id'", "leads back")),
        (lambda w: w["staff"][1].update(email="juergen@gmail.example"), ("staff 's-2'", "field 'email'", "nordlicht.de")),
        (lambda w: w.update(communications=[{
            "id": "m-1", "customer_id": "k-1", "channel": "email", "direction": "inbound", "at": "2027-01-10T07:00:00Z",
            "message_id": "<a@b>\r\nBcc: x@evil.example"}]), ("communications 'm-1'", "field 'message_id'")),
    ],
)
def test_malformed_records_are_refused_in_one_line(loaded: Store, mutate: Any, expected: tuple[str, ...]) -> None:
    world = small_world()
    mutate(world)
    _refused(loaded, world, *expected)


def test_invalid_utf8_names_the_record_and_field(loaded: Store, tmp_path: Path) -> None:
    text = json.dumps(small_world(), ensure_ascii=False).replace("Zoë Müller", "ZOE_BAD")
    path = tmp_path / "latin1.json"
    path.write_bytes(text.encode("utf-8").replace(b"ZOE_BAD", "Zoë Müller".encode("latin-1")))
    _refused(loaded, path, "contacts 'p-1'", "field 'name'", "not UTF-8")


def test_deeply_nested_json_names_the_record(loaded: Store, tmp_path: Path) -> None:
    world = small_world()
    world["contacts"][0]["nested"] = "PLACEHOLDER"
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(world).replace('"PLACEHOLDER"', "[" * 100_000 + "]" * 100_000), encoding="utf-8")
    _refused(loaded, path, "contacts[0]", "nested too deeply")
    world["contacts"][0]["nested"] = json.loads("[" * 40 + "]" * 40)
    _refused(loaded, world, "contacts 'p-1'", "field 'nested'", "nested too deeply")


def test_huge_numbers_in_the_file_are_refused(loaded: Store, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(small_world()).replace('"arr": 120000', '"arr": 1e400'), encoding="utf-8")
    _refused(loaded, path, "customers 'k-1'", "field 'arr'", "finite")


def test_reloading_later_keeps_the_shift_and_what_the_product_did(loaded: Store) -> None:
    with loaded.connection() as conn:
        conn.execute("UPDATE risk_signals SET response_sent_at = detected_at + interval '20 minutes',"
                     " response_email_id = 'gmail-1', status = 'resolved' WHERE id = 'sig-1'")
    before = snapshot(loaded)
    report = load_world(loaded, small_world(), now=NOW + timedelta(hours=2))  # the clock moved on
    assert report.shift_seconds == before["world_clocks"][0]["shift"].total_seconds()
    assert snapshot(loaded) == before  # same file: nothing changed, detected_at did not move
    follow_up = small_world()
    follow_up["risk_signals"][0]["title"] = "Kassensystem wieder ausgefallen"
    load_world(loaded, follow_up, now=NOW + timedelta(days=3))
    with loaded.connection() as conn:
        row = conn.execute("SELECT * FROM risk_signals WHERE id = 'sig-1'").fetchone()
    kept = before["risk_signals"][0]
    assert (row["title"], row["status"]) == ("Kassensystem wieder ausgefallen", "resolved")
    assert (row["detected_at"], row["response_sent_at"], row["response_email_id"]) == (
        kept["detected_at"], kept["response_sent_at"], "gmail-1")
