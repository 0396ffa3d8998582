"""The English the offline model understands, read once from prompts/chat/understanding.toml.

The file holds the words as regular expressions by name (the English is data, beside the rest of the
product's language); this module assembles each from its pieces and fragments, compiles it, and checks
that it has the named groups the code reads. `commands()` serves intents.py (which action a clause
asks for), `guidance()` instructions.py (the drafting guidance in a request).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from ...rendering import prompts_dir

__all__ = ["QUOTES", "Commands", "Guidance", "commands", "guidance", "ordinal_words"]

QUOTES = "\"“”„«»'‘’`"
"""Quote marks a dictated value may stand between."""

_FRAGMENT = re.compile(r"\{\{(\w+)\}\}")
Rx = re.Pattern[str]


def _groups(*names: str) -> AfterValidator:
    """A check that a pattern (or each of several) has the named groups the code reads."""

    def check(value: Rx | tuple[Rx, ...]) -> Rx | tuple[Rx, ...]:
        for pattern in value if isinstance(value, tuple) else (value,):
            if missing := sorted(set(names) - set(pattern.groupindex)):
                raise PydanticCustomError("missing_named_groups", "{missing}", {"missing": missing})
        return value

    return AfterValidator(check)


class _Patterns(BaseModel):
    """Patterns by name, each given as text, as pieces, or as several patterns of pieces; compiled with `flags`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    flags: ClassVar[re.RegexFlag]

    @field_validator("*", mode="before")
    @classmethod
    def _compile(cls, value: Any) -> Any:
        if isinstance(value, list) and value and all(isinstance(pieces, list) for pieces in value):
            return tuple(_compiled("".join(pieces), cls.flags) for pieces in value)
        if isinstance(value, list):
            value = "".join(value)
        return _compiled(value, cls.flags) if isinstance(value, str) else value


def _compiled(text: str, flags: re.RegexFlag) -> Rx:
    try:
        return re.compile(text, flags)
    except re.error as err:
        raise ValueError(str(err)) from err


class Commands(_Patterns):
    """What a clause asks for (intents.py); all ignore case and let `.` match a line break."""

    flags: ClassVar[re.RegexFlag] = re.IGNORECASE | re.DOTALL

    leading: Rx = Field(description="Polite filler before a request.")
    trailing_words: Rx = Field(description="Polite words after a request.")
    trailing_marks: Rx = Field(description="Exclamation and question marks at the end.")
    trailing_punct: Rx = Field(description="End punctuation, full stop included.")
    keep_dot: Rx = Field(description="A legal form whose final dot stays.")
    clause_split: Rx = Field(description="Where a message is cut into clauses.")
    subject: Annotated[tuple[Rx, ...], _groups("v")] = Field(description="A new subject line (`v`).")
    body: Annotated[Rx, _groups("v")] = Field(description="A new body (`v`).")
    replace: Annotated[tuple[Rx, ...], _groups("a", "b")] = Field(description="Replace text `a` with `b`.")
    delete_text: Annotated[Rx, _groups("a")] = Field(description="Delete the quoted text `a`.")
    recipient: Annotated[tuple[Rx, ...], _groups("v")] = Field(description="Address the response to `v`.")
    add_all: Rx = Field(description="Add all suggested CCs.")
    add_who: Annotated[tuple[Rx, ...], _groups("who")] = Field(description="Add the people `who` as CCs.")
    remove_who: Annotated[tuple[Rx, ...], _groups("who")] = Field(description="Remove the CCs `who`.")
    who_split: Rx = Field(description="Between the people of a list.")
    who_article: Rx = Field(description="Words around a person that are not the name.")
    hold: Rx = Field(description="Do not send (yet).")
    send: Rx = Field(description="Send the response.")
    urgent: Rx = Field(description="Urgently (expedited approval).")
    cancel: Rx = Field(description="Discard the draft.")
    show: Rx = Field(description="Show the draft.")
    edit_help: Rx = Field(description="How to edit the draft.")
    suggest: Rx = Field(description="Which CCs are suggested.")
    redraft: Rx = Field(description="Redraft in another tone or length.")
    explain_tone: Rx = Field(description="Why this tone.")
    explain_ccs: Rx = Field(description="Why these CCs.")
    explain_sla: Rx = Field(description="The SLA deadline and the time left.")
    strategy: Rx = Field(description="The strategy, template or timeline.")
    next: Rx = Field(description="Which escalation to work on next.")
    inbox: Rx = Field(description="The open escalations.")
    scope_team: Rx = Field(description="The team's escalations.")
    scope_mine: Rx = Field(description="The CSM's own escalations.")
    severity: Rx = Field(description="A severity to list (group 1).")
    limit: Rx = Field(description="How many to list (group 1 or 2).")
    update: Rx = Field(description="Draft the next status update or the closing email.")
    updates_due: Rx = Field(description="Which status updates are due.")
    help: Rx = Field(description="What the chat can do.")
    draft: Rx = Field(description="Draft an escalation response.")
    signal: Annotated[Rx, _groups("id")] = Field(description="A signal named by its id (`id`).")
    ordinal: Annotated[Rx, _groups("word", "noun", "hash", "num")] = Field(description="An item of the last list.")


class Guidance(_Patterns):
    """The drafting guidance left in a draft request (instructions.py); all ignore case."""

    flags: ClassVar[re.RegexFlag] = re.IGNORECASE

    command: Rx = Field(description="The command words before the named escalation.")
    edge: Rx = Field(description="Connecting words and punctuation at either end of what is left.")
    parts: Rx = Field(description="Where what is left is cut into parts.")
    tail: Rx = Field(description="Before guidance that follows the request.")
    asks: Rx = Field(description="Words that ask for something about the wording.")


class _Understanding(BaseModel):
    """The contents of understanding.toml, fragments put in place."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    commands: Commands = Field(description="What a clause asks for.")
    ordinal_words: dict[str, int] = Field(min_length=1, description="Position each ordinal word names (-1: last).")
    instructions: Guidance = Field(description="Drafting guidance in a draft request.")


def _with_fragments(value: Any, fragments: dict[str, str]) -> Any:
    """`value` (text, or lists of it) with every {{name}} replaced by that fragment."""
    if isinstance(value, list):
        return [_with_fragments(item, fragments) for item in value]
    if isinstance(value, dict):
        return {key: _with_fragments(item, fragments) for key, item in value.items()}
    return _FRAGMENT.sub(lambda found: fragments[found[1]], value) if isinstance(value, str) else value


@cache
def _understanding() -> _Understanding:
    data = tomllib.loads((prompts_dir() / "chat" / "understanding.toml").read_text(encoding="utf-8"))
    fragments = {name: "".join(value) if isinstance(value, list) else value
                 for name, value in data.pop("fragments", {}).items()}
    return _Understanding.model_validate(_with_fragments(data, fragments))


def commands() -> Commands:
    """The patterns intents.py reads a clause with."""
    return _understanding().commands


def ordinal_words() -> dict[str, int]:
    """The position each ordinal word names in the last list ("second": 2, "last": -1)."""
    return _understanding().ordinal_words


def guidance() -> Guidance:
    """The patterns instructions.py finds drafting guidance with."""
    return _understanding().instructions
