"""What is left of a draft request once the escalation is named: drafting guidance, when it asks for tone or content.

"Draft escalation response for DataFlow in a softer tone": the context tool reports that "DataFlow"
named the escalation; the command words before it and the connecting words around it go, and what
remains ("in a softer tone") is passed to the draft tool as instructions, but only when it asks for
something about the wording (tone, length, something to mention). "Help me write to Northwind about
their invoice issue" leaves "about their invoice issue", which describes the escalation and asks
for nothing, so no instructions. Instructions only ever guide the optional LLM rewrite; the drafting
step's grounding check and the send gate still apply to whatever it writes.
"""

from __future__ import annotations

from .phrases import guidance


def trailing_instructions(request: str) -> str | None:
    """Guidance after the first comma, semicolon or dash, when no tool said which words named the escalation."""
    patterns = guidance()
    parts = patterns.tail.split(request, maxsplit=1)
    return parts[1].strip() if len(parts) == 2 and patterns.asks.search(parts[1]) else None


def drafting_instructions(request: str, named_by: list[str]) -> str | None:
    """The guidance in `request` once the words in `named_by` and the command words are taken out.

    Args:
        request: The CSM's clause ("Draft escalation response for DataFlow in a softer tone").
        named_by: The words that named the escalation, as the context tool reported them.

    Returns:
        The remaining words when they ask for something about the wording, else None.
    """
    patterns, rest = guidance(), request
    for words in named_by:
        rest = rest.replace(words, " ", 1)
    rest = patterns.command.sub("", rest, count=1) if patterns.command.search(rest) else rest
    previous = None
    while previous != rest:
        previous, rest = rest, patterns.edge.sub("", rest.strip())
    wanted = [part.strip() for part in patterns.parts.split(" ".join(rest.split())) if patterns.asks.search(part)]
    return ", ".join(wanted) or None
