"""Pure parts of Step 1: name matching, escalation choice, health trend, duration text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from communicator_escalation.errors import (
    AmbiguousCustomer,
    CustomerNotFound,
    NoOpenEscalation,
    NotAnEscalation,
    NotFound,
)
from communicator_escalation.models import HealthPoint, RiskSignal
from communicator_escalation.workflow.context.customers import ResolvedCustomer, match_customer, name_key
from communicator_escalation.workflow.context.gather import health_trend
from communicator_escalation.workflow.context.target import select_escalation

NOW = datetime(2031, 5, 1, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("name", "key", "base"),
    [
        ("DataFlow Inc.", "dataflowinc", "dataflow"),
        ("Müller & Söhne GmbH & Co. KG", "mullersohnegmbhcokg", "mullersohne"),
        ("株式会社さくら", "株式会社さくら", "さくら"),
        ("台湾积体电路股份有限公司", "台湾积体电路股份有限公司", "台湾积体电路"),
        ("ＡＣＭＥ　Ｃｏｒｐ", "acmecorp", "acme"),  # full-width letters and space
        ("Limited", "limited", "limited"),  # a legal form alone stays the name
    ],
)
def test_name_keys(name: str, key: str, base: str) -> None:
    assert name_key(name) == key
    assert name_key(name, drop_legal_form=True) == base


def _customers(*names: str) -> list[ResolvedCustomer]:
    return [ResolvedCustomer(id=f"id-{i}", name=name) for i, name in enumerate(names)]


def test_match_tiers() -> None:
    everyone = _customers("Initech LLC", "Initrode Ltd", "Globex Corporation")
    assert match_customer(customers=everyone, query="globex").name == "Globex Corporation"
    assert match_customer(customers=everyone, query="initech").name == "Initech LLC"
    assert match_customer(customers=everyone, query="Initrod").name == "Initrode Ltd"  # unique prefix
    with pytest.raises(AmbiguousCustomer) as info:
        match_customer(customers=everyone, query="init")
    assert info.value.candidates == ["Initech LLC", "Initrode Ltd"]
    assert match_customer(customers=everyone, query="Globx").name == "Globex Corporation"  # typo
    with pytest.raises(CustomerNotFound) as missing:
        match_customer(customers=everyone, query="Umbrella")
    assert missing.value.candidates == []


def _signal(sid: str, *, severity: str = "high", hours_ago: float = 1, kind: str = "ticket_escalated",
            status: str = "open") -> RiskSignal:
    return RiskSignal(id=sid, customer_id="k", signal_type=kind, severity=severity, source="s", title=sid,
                      detected_at=NOW - timedelta(hours=hours_ago), status=status)


def test_selection_order_and_errors() -> None:
    signals = [
        _signal("a", severity="medium", hours_ago=0.1),
        _signal("b", severity="critical", hours_ago=9),
        _signal("c", severity="critical", hours_ago=2, kind="executive_complaint"),
        _signal("d", severity="critical", hours_ago=1, kind="health_score_drop"),
        _signal("e", severity="critical", hours_ago=1, status="resolved"),
    ]
    chosen = select_escalation(signals=signals, customer_name="K")
    assert chosen.escalation.id == "c" and [s.id for s in chosen.others] == ["b", "a"]
    assert select_escalation(signals=signals, customer_name="K", signal_id="e").escalation.id == "e"
    with pytest.raises(NotAnEscalation):
        select_escalation(signals=signals, customer_name="K", signal_id="d")
    with pytest.raises(NotFound):
        select_escalation(signals=signals, customer_name="K", signal_id="zz")
    with pytest.raises(NoOpenEscalation, match="^K has no open escalation$"):
        select_escalation(signals=[signals[3]], customer_name="K")


def _points(*pairs: tuple[int, int]) -> list[HealthPoint]:
    return [HealthPoint(at=NOW - timedelta(days=days), score=score) for days, score in pairs]


def test_health_trend() -> None:
    falling = health_trend(points=_points((95, 80), (30, 70)), current=62, now=NOW)
    assert (falling.direction, falling.change, falling.window_days) == ("declining", -18, 95)
    assert [p.score for p in falling.history] == [80, 70, 62]
    assert health_trend(points=_points((60, 60)), current=62, now=NOW).direction == "stable"
    assert health_trend(points=_points((60, 50)), current=60, now=NOW).direction == "improving"
    alone = health_trend(points=[], current=40, now=NOW)
    assert (alone.direction, alone.change, alone.window_days) == ("stable", 0, None)
