"""The retry delay of sends: capped exponential backoff with jitter, never below Retry-After."""

from __future__ import annotations

import random

import pytest

from communicator_escalation.workflow.delivery.deliver import backoff_delay


@pytest.mark.parametrize("attempt", range(1, 9))
def test_delay_is_between_half_and_all_of_the_capped_exponential(attempt: int) -> None:
    rng = random.Random(attempt)
    ceiling = min(10.0, 0.5 * 2 ** (attempt - 1))
    delays = [backoff_delay(attempt, base=0.5, cap=10.0, rng=rng) for _ in range(200)]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 1  # jittered, so concurrent senders spread out


def test_retry_after_is_a_floor() -> None:
    assert backoff_delay(1, base=0.1, cap=5.0, retry_after=3.0, rng=random.Random(0)) == 3.0
    assert backoff_delay(8, base=1.0, cap=5.0, retry_after=0.01, rng=random.Random(0)) >= 2.5


def test_zero_base_means_no_wait() -> None:
    assert backoff_delay(3, base=0.0, cap=5.0, rng=random.Random(0)) == 0.0
