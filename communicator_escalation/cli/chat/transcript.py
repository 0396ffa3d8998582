"""Printing an agent conversation in the terminal: turns, tool-result cards, reviews; the REPL."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.prompt import Prompt
from rich.text import Text

from ...agent.host import ChatMessage, CommunicatorAgent, ReviewDecision, ReviewRequest, Turn, decision_from_text
from ...agent.tools.results import parse_tool_result
from ...rendering import render
from .._app import console

__all__ = ["repl", "run_script", "show_turn", "terminal_console"]

_CARD_TEMPLATES = {
    "review": "cli/review.j2",
    "cc_suggestions": "cli/ccs.j2",
    "strategy": "cli/strategy.j2",
    "send": "cli/send.j2",
    "cancel": "cli/cancel.j2",
    "error": "cli/error.j2",
    "open_escalations": "cli/inbox.j2",
}
_SAID_BY_THE_AGENT = {"context", "draft"}
"""Results the agent's own answer shows (the draft card rendered from the stored draft)."""


def terminal_console() -> Console:
    """The console transcripts are printed on (data escaped, as every human view)."""
    return console(soft_wrap=True)


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
        if result.kind in _SAID_BY_THE_AGENT:
            return
        text = render(_CARD_TEMPLATES[result.kind], r=result, d=result, inbox=result).strip()
        console.print(Text(text, style="red" if result.kind == "error" else ""), soft_wrap=True)


def show_turn(console: Console, turn: Turn, *, cards: bool = True) -> None:
    """Print the messages of a turn: what was said, tool results as cards, and any pending review.

    Args:
        console: Where to print.
        turn: The turn.
        cards: Show tool results as cards (review, send status, inbox, errors); the context and the
            draft card are in the agent's answer. The offline model writes every card into its
            answer, so its transcripts pass False.
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


def repl(console: Console, agent: CommunicatorAgent, thread_id: str | None, actor: str | None, *, cards: bool) -> None:
    """Chat interactively until exit/quit/EOF; at a review, ask for the decision."""
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
