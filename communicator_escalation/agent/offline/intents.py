"""Read what a CSM asks for in chat: one or several actions, in the order they were asked.

Case-insensitive and tolerant of politeness, punctuation and extra words; the command words are
English, the names (customers, people) may be in any language. A message with several requests
("add my manager and send it urgently") is cut into clauses where a new command verb starts.
Values the CSM dictates (a subject, replacement text, names) keep their original case. Which
customer, contact or escalation a clause names is not decided here: the context and draft tools read
the clause against the database (workflow/context/locate.py).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field
from text_to_num import alpha2digit

from communicator_escalation.models import Severity
from communicator_escalation.workflow.context.mentions import is_weak, words

from . import phrases as p

ActionKind = Literal[
    "draft", "redraft", "send", "add_ccs", "remove_ccs", "edit", "show", "cancel", "suggest_ccs", "explain",
    "inbox", "next", "update", "updates", "edit_help", "hold", "help",
]
Topic = Literal["tone", "ccs", "sla", "strategy"]
_ACTING = {"draft", "redraft", "send", "add_ccs", "remove_ccs", "edit", "show", "cancel", "suggest_ccs", "explain", "inbox", "next",
           "update", "updates"}


class Action(BaseModel):
    """One thing the CSM asked for, as the offline model understood it."""

    kind: ActionKind = Field(description="What the CSM asks for.")
    text: str = Field(default="", description="The clause as typed (what the tools read for names).")
    names_target: bool = Field(default=False, description="The clause has words that may name an escalation.")
    signal_id: str | None = Field(default=None, description="A signal id given as 'signal <id>'.")
    ordinal: int | None = Field(default=None, description="'the first one', '#2': an item of the last list (-1: last).")
    instructions: str | None = Field(default=None, description="Redraft guidance (tone, length).")
    urgent: bool = Field(default=False, description="Send urgently (expedited approval).")
    who: list[str] = Field(default_factory=list, description="Names or roles to add or remove; empty = the suggestions.")
    subject: str | None = Field(default=None, description="New subject line.")
    body: str | None = Field(default=None, description="New body.")
    replace: str | None = Field(default=None, description="Text to replace.")
    with_text: str | None = Field(default=None, description="Replacement text.")
    to: str | None = Field(default=None, description="New recipient (a contact of the customer).")
    topic: Topic | None = Field(default=None, description="What to explain.")
    scope: Literal["mine", "team", "all"] = Field(default="all", description="Which open escalations to list.")
    severities: list[Severity] = Field(default_factory=list, description="Severities to list; empty = all.")
    limit: int | None = Field(default=None, description="How many to list.")


def tidy(text: str) -> str:
    """The clause without polite filler, brackets and end punctuation (a legal form's dot stays)."""
    cleaned = text.strip()
    if "\n" not in cleaned:
        cleaned = " ".join(cleaned.split())
    if cleaned.startswith("[") and cleaned.endswith("]"):
        cleaned = cleaned[1:-1].strip()
    previous = None
    while previous != cleaned:
        previous = cleaned
        cleaned = p.LEADING.sub("", cleaned).strip()
        cleaned = p.TRAILING_MARKS.sub("", p.TRAILING_WORDS.sub("", cleaned)).strip()
        if not p.KEEP_DOT.search(cleaned):
            cleaned = p.TRAILING_PUNCT.sub("", cleaned).strip()
    return cleaned


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] in p.QUOTES and value[-1] in p.QUOTES:
        return value[1:-1].strip()
    return value


def _clauses(text: str) -> list[str]:
    """Cut at a connector followed by a command verb, never inside quotes."""
    quoted = re.sub(r"([\"“”„«»]).*?([\"“”«»])", lambda m: "\x00" * len(m.group()), text)
    cuts = [m.span() for m in p.CLAUSE_SPLIT.finditer(quoted)]
    pieces, start = [], 0
    for begin, end in cuts:
        pieces.append(text[start:begin])
        start = end
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()]


def read_actions(text: str) -> list[Action]:
    """Understand one chat message.

    Args:
        text: What the CSM typed.

    Returns:
        The actions in the order asked; `[help]` when nothing in it is something the model can act on.
    """
    if match := p.BODY.match(p.LEADING.sub("", text.strip())):
        return [Action(kind="edit", text=text, body=_unquote(match["v"]))]
    actions = [action for clause in _clauses(text) if (action := read_clause(clause)) is not None]
    acting = [a for a in actions if a.kind in _ACTING]
    if acting:
        return acting
    return actions[:1] or [Action(kind="help", text=text)]


