"""World files load exactly as fixtures/README.md describes."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from communicator_escalation.cli import app
from communicator_escalation.errors import WorldFileError
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world

TABLES = ("vendor", "staff", "customers", "health_history", "contacts", "tickets", "ticket_events",
          "communications", "risk_signals", "save_plays", "past_responses")
NOW = datetime(2027, 2, 3, 9, 30, tzinfo=timezone.utc)


def counts(store: Store) -> dict[str, int]:
    with store.connection() as conn:
        return {t: conn.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"] for t in TABLES}


def snapshot(store: Store) -> dict[str, list[Any]]:
    with store.connection() as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def small_world(**overrides: Any) -> dict[str, Any]:
    """A world of another vendor, in other languages, that the demo knows nothing of."""
    world: dict[str, Any] = {
        "format": "escalation-world/1",
        "as_of": "2027-01-10T08:00:00+01:00",
        "vendor": {"name": "Nordlicht Analytics", "email_domain": "nordlicht.de"},
        "staff": [
            {"id": "s-1", "name": "Åsa Lindqvist", "email": "asa@nordlicht.de", "role": "csm", "manager_id": "s-2"},
            {"id": "s-2", "name": "Jürgen Weiß", "email": "juergen@nordlicht.de", "role": "csm_manager"},
        ],
        "customers": [
            {"id": "k-1", "name": "Café Zürich AG", "domain": "cafe-zuerich.ch", "arr": 120000, "tier": "mid_market",
             "health_score": 40, "renewal_date": "2027-02-01", "csm_id": "s-1", "timezone": "Europe/Zurich",
             "crm_segment": "gastro"},
        ],
        "contacts": [
            {"id": "p-1", "customer_id": "k-1", "name": "Zoë Müller", "email": "zoe@cafe-zuerich.ch", "title": "CEO"},
        ],
        "risk_signals": [
            {"id": "sig-1", "customer_id": "k-1", "signal_type": "critical_issue", "severity": "critical",
             "source": "direct_complaint", "title": "Kassensystem ausgefallen", "detected_at": "2027-01-10T07:30:00+01:00",
             "status": "open", "reported_by_contact_id": "p-1"},
        ],
    }
    world.update(overrides)
    return world


def test_demo_world_loads_and_reloading_changes_nothing(store: Store, demo_world_path: Path) -> None:
    load_world(store, demo_world_path, now=NOW)
    first = snapshot(store)
    raw = json.loads(demo_world_path.read_text())
    expected = {key: len(raw[key]) for key in TABLES if key in raw} | {
        "vendor": 1,
        "health_history": sum(len(c.get("health_history", [])) for c in raw["customers"]),
        "ticket_events": sum(len(t.get("events", [])) for t in raw["tickets"]),
        "past_responses": len(raw["responses"]),
    }
    assert counts(store) == expected and expected["past_responses"] == len(raw["responses"]) > 0
    load_world(store, demo_world_path, now=NOW)
    assert snapshot(store) == first


def test_time_shift_moves_timestamps_and_dates(store: Store, demo_world_path: Path) -> None:
    raw = json.loads(demo_world_path.read_text())
    as_of = datetime.fromisoformat(raw["as_of"].replace("Z", "+00:00"))
    report = load_world(store, demo_world_path, now=NOW)
    assert report.shift_seconds == (NOW - as_of).total_seconds()
    signal = next(s for s in raw["risk_signals"] if s["status"] == "open")
    customer = next(c for c in raw["customers"] if c.get("renewal_date"))
    with store.connection() as conn:
        detected = conn.execute("SELECT detected_at FROM risk_signals WHERE id = %s", (signal["id"],)).fetchone()
        renewal = conn.execute("SELECT renewal_date FROM customers WHERE id = %s", (customer["id"],)).fetchone()
    original = datetime.fromisoformat(signal["detected_at"].replace("Z", "+00:00"))
    assert detected["detected_at"] == original + (NOW - as_of)
    whole_days = round((NOW - as_of).total_seconds() / 86400)
    assert renewal["renewal_date"] == datetime.fromisoformat(customer["renewal_date"]).date() + timedelta(days=whole_days)


def test_without_as_of_times_are_loaded_as_written(store: Store) -> None:
    world = small_world()
    del world["as_of"]
    load_world(store, world, now=NOW)
    with store.connection() as conn:
        row = conn.execute("SELECT detected_at FROM risk_signals WHERE id = 'sig-1'").fetchone()
    assert row["detected_at"] == datetime(2027, 1, 10, 6, 30, tzinfo=timezone.utc)


def test_unknown_keys_are_kept_as_metadata_and_unicode_survives(store: Store) -> None:
    load_world(store, small_world(), now=NOW)
    with store.connection() as conn:
        row = conn.execute("SELECT name, metadata FROM customers WHERE id = 'k-1'").fetchone()
    assert row == {"name": "Café Zürich AG", "metadata": {"crm_segment": "gastro"}}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda w: w.update(format="escalation-world/2"), "unsupported format"),
        (lambda w: w["contacts"][0].update(customer_id="k-404"), "contacts 'p-1': field 'customer_id': unknown customers id 'k-404'"),
        (lambda w: w["risk_signals"][0].update(reported_by_contact_id="p-404"), "risk_signals 'sig-1': field 'reported_by_contact_id'"),
        (lambda w: w["risk_signals"][0].update(severity="catastrophic"), "risk_signals 'sig-1': field 'severity'"),
        (lambda w: w["customers"][0].pop("arr"), "customers 'k-1': field 'arr'"),
        (lambda w: w["customers"][0].update(timezone="Mars/Olympus"), "unknown IANA timezone"),
        (lambda w: w["staff"].append(dict(w["staff"][0])), "duplicate id"),
        (lambda w: w["staff"][0].update(manager_id="nobody"), "staff 's-1': field 'manager_id'"),
        (lambda w: w.update(contacts={}), "contacts: expected a list"),
        (lambda w: w.update(vendor={"name": "No domain"}), "vendor: field 'email_domain'"),
    ],
)
def test_broken_world_writes_nothing_and_names_the_record(store: Store, mutate: Any, expected: str) -> None:
    world = small_world()
    mutate(world)
    with pytest.raises(WorldFileError) as err:
        load_world(store, world, now=NOW)
    assert expected in err.value.message
    assert sum(counts(store).values()) == 0


def test_reporter_of_another_customer_is_refused(store: Store) -> None:
    world = small_world()
    world["customers"].append({**copy.deepcopy(world["customers"][0]), "id": "k-2", "name": "Other GmbH"})
    world["contacts"].append({"id": "p-2", "customer_id": "k-2", "name": "Eve", "email": "eve@other.example"})
    world["risk_signals"][0]["reported_by_contact_id"] = "p-2"
    with pytest.raises(WorldFileError, match="belongs to another customer"):
        load_world(store, world, now=NOW)
    assert sum(counts(store).values()) == 0


def test_later_file_may_reference_loaded_records_and_keeps_response_tracking(store: Store) -> None:
    load_world(store, small_world(), now=NOW)
    with store.connection() as conn:
        conn.execute("UPDATE risk_signals SET response_sent_at = now(), response_email_id = 'msg-1' WHERE id = 'sig-1'")
    follow_up = {"format": "escalation-world/1", "risk_signals": [
        {**small_world()["risk_signals"][0], "title": "Kassensystem wieder ausgefallen"},
        {"id": "sig-2", "customer_id": "k-1", "signal_type": "ticket_escalated", "severity": "low",
         "source": "support_ticket", "title": "Export langsam", "detected_at": "2027-01-11T09:00:00Z", "status": "open"},
    ]}
    load_world(store, follow_up, now=NOW)
    with store.connection() as conn:
        rows = conn.execute("SELECT id, title, response_email_id FROM risk_signals ORDER BY id").fetchall()
    assert rows == [
        {"id": "sig-1", "title": "Kassensystem wieder ausgefallen", "response_email_id": "msg-1"},
        {"id": "sig-2", "title": "Export langsam", "response_email_id": None},
    ]


def test_cli_load_reports_errors_in_one_line(tmp_path: Path, db_url: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "escalation-world/1", "staff": [', encoding="utf-8")
    runner = CliRunner()
    env = {"ESCALATION_DATABASE_URL": db_url}
    result = runner.invoke(app, ["load", str(bad)], env=env)
    assert result.exit_code == 1
    assert "not valid JSON at line 1" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    result = runner.invoke(app, ["load", str(bad), "--json"], env=env)
    assert json.loads(result.stderr)["error"]["code"] == "invalid_world_file"
    good = tmp_path / "good.json"
    good.write_text(json.dumps(small_world()), encoding="utf-8")
    result = runner.invoke(app, ["load", str(good)], env=env)
    assert result.exit_code == 0, result.stderr
    assert "1 customers" in result.stdout
