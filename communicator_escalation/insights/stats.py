"""Small statistics for the insights: nearest-rank percentiles and the Wilson score interval."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["percentile", "rate", "wilson"]

Z_95 = 1.959963984540054  # two-sided 95 % normal quantile


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank `p`-th percentile (0 < p <= 100) of `values`; None when empty.

    Nearest rank returns an observed value, and a higher `p` never gives a lower one.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def rate(hits: int, total: int) -> float | None:
    """hits / total, or None without observations."""
    return hits / total if total else None


def wilson(hits: int, total: int, *, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95 % by default); None without observations.

    Unlike the normal approximation it stays within [0, 1] and is sensible for small counts and
    for proportions of 0 or 1.
    """
    if total <= 0:
        return None
    p = hits / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    return (0.0 if hits == 0 else low), (1.0 if hits == total else high)  # exact at the ends (no rounding drift)
