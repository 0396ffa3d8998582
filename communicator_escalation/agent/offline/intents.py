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

from .phrases import QUOTES, commands, ordinal_words

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
    c = commands()
    cleaned = text.strip()
    if "\n" not in cleaned:
        cleaned = " ".join(cleaned.split())
    if cleaned.startswith("[") and cleaned.endswith("]"):
        cleaned = cleaned[1:-1].strip()
    previous = None
    while previous != cleaned:
        previous = cleaned
        cleaned = c.leading.sub("", cleaned).strip()
        cleaned = c.trailing_marks.sub("", c.trailing_words.sub("", cleaned)).strip()
        if not c.keep_dot.search(cleaned):
            cleaned = c.trailing_punct.sub("", cleaned).strip()
    return cleaned


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] in QUOTES and value[-1] in QUOTES:
        return value[1:-1].strip()
    return value


def _clauses(text: str) -> list[str]:
    """Cut at a connector followed by a command verb, never inside quotes."""
    quoted = re.sub(r"([\"“”„«»]).*?([\"“”«»])", lambda m: "\x00" * len(m.group()), text)
    cuts = [m.span() for m in commands().clause_split.finditer(quoted)]
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
    c = commands()
    if match := c.body.match(c.leading.sub("", text.strip())):
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
    return Action(kind="help") if commands().help.search(cleaned) or not _names_something(cleaned) else None


def _names_something(text: str) -> bool:
    return any(not is_weak(w) for w in words(text))


def _edit(text: str) -> Action | None:
    c = commands()
    for pattern in c.subject:
        if match := pattern.match(text):
            return Action(kind="edit", subject=_unquote(match["v"]))
    for pattern in c.replace:
        if match := pattern.match(text):
            return Action(kind="edit", replace=match["a"], with_text=match["b"])
    if match := c.delete_text.match(text):
        return Action(kind="edit", replace=match["a"], with_text="")
    for pattern in c.recipient:
        if match := pattern.match(text):
            return Action(kind="edit", to=_unquote(match["v"]))
    if c.redraft.match(text):
        return Action(kind="redraft", instructions=text)
    return None


def _ccs(text: str) -> Action | None:
    c = commands()
    if c.add_all.match(text):
        return Action(kind="add_ccs")
    for kind, patterns in (("add_ccs", c.add_who), ("remove_ccs", c.remove_who)):
        for pattern in patterns:
            if (match := pattern.match(text)) and (who := _split_who(match["who"])):
                return Action(kind=kind, who=who)  # type: ignore[arg-type]
    return None


def _split_who(text: str) -> list[str]:
    c = commands()
    people: list[str] = []
    for part in c.who_split.split(text):
        name, previous = _unquote(part), None
        while previous != name:
            previous, name = name, c.who_article.sub("", name).strip()
        if name:
            people.append(name)
    return people


def _simple(text: str) -> Action | None:
    c = commands()
    if c.hold.search(text):
        return Action(kind="hold")
    if c.send.match(text):
        return Action(kind="send", urgent=bool(c.urgent.search(text)), names_target=_names_something(text))
    if c.cancel.match(text):
        return Action(kind="cancel")
    if c.suggest.match(text):
        return Action(kind="suggest_ccs")
    if c.show.match(text):
        return Action(kind="show")
    if c.edit_help.match(text):
        return Action(kind="edit_help")
    return None


def _explain(text: str) -> Action | None:
    c = commands()
    for topic, pattern in (("ccs", c.explain_ccs), ("tone", c.explain_tone), ("sla", c.explain_sla),
                           ("strategy", c.strategy)):
        if pattern.search(text):
            return Action(kind="explain", topic=topic, names_target=_names_something(text))  # type: ignore[arg-type]
    return None


def _inbox(text: str) -> Action | None:
    c = commands()
    kind = "next" if c.next.search(text) else "inbox" if c.inbox.search(text) else None
    if kind is None:
        return None
    severities = list(dict.fromkeys(m.lower() for m in c.severity.findall(text)))
    limit_match = c.limit.search(alpha2digit(text, "en", threshold=0))
    limit = int(limit_match.group(1) or limit_match.group(2)) if limit_match else None
    return Action(kind=kind, scope=_scope(text), severities=severities, limit=limit)  # type: ignore[arg-type]


def _scope(text: str) -> Literal["mine", "team", "all"]:
    """Whose escalations a question is about: the team's, the CSM's own, or all in reach."""
    c = commands()
    return "team" if c.scope_team.search(text) else "mine" if c.scope_mine.search(text) else "all"


def _update(text: str) -> Action | None:
    """"Draft the next update for DataFlow", "closing email to Northwind"; "what updates are due"."""
    c = commands()
    if c.update.match(text):
        return Action(kind="update", names_target=_names_something(text))
    if c.updates_due.search(text):
        return Action(kind="updates", scope=_scope(text))
    return None


def _draft(text: str) -> Action | None:
    c = commands()
    ordinal = c.ordinal.search(text)
    if not (c.draft.search(text) or (ordinal and (ordinal["noun"] or ordinal["hash"] or ordinal["num"]))):
        return None
    position = None
    if ordinal:
        position = ordinal_words().get((ordinal["word"] or "").lower()) or int(ordinal["hash"] or ordinal["num"] or 0) or None
    signal = c.signal.search(text)
    return Action(
        kind="draft",
        names_target=_names_something(text),
        signal_id=signal["id"] if signal else None,
        ordinal=position,
    )
