"""Every agent conversation here runs in the agent's three modes: invoke, ainvoke and astream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from communicator_escalation.agent.host import CommunicatorAgent
from tests.support.turn_modes import TURN_MODES, TurnDriver, TurnMode


@pytest.fixture(params=TURN_MODES)
def turn_mode(request: pytest.FixtureRequest) -> TurnMode:
    """invoke (run_turn), ainvoke (arun_turn) or astream (astream_turn)."""
    mode: TurnMode = request.param
    return mode


@pytest.fixture
def drive(turn_mode: TurnMode) -> Iterator[Callable[[CommunicatorAgent], TurnDriver]]:
    """Wrap an agent so that its turns run in this test's mode (one event loop per test)."""
    with asyncio.Runner() as runner:
        yield lambda agent: TurnDriver(agent, turn_mode, runner)
