"""CLI commands: `escalation chat` (REPL or scripted turns) and `escalation demo` (the PRD conversation)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.prompt import Prompt
from rich.text import Text

from ..agent.host import ChatMessage, CommunicatorAgent, ReviewDecision, ReviewRequest, Turn, decision_from_text
from ..agent.offline_model import OfflineChatModel
from ..agent.results import parse_tool_result
from ..agent.runtime import open_runtime
from ..config import Settings
from ..rendering import render
from ..store.embedded import stop_embedded_server
from ..store.world import load_world
from ._app import app, guarded

DEMO_WORLD = Path(__file__).resolve().parents[1] / "worlds" / "demo-world.json"
DEMO_SCRIPT = ("Draft escalation response for DataFlow", "Send Urgently", "approve")
_CARD_TEMPLATES = {
    "context": "cli/context.j2",
    "draft": "cli/draft.j2",
    "review": "cli/review.j2",
    "cc_suggestions": "cli/ccs.j2",
    "strategy": "cli/strategy.j2",
    "send": "cli/send.j2",
    "cancel": "cli/cancel.j2",
    "error": "cli/error.j2",
}
_PANELLED = {"context", "draft"}


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _panel(text: str, **options: str) -> Panel:
    return Panel(Text(text), expand=False, **options)  # type: ignore[arg-type]


def _show_message(console: Console, message: ChatMessage, *, cards: bool) -> None:
    if message.role == "user":
        console.print(Text(f"CSM: {message.content}", style="bold cyan"))
    elif message.role == "assistant":
        if message.content.strip():
            console.print(Text(f"System: {message.content.strip()}"))
    elif cards:
        result = parse_tool_result(message.content)
        if result is None:
            console.print(Text(message.content, style="dim"))
            return
        text = render(_CARD_TEMPLATES[result.kind], r=result, d=result).strip()
        style = "red" if result.kind == "error" else ""
        console.print(
            _panel(text) if result.kind in _PANELLED else Text(text, style=style),
            soft_wrap=result.kind not in _PANELLED,
        )


def show_turn(console: Console, turn: Turn, *, cards: bool = True) -> None:
    """Print the messages of a turn: what was said, tool results as cards, and any pending review.

    Args:
        console: Where to print.
        turn: The turn.
        cards: Show tool results as cards (context block, draft card, send status). The offline
            model already writes them into its answer, so its transcripts pass False.
    """
    for message in turn.messages:
        _show_message(console, message, cards=cards)
    for request in turn.pending_review:
        _show_review(console, request, turn.thread_id)


def _show_review(console: Console, request: ReviewRequest, thread_id: str) -> None:
    text = render("cli/review_request.j2", request=request, thread_id=thread_id).strip()
    console.print(_panel(text, title="Review", border_style="yellow"), soft_wrap=False)


def _ask_decision(request: ReviewRequest) -> ReviewDecision:
    answer = Prompt.ask("Decision", choices=request.allowed_decisions, default="approve")
    if answer == "edit":
        return ReviewDecision(type="edit", args={"urgent": not bool(request.args.get("urgent", False))})
    if answer == "reject":
        reason = Prompt.ask("Reason (optional)", default="")
        return ReviewDecision(type="reject", message=reason or None)
    return ReviewDecision(type="approve")


def _repl(console: Console, agent: CommunicatorAgent, thread_id: str | None, actor: str | None, *, cards: bool) -> None:
    if thread_id:
        for request in agent.pending_review(thread_id):
            _show_review(console, request, thread_id)
            show_turn(console, agent.run_turn(thread_id, decision=_ask_decision(request), actor=actor), cards=cards)
    while True:
        try:
            line = Prompt.ask("[bold cyan]CSM[/]")
        except (EOFError, KeyboardInterrupt):
            break
        if line.strip().lower() in {"exit", "quit", ":q"}:
            break
        if not line.strip():
            continue
        turn = agent.run_turn(thread_id, message=line, actor=actor)
        thread_id = turn.thread_id
        show_turn(console, turn, cards=cards)
        while turn.pending_review:
            turn = agent.run_turn(thread_id, decision=_ask_decision(turn.pending_review[0]), actor=actor)
            show_turn(console, turn, cards=cards)
    if thread_id:
        console.print(Text(render("cli/thread.j2", thread_id=thread_id, waiting=False).strip(), style="dim"))


def run_script(
    console: Console,
    agent: CommunicatorAgent,
    messages: list[str],
    *,
    thread_id: str | None = None,
    actor: str | None = None,
    cards: bool = True,
    show_thread: bool = True,
) -> Turn | None:
    """Run `messages` as consecutive turns of one thread, printing the transcript; returns the last turn.

    At a review the message is the decision (see `CommunicatorAgent.run_turn`); a decision word is
    echoed as the CSM's line, since it is not a chat message of the thread.
    """
    turn: Turn | None = None
    for line in messages:
        if thread_id and agent.pending_review(thread_id) and decision_from_text(line) is not None:
            console.print(Text(f"CSM: {line}", style="bold cyan"))
        turn = agent.run_turn(thread_id, message=line, actor=actor)
        thread_id = turn.thread_id
        show_turn(console, turn, cards=cards)
    if turn is not None and show_thread:
        console.print(Text(render("cli/thread.j2", thread_id=turn.thread_id, waiting=turn.waiting_for_review).strip()))
    return turn


@app.command("chat")
def chat(
    message: list[str] = typer.Option(
        [], "-m", "--message", help="Run these messages as scripted turns and print the transcript (repeatable)."
    ),
    thread: str | None = typer.Option(None, "--thread", help="Continue or resume this conversation (thread id)."),
    actor: str | None = typer.Option(None, "--as", help="Staff id to act as (default: the account's CSM)."),
) -> None:
    """Chat with the Communicator agent: interactive, or scripted with -m.

    At a review, the next message is the decision: approve/yes/send, reject/no/cancel, or any other
    text, which rejects the send with that text as the reason and is then handled as a new request.
    """
    console = _console()
    with guarded(), open_runtime(actor=actor) as runtime:
        agent = CommunicatorAgent.from_runtime(runtime)
        cards = not isinstance(runtime.model, OfflineChatModel)
        if message:
            run_script(console, agent, list(message), thread_id=thread, actor=actor, cards=cards)
        else:
            _repl(console, agent, thread, actor, cards=cards)


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
    the context, the draft, the suggested CCs, the expedited approval, the send and the response time.
    """
    console = _console()
    with guarded(), throwaway_home() as settings, open_runtime(settings) as runtime:
        load_world(runtime.store, DEMO_WORLD)
        agent = CommunicatorAgent.from_runtime(runtime)
        run_script(console, agent, list(DEMO_SCRIPT), cards=False, show_thread=False)