def read_clause(clause: str) -> Action | None:
    """One clause's action, or None when it asks for nothing (e.g. "thanks")."""
    cleaned = tidy(clause)
    if not cleaned:
        return None
    for reader in (_edit, _ccs, _simple, _explain, _update, _inbox, _draft):
        if (action := reader(cleaned)) is not None:
            return action.model_copy(update={"text": cleaned})
    return Action(kind="help") if p.HELP.search(cleaned) or not _names_something(cleaned) else None


def _names_something(text: str) -> bool:
    return any(not is_weak(w) for w in words(text))


def _edit(text: str) -> Action | None:
    for pattern in p.SUBJECT:
        if match := pattern.match(text):
            return Action(kind="edit", subject=_unquote(match["v"]))
    for pattern in p.REPLACE:
        if match := pattern.match(text):
            return Action(kind="edit", replace=match["a"], with_text=match["b"])
    if match := p.DELETE_TEXT.match(text):
        return Action(kind="edit", replace=match["a"], with_text="")
    for pattern in p.RECIPIENT:
        if match := pattern.match(text):
            return Action(kind="edit", to=_unquote(match["v"]))
    if p.REDRAFT.match(text):
        return Action(kind="redraft", instructions=text)
    return None


def _ccs(text: str) -> Action | None:
    if p.ADD_ALL.match(text):
        return Action(kind="add_ccs")
    for kind, patterns in (("add_ccs", p.ADD_WHO), ("remove_ccs", p.REMOVE_WHO)):
        for pattern in patterns:
            if (match := pattern.match(text)) and (who := _split_who(match["who"])):
                return Action(kind=kind, who=who)  # type: ignore[arg-type]
    return None


def _split_who(text: str) -> list[str]:
    people: list[str] = []
    for part in p.WHO_SPLIT.split(text):
        name, previous = _unquote(part), None
        while previous != name:
            previous, name = name, p.WHO_ARTICLE.sub("", name).strip()
        if name:
            people.append(name)
    return people


def _simple(text: str) -> Action | None:
    if p.HOLD.search(text):
        return Action(kind="hold")
    if p.SEND.match(text):
        return Action(kind="send", urgent=bool(p.URGENT.search(text)), names_target=_names_something(text))
    if p.CANCEL.match(text):
        return Action(kind="cancel")
    if p.SUGGEST.match(text):
        return Action(kind="suggest_ccs")
    if p.SHOW.match(text):
        return Action(kind="show")
    if p.EDIT_HELP.match(text):
        return Action(kind="edit_help")
    return None


def _explain(text: str) -> Action | None:
    for topic, pattern in (("ccs", p.EXPLAIN_CCS), ("tone", p.EXPLAIN_TONE), ("sla", p.EXPLAIN_SLA),
                           ("strategy", p.STRATEGY)):
        if pattern.search(text):
            return Action(kind="explain", topic=topic, names_target=_names_something(text))  # type: ignore[arg-type]
    return None


def _inbox(text: str) -> Action | None:
    kind = "next" if p.NEXT.search(text) else "inbox" if p.INBOX.search(text) else None
    if kind is None:
        return None
    scope = "team" if p.SCOPE_TEAM.search(text) else "mine" if p.SCOPE_MINE.search(text) else "all"
    severities = list(dict.fromkeys(m.lower() for m in p.SEVERITY.findall(text)))
    limit_match = p.LIMIT.search(alpha2digit(text, "en", threshold=0))
    limit = int(limit_match.group(1) or limit_match.group(2)) if limit_match else None
    return Action(kind=kind, scope=scope, severities=severities, limit=limit)  # type: ignore[arg-type]


def _update(text: str) -> Action | None:
    """"Draft the next update for DataFlow", "closing email to Northwind"; "what updates are due"."""
    if p.UPDATE.match(text):
        return Action(kind="update", names_target=_names_something(text))
    if p.UPDATES_DUE.search(text):
        scope = "team" if p.SCOPE_TEAM.search(text) else "mine" if p.SCOPE_MINE.search(text) else "all"
        return Action(kind="updates", scope=scope)  # type: ignore[arg-type]
    return None


def _draft(text: str) -> Action | None:
    ordinal = p.ORDINAL.search(text)
    if not (p.DRAFT.search(text) or (ordinal and (ordinal["noun"] or ordinal["hash"] or ordinal["num"]))):
        return None
    position = None
    if ordinal:
        position = p.ORDINAL_WORDS.get((ordinal["word"] or "").lower()) or int(ordinal["hash"] or ordinal["num"] or 0) or None
    signal = p.SIGNAL.search(text)
    return Action(
        kind="draft",
        names_target=_names_something(text),
        signal_id=signal["id"] if signal else None,
        ordinal=position,
    )
