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

import re

_F = re.IGNORECASE
_COMMAND = re.compile(
    r"^.*?\b(?:draft|write|reply|respond|answer|prepare|compose|acknowledge|handle|need)\b"
    r"(?:\s+(?:a|an|the|my|our|new|first))*"
    r"(?:\s+(?:escalation|response|reply|email|e-mail|answer|note|message|acknowledg(?:e)?ment))*",
    _F,
)
_EDGE = re.compile(
    r"^(?:[\s,;:\-–—.]|\b(?:to|for|at|from|of|on|with|by|and|the|their|its|about|re|escalation|response|reply|email|"
    r"please|pls|thanks|thank you|asap)\b)+|(?:[\s,;:\-–—.]|\b(?:to|for|at|from|of|on|with|by|and|the|escalation|"
    r"response|reply|email|please|pls|thanks|thank you)\b)+$",
    _F,
)
_PARTS = re.compile(r"\s*(?:[,;]|\s[-–—]\s|\bbut\b)\s*", _F)
_TAIL = re.compile(r"\s*(?:[,;:]|\s[-–—])\s+")
_ASKS = re.compile(
    r"\b(?:tone|soft\w*|warm\w*|friendl\w*|firm\w*|formal\w*|informal|casual|polite\w*|kind\w*|calm\w*|"
    r"apolog\w*|empath\w*|short\w*|brief\w*|concise\w*|long\w*|detail\w*|mention\w*|includ\w*|emphasi[sz]\w*|"
    r"stress\w*|highlight\w*|acknowledg\w*|reassur\w*|thank\w*|offer\w*|keep\s+it|make\s+it|less|more|sound\w*|"
    r"personal\w*|direct\w*|human\w*|plain|simple|language|english|german|french|spanish|italian|japanese|"
    r"without|avoid\w*|don'?t|do\s+not|no\s+jargon)\b",
    _F,
)


def trailing_instructions(request: str) -> str | None:
    """Guidance after the first comma, semicolon or dash, when no tool said which words named the escalation."""
    parts = _TAIL.split(request, maxsplit=1)
    return parts[1].strip() if len(parts) == 2 and _ASKS.search(parts[1]) else None


def drafting_instructions(request: str, named_by: list[str]) -> str | None:
    """The guidance in `request` once the words in `named_by` and the command words are taken out.

    Args:
        request: The CSM's clause ("Draft escalation response for DataFlow in a softer tone").
        named_by: The words that named the escalation, as the context tool reported them.

    Returns:
        The remaining words when they ask for something about the wording, else None.
    """
    rest = request
    for words in named_by:
        rest = rest.replace(words, " ", 1)
    rest = _COMMAND.sub("", rest, count=1) if _COMMAND.search(rest) else rest
    previous = None
    while previous != rest:
        previous, rest = rest, _EDGE.sub("", rest.strip())
    asks = [part.strip() for part in _PARTS.split(" ".join(rest.split())) if _ASKS.search(part)]
    return ", ".join(asks) or None
