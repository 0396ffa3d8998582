"""Percentiles and the Wilson interval against known values and their defining properties."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from communicator_escalation.insights.stats import percentile, rate, wilson


def test_wilson_matches_published_values() -> None:
    low, high = wilson(8, 10)  # Newcombe (1998): 8/10 -> 0.4902 to 0.9433
    assert math.isclose(low, 0.4902, abs_tol=5e-4) and math.isclose(high, 0.9433, abs_tol=5e-4)
    low, high = wilson(0, 10)
    assert low == 0 and math.isclose(high, 0.2775, abs_tol=5e-4)
    assert wilson(0, 0) is None and rate(0, 0) is None


@given(st.integers(min_value=1, max_value=500), st.data())
def test_wilson_contains_the_rate_and_stays_in_bounds(total: int, data: st.DataObject) -> None:
    hits = data.draw(st.integers(min_value=0, max_value=total))
    low, high = wilson(hits, total)
    assert 0 <= low <= hits / total <= high <= 1


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200))
def test_percentiles_are_observed_values_in_order(values: list[float]) -> None:
    p50, p90 = percentile(values, 50), percentile(values, 90)
    assert p50 in values and p90 in values and p50 <= p90 <= max(values)


def test_nearest_rank_percentiles() -> None:
    assert percentile([15, 20, 35, 40, 50], 50) == 35
    assert percentile([15, 20, 35, 40, 50], 90) == 50
    assert percentile([], 50) is None
