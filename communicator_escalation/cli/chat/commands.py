"""CLI commands: `escalation chat` (REPL or scripted turns) and `escalation demo` (the PRD conversation)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ...auth.actor import ACCOUNT_CSM
from ...config import Settings
from ...rendering import phrases, render
from ...store import Store
from ...store.embedded import stop_embedded_server
from ...workflow.followthrough.clock import list_due_updates
from ...workflow.policy import Policy
from .._app import app, guarded
from ..options import AsStaff

DEMO_WORLD = Path(__file__).resolve().parents[2] / "worlds" / "demo-world.json"


@app.command("chat")
def chat(
    message: Annotated[list[str], typer.Option(
        "-m", "--message", help="Run these messages as scripted turns and print the transcript (repeatable).")] = [],  # noqa: B006
    thread: Annotated[str | None, typer.Option("--thread", help="Continue or resume this conversation (thread id).")] = None,
    as_staff: AsStaff = None,
) -> None:
    """Chat with the Communicator agent: interactive, or scripted with -m.

    At a review, the next message is the decision: approve/yes/send, reject/no/cancel, or any other
    text, which rejects the send with that text as the reason and is then handled as a new request.
    """
    from ...agent.host import CommunicatorAgent  # LangChain loads only for the agent's commands
    from ...agent.offline.model import OfflineChatModel
    from ...agent.runtime import open_runtime
    from .transcript import repl, run_script, terminal_console

    with guarded(), open_runtime(actor=as_staff) as runtime:
        agent = CommunicatorAgent.from_runtime(runtime)
        cards = not isinstance(runtime.model, OfflineChatModel)
        if message:
            run_script(terminal_console(), agent, list(message), thread_id=thread, actor=as_staff, cards=cards)
        else:
            repl(terminal_console(), agent, thread, as_staff, cards=cards)


@contextmanager
def throwaway_home() -> Iterator[Settings]:
    """Settings on a temporary home (embedded PostgreSQL, local outbox, offline model), removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="escalation-demo-"))
    settings = Settings(home=home, database_url=None, openai_api_key=None, mail_transport="outbox", policy_file=None)
    try:
        yield settings
    finally:
        if settings.pgdata_dir.exists():
            stop_embedded_server(settings.pgdata_dir)
        shutil.rmtree(home, ignore_errors=True)


@app.command("demo")
def demo() -> None:
    """Run the PRD conversation on the demo world in a throw-away home, then clean up.

    Draft escalation response for DataFlow, Send Urgently, approve the review: the transcript shows
    the context, the draft, the suggested CCs, the expedited approval, the send and the response time,
    then the update clock the send started and a line of insights from the demo world's history.
    """
    from ...agent.host import CommunicatorAgent  # LangChain loads only for the agent's commands
    from ...agent.runtime import open_runtime
    from ...store.world.loader import load_world
    from .transcript import run_script, terminal_console

    with guarded(), throwaway_home() as settings, open_runtime(settings) as runtime:
        load_world(runtime.store, DEMO_WORLD)
        agent = CommunicatorAgent.from_runtime(runtime)
        run_script(terminal_console(), agent, list(phrases("cli/messages.j2").demo_script), cards=False, show_thread=False)
        _after_the_send(runtime.store, runtime.policy)


def _after_the_send(store: Store, policy: Policy) -> None:
    """The demo's last lines: the update clock of the sent response and the insights of the history."""
    from ...insights.report import build_insights

    clocks = list_due_updates(store, actor=ACCOUNT_CSM, include_upcoming=True)
    insights = build_insights(store, actor=ACCOUNT_CSM, policy=policy)
    judged = [a for a in insights.approaches if a.judged]
    best = max(judged, key=lambda a: (a.ci_low or 0, a.judged), default=None)
    typer.echo(render("cli/demo_after.j2", clocks=clocks, insights=insights, best=best).strip())
