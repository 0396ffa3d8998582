"""The policy: the issue's SLA table as default, TOML/JSON overrides, clear errors naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from communicator_escalation.config import Settings
from communicator_escalation.errors import ConfigurationError
from communicator_escalation.workflow.duration import Duration
from communicator_escalation.workflow.policy import Policy, load_policy


def test_default_sla_table() -> None:
    table = Policy().model_dump(mode="json")["sla"]
    assert table == {
        "critical": {"first_response": "30 minutes", "update_every": "2 hours", "resolution": "24 hours",
                     "clock": "around_the_clock"},
        "high": {"first_response": "1 hour", "update_every": "4 hours", "resolution": "72 hours",
                 "clock": "around_the_clock"},
        "medium": {"first_response": "4 business hours", "update_every": "24 hours", "resolution": "5 business days",
                   "clock": "business_hours"},
        "low": {"first_response": "1 business day", "update_every": "48 hours", "resolution": "10 business days",
                "clock": "business_hours"},
    }


def test_default_approval_and_thresholds() -> None:
    policy = load_policy(None)
    assert policy == Policy()
    assert policy.approval.expedite_severities == ["critical", "high"]
    assert policy.approval.approver_roles == ["csm_manager", "executive"]
    assert policy.relationship.repeat_window_days == 90
    assert policy.relationship.renewal_window_days == 120
    assert policy.relationship.strategic_arr == 250_000


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [("90 min", 90, "minutes"), ("1.5 hours", 1.5, "hours"), ("2 Business_Days", 2, "business_days"),
     ("3 days", 3, "days"), ("1 business hour", 1, "business_hours")],
)
def test_duration_text(text: str, amount: float, unit: str) -> None:
    duration = Duration.model_validate(text)
    assert (duration.amount, duration.unit) == (amount, unit)
    assert Duration.model_validate(duration.model_dump()) == duration


def test_toml_override_merges_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        '[sla.high]\nfirst_response = "45 minutes"\n\n'
        '[approval]\nexpedite_severities = ["critical"]\n\n'
        '[relationship]\nstrategic_arr = 100000\n\n'
        '[typing.keywords]\nbilling = ["rechnung", "gutschrift"]\n'
    )
    policy = load_policy(path)
    assert policy.sla.high.first_response == Duration(amount=45, unit="minutes")
    assert policy.sla.high.resolution == Policy().sla.high.resolution
    assert policy.sla.critical == Policy().sla.critical
    assert policy.approval.expedite_severities == ["critical"]
    assert policy.approval.approver_roles == ["csm_manager", "executive"]
    assert policy.relationship.strategic_arr == 100_000
    assert policy.typing.keywords["billing"] == ["rechnung", "gutschrift"]  # lists replace
    assert policy.typing.keywords["technical"] == Policy().typing.keywords["technical"]


def test_json_override(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"business_hours": {"start": "08:00", "end": "16:30", "weekdays": [0, 1, 2, 3]}}))
    hours = load_policy(path).business_hours
    assert (hours.start.hour, hours.end.minute, hours.weekdays) == (8, 30, [0, 1, 2, 3])


def test_settings_policy_file_is_what_load_policy_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[sla.low]\nupdate_every = "3 days"\n')
    monkeypatch.setenv("ESCALATION_POLICY_FILE", str(path))
    assert load_policy(Settings().policy_file).sla.low.update_every == Duration(amount=3, unit="days")


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('[sla.low]\nresolution = "soon"\n', "sla.low.resolution"),
        ('[sla.critical]\nfirst_response = "10 business hours"\n', "sla.critical"),
        ('[approval]\nexpedite = ["high"]\n', "approval.expedite"),
        ('[approval]\napprover_roles = ["intern"]\n', "approval.approver_roles.0"),
        ('[business_hours]\nweekdays = [7]\n', "business_hours.weekdays"),
        ('[business_hours]\nstart = "18:00"\n', "business_hours"),
        ('[[timeline.billing]]\nkey = "billing_confirmation"\nat = 1.0\n'
         '[[timeline.billing]]\nkey = "corrected_invoice"\nat = 0.5\n', "timeline"),
        ('[[timeline.service]]\nkey = "lunch"\nat = 0.5\n', "timeline.service.0.key"),
        ("[sla]\nurgent = {}\n", "sla.urgent"),
    ],
)
def test_invalid_values_name_the_key(tmp_path: Path, body: str, named: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(body)
    with pytest.raises(ConfigurationError) as caught:
        load_policy(path)
    assert named in caught.value.message
    assert str(path) in caught.value.message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_policy(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[sla\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_policy(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("[1, 2]")
    with pytest.raises(ConfigurationError, match="top level"):
        load_policy(bad_json)
    yaml = tmp_path / "policy.yaml"
    yaml.write_text("sla: {}")
    with pytest.raises(ConfigurationError, match=".toml or .json"):
        load_policy(yaml)
