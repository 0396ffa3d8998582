"""Run a conversation's turns in one of the agent's three modes: invoke, ainvoke or astream.

`TurnDriver` has the `run_turn`/`pending_review` surface of `CommunicatorAgent`, so a conversation
test reads the same in every mode: `invoke` calls `run_turn`; `ainvoke` awaits `arun_turn`; `astream`
consumes `astream_turn` and checks the streamed text: the tokens add up to exactly the agent's text
in the turn, and arrive in pieces (not one message at a time). Async turns of one test share one
event loop (an `asyncio.Runner`), as an async web app would.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from communicator_escalation.agent.host import CommunicatorAgent, ReviewRequest, Turn, TurnToken

TurnMode = Literal["invoke", "ainvoke", "astream"]
TURN_MODES: tuple[TurnMode, ...] = ("invoke", "ainvoke", "astream")


class TurnDriver:
    """A CommunicatorAgent driven in one mode."""

    def __init__(self, agent: CommunicatorAgent, mode: TurnMode, runner: asyncio.Runner) -> None:
        self.agent = agent
        self.mode = mode
        self.runner = runner
        self.tokens: list[TurnToken] = []
        """Every token streamed so far (astream mode)."""

    def run_turn(self, thread_id: str | None = None, **given: Any) -> Turn:
        """One turn in this driver's mode."""
        if self.mode == "invoke":
            return self.agent.run_turn(thread_id, **given)
        if self.mode == "ainvoke":
            return self.runner.run(self.agent.arun_turn(thread_id, **given))
        return self.runner.run(self._streamed(thread_id, **given))

    def pending_review(self, thread_id: str) -> list[ReviewRequest]:
        """What the thread waits for, read in this driver's mode (sync, or async for the async modes)."""
        if self.mode == "invoke":
            return self.agent.pending_review(thread_id)
        return self.runner.run(self.agent.apending_review(thread_id))

    async def _streamed(self, thread_id: str | None, **given: Any) -> Turn:
        tokens: list[TurnToken] = []
        turn: Turn | None = None
        async for event in self.agent.astream_turn(thread_id, **given):
            if isinstance(event, TurnToken):
                assert turn is None, "a token after the turn"
                tokens.append(event)
            else:
                turn = event
        assert turn is not None, "the stream ended without the turn"
        texts = [m.content for m in turn.messages if m.role == "assistant" and m.content]
        assert "".join(t.text for t in tokens) == "".join(texts), "streamed text differs from the turn's text"
        if any(len(text.split()) > 1 for text in texts):
            assert len(tokens) > len(texts), "the text came whole, not streamed in pieces"
        self.tokens += tokens
        return turn
