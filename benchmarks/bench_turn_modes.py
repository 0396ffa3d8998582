"""Benchmark: one PRD conversation turn in each of the agent's modes (invoke, ainvoke, astream).

Loads the demo world into a scratch database (dropped afterwards) on the configured server
(ESCALATION_DATABASE_URL, or the embedded PostgreSQL under ESCALATION_HOME), builds the Communicator
agent on the offline model with PostgreSQL checkpoints, and times "Draft escalation response for
DataFlow" and "Send Urgently" (up to the review card; the review is then rejected, nothing is sent).

    .venv/bin/python benchmarks/bench_turn_modes.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from _scratch import scratch_database
from bench_drafting import DEMO_WORLD, NOW

from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent, ReviewDecision, Turn, TurnToken
from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.config import Settings
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store, database_url
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.policy import Policy

TURNS = ("Draft escalation response for DataFlow", "Send Urgently")


async def _streamed(agent: CommunicatorAgent, thread_id: str | None, message: str) -> Turn:
    turn: Turn | None = None
    async for event in agent.astream_turn(thread_id, message=message):
        turn = turn if isinstance(event, TurnToken) else event
    assert turn is not None
    return turn


def _turn(agent: CommunicatorAgent, mode: str, loop: asyncio.Runner, thread_id: str | None, text: str) -> Turn:
    if mode == "invoke":
        return agent.run_turn(thread_id, message=text)
    if mode == "ainvoke":
        return loop.run(agent.arun_turn(thread_id, message=text))
    return loop.run(_streamed(agent, thread_id, text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="conversations per mode (default 10)")
    args = parser.parse_args()

    with (
        scratch_database(database_url(Settings()), "bench_turn_modes") as url,
        Store.open(url) as store,
        tempfile.TemporaryDirectory() as outbox,
        asyncio.Runner() as loop,
    ):
        load_world(store, DEMO_WORLD, now=NOW)
        skill = EscalationSkill(store, OutboxMailer(Path(outbox)), Policy(), now=NOW)
        agent = CommunicatorAgent([skill], model=OfflineChatModel(), checkpointer=postgres_checkpointer(store))
        for mode in ("invoke", "ainvoke", "astream"):
            seconds: dict[str, list[float]] = {text: [] for text in TURNS}
            for _ in range(args.rounds):
                thread: str | None = None
                for text in TURNS:
                    start = time.perf_counter()
                    thread = _turn(agent, mode, loop, thread, text).thread_id
                    seconds[text].append(time.perf_counter() - start)
                agent.run_turn(thread, decision=ReviewDecision(type="reject"))
            medians = ", ".join(f"{text!r} {statistics.median(s) * 1000:.0f} ms" for text, s in seconds.items())
            print(f"{mode:8} median of {args.rounds}: {medians}")

if __name__ == "__main__":
    main()
