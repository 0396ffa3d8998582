"""Read what a CSM asks for in chat, for the offline chat model.

Case-insensitive and tolerant of politeness, punctuation and extra words; the command words are
English, the names (customers, people) may be in any language. Values the CSM dictates (a subject,
replacement text, names) keep their original case.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

IntentKind = Literal[
    "draft",
    "send",
    "add_ccs",
    "remove_ccs",
    "edit",
    "show",
    "cancel",
    "suggest_ccs",
    "strategy",
    "edit_help",
    "hold",
    "help",
    "update",
]


class Intent(BaseModel):
    """One chat request, as the offline model understood it."""

    kind: IntentKind = Field(description="What the CSM asks for.")
    customer: str | None = Field(default=None, description="Customer named in a draft request.")
    signal_id: str | None = Field(default=None, description="Risk signal id named in a draft request.")
    instructions: str | None = Field(default=None, description="Extra wishes after the customer name.")
    urgent: bool = Field(default=False, description="Send urgently (expedited approval).")
    who: list[str] = Field(default_factory=list, description="Names or roles to add or remove; empty = the suggestions.")
    subject: str | None = Field(default=None, description="New subject line.")
    body: str | None = Field(default=None, description="New body.")
    replace: str | None = Field(default=None, description="Text to replace.")
    with_text: str | None = Field(default=None, description="Replacement text.")


_FLAGS = re.IGNORECASE | re.DOTALL
_LEADING = re.compile(
    r"^(?:please|pls|kindly|ok(?:ay)?|hey|hi|hello|so|now|then|and|also|alright|great|thanks|yes|yeah|"
    r"can you|could you|would you|will you|would you mind|go ahead and|i'?d like (?:you )?to|i want (?:you )?to|"
    r"i need (?:you )?to|let'?s|lets|help me)\b[\s,:;!.\-]*",
    _FLAGS,
)
_TRAILING_WORDS = re.compile(r"[\s,;:]*\b(?:please|pls|thanks|thank you|thx|for me)[\s.!?…]*$", _FLAGS)
_TRAILING_MARKS = re.compile(r"[\s!?…]+$", _FLAGS)
_TRAILING_PUNCT = re.compile(r"[\s.!?…]+$", _FLAGS)
_KEEP_DOT = re.compile(r"\b(?:inc|ltd|co|corp|bros|pty|llc|plc|gmbh|s\.a|n\.v|b\.v|s\.p\.a)\.$", _FLAGS)
_QUOTE = "\"“”„«»'‘’`"
_OPEN_Q = r"[\"“”„«]"
_CLOSE_Q = r"[\"“”«»]"


def _tidy(text: str) -> str:
    tidy = text.strip()
    if "\n" not in tidy:
        tidy = " ".join(tidy.split())
    if tidy.startswith("[") and tidy.endswith("]"):
        tidy = tidy[1:-1].strip()
    previous = None
    while previous != tidy:
        previous = tidy
        tidy = _LEADING.sub("", tidy).strip()
        tidy = _TRAILING_MARKS.sub("", _TRAILING_WORDS.sub("", tidy)).strip()
        if not _KEEP_DOT.search(tidy):
            tidy = _TRAILING_PUNCT.sub("", tidy).strip()
    return tidy


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] in _QUOTE and value[-1] in _QUOTE:
        return value[1:-1].strip()
    return value


_SUBJECT = [
    re.compile(r"^(?:change|set|update|make|rename|use|switch)\s+(?:the\s+)?subject(?:\s+line)?\s*(?:(?:to\s+be|to|as|into)\s*[:=]?|[:=])\s*(?P<v>.+)$", _FLAGS),
    re.compile(r"^(?:the\s+|new\s+)?subject(?:\s+line)?\s*(?:should\s+be|is|:|=)\s*(?P<v>.+)$", _FLAGS),
]
_BODY = re.compile(
    r"^(?:change|set|update|replace|make)\s+(?:the\s+)?body\s*(?:(?:to\s+be|to|with|as)\s*[:=]?|[:=])\s*(?P<v>.+?)\s*$", _FLAGS
)
_REPLACE = [
    re.compile(
        rf"^(?:replace|swap|change)\s+{_OPEN_Q}(?P<a>.+?){_CLOSE_Q}\s+(?:with|by|to|for|into)\s+{_OPEN_Q}(?P<b>.*?){_CLOSE_Q}$",
        _FLAGS,
    ),
    re.compile(r"^(?:replace|swap|change)\s+['‘](?P<a>.+?)['’]\s+(?:with|by|to|for|into)\s+['‘](?P<b>.*?)['’]$", _FLAGS),
    re.compile(r"^replace\s+(?P<a>.+?)\s+with\s+(?P<b>.+)$", _FLAGS),
]
_DELETE_TEXT = re.compile(
    rf"^(?:delete|remove|drop|cut)\s+(?:the\s+\w+\s+)?{_OPEN_Q}(?P<a>.+?){_CLOSE_Q}(?:\s+from\s+the\s+(?:body|draft|email|subject))?$",
    _FLAGS,
)

_CC_WORD = r"(?:ccs?|cc'?s|cc\s+line|cc\s+list|copy|copied)"
_ADD_ALL = re.compile(
    r"^(?:add|include|cc|accept|use|apply|take)\s+(?:(?:all|of|the|these|those|every|each)\s+)*"
    r"(?:suggested(?:\s+(?:ccs?|cc'?s|people|recipients|stakeholders|ones))?|suggestions?|ccs?|cc'?s|them(?:\s+all)?|all|everyone(?:\s+suggested)?)"
    r"(?:\s+(?:to\s+(?:the\s+)?(?:" + _CC_WORD + r"|draft|email|response)|as\s+ccs?|too|as\s+well|suggested))?$",
    _FLAGS,
)
_ADD_WHO = [
    re.compile(r"^(?:add|include|put|loop\s+in|bring\s+in|copy\s+in)\s+(?P<who>.+?)\s+(?:to|on|in|into|onto)\s+(?:the\s+)?" + _CC_WORD + r"$", _FLAGS),
    re.compile(r"^(?:add|include)\s+(?P<who>.+?)\s+as\s+(?:an?\s+)?(?:ccs?|cc'?s|copy)$", _FLAGS),
    re.compile(r"^(?:also\s+)?(?:cc|copy\s+in|loop\s+in)\s+(?P<who>.+)$", _FLAGS),
]
_REMOVE_WHO = [
    re.compile(r"^(?:remove|drop|take|delete|strike)\s+(?P<who>.+?)\s+(?:off|from)\s+(?:of\s+)?(?:the\s+)?(?:" + _CC_WORD + r"|draft|email)$", _FLAGS),
    re.compile(r"^(?:remove|drop)\s+(?P<who>.+?)\s+as\s+(?:an?\s+)?(?:ccs?|cc'?s)$", _FLAGS),
    re.compile(r"^(?:don'?t|do\s+not|no\s+need\s+to)\s+cc\s+(?P<who>.+)$", _FLAGS),
    re.compile(r"^un-?cc\s+(?P<who>.+)$", _FLAGS),
]
_WHO_SPLIT = re.compile(r"\s*(?:,|;|&|\+|\band\b|\bplus\b|\bas\s+well\s+as\b)\s*", _FLAGS)
_WHO_ARTICLE = re.compile(r"^(?:the|our|also|both)\s+|\s+(?:too|as\s+well)$", _FLAGS)

_HOLD = re.compile(r"\b(?:don'?t|do\s+not|never|hold\s+off(?:\s+on)?|wait\s+(?:before|to)|not\s+yet)\b.*\bsend", _FLAGS)
_SEND = re.compile(
    r"^(?:approve(?:d)?(?:\s+and)?\s+|go\s+ahead(?:\s+and)?\s+|urgent(?:ly)?\s+|expedite(?:d)?(?:\s+and)?\s+)*"
    r"(?:send|ship|fire\s+off|dispatch)\b",
    _FLAGS,
)
_URGENT = re.compile(r"\b(?:urgent(?:ly)?|expedit\w*|asap|immediately|right\s+away|high\s+priority|as\s+a\s+priority)\b", _FLAGS)
_CANCEL = re.compile(
    r"^(?:cancel|discard|scrap|trash|abandon|drop|delete|throw\s+away|forget|never\s*mind)"
    r"(?:\s+(?:it|this|that|this\s+one|the\s+(?:draft|response|email|reply|escalation\s+response)))?$",
    _FLAGS,
)
_SHOW = re.compile(
    r"^(?:show|view|display|see|preview|open|print|read)\b(?:\s+me)?(?:\s+(?:the|my|current|latest|it|again|draft|response|email|reply))*$"
    r"|^what\s+does\s+the\s+(?:draft|response|email)\s+look\s+like|^(?:where\s+is|what'?s\s+in)\s+the\s+draft",
    _FLAGS,
)
_EDIT_HELP = re.compile(r"^(?:edit|change|modify|revise|tweak)(?:\s+(?:it|this|the\s+(?:draft|response|email)))?$|^how\s+(?:do|can)\s+i\s+edit", _FLAGS)
_SUGGEST = re.compile(
    r"^(?:who\s+should\s+(?:i|we)\s+(?:cc|copy|loop\s+in|include))|^(?:suggest|recommend|show|list)\b.*\b(?:ccs?|cc'?s|suggestions)\b$"
    r"|^(?:suggested|recommended)\s+ccs?$",
    _FLAGS,
)
_STRATEGY = re.compile(r"\b(?:strategy|which\s+template|what\s+template|what\s+tone|which\s+tone)\b", _FLAGS)

_DRAFT_VERB = r"(?:draft|write|prepare|compose|create|generate|start|open|make|do|get)"
_RESPONSE_NOUN = r"(?:response|reply|email|e-mail|acknowledg(?:e)?ment|answer)"
_DRAFT = [
    re.compile(rf"^(?:{_DRAFT_VERB}\s+)?(?:an?\s+|the\s+|new\s+)*escalation\s+{_RESPONSE_NOUN}\s+(?:for|to|on)\s+(?P<t>.+)$", _FLAGS),
    re.compile(rf"^{_DRAFT_VERB}\s+(?:an?\s+|the\s+|new\s+)*{_RESPONSE_NOUN}\s+(?:for|to|on)\s+(?P<t>.+)$", _FLAGS),
    re.compile(r"^(?:respond|reply|answer)\s+to\s+(?P<t>.+)$", _FLAGS),
    re.compile(rf"^(?:handle|answer|{_DRAFT_VERB}\s+(?:a\s+)?response\s+to)\s+(?P<t>.+?\s+escalation)$", _FLAGS),
]
_DRAFT_NO_TARGET = re.compile(rf"^(?:{_DRAFT_VERB}\s+)?(?:an?\s+|the\s+)?escalation\s+{_RESPONSE_NOUN}$", _FLAGS)
_SIGNAL = re.compile(r"^(?:the\s+)?(?:risk[\s-]+)?signal\s*(?:id\s*)?[#:]?\s*(?P<id>[\w][\w.:/-]*)$", _FLAGS)
_ESCALATION_ID = re.compile(r"^(?:the\s+)?escalation\s+(?:signal\s+)?#?(?P<id>[^\W\d_]+-\d[\w.-]*)$", _FLAGS)
_TARGET_PREFIX = re.compile(r"^(?:the\s+)?(?:open\s+|new\s+|latest\s+|current\s+)?escalations?\s+(?:from|for|at|of|with|by)\s+", _FLAGS)
_TARGET_SUFFIX = re.compile(
    r"(?:['’]s)?(?:\s+(?:open\s+|new\s+|latest\s+|current\s+)?escalations?(?:\s+" + _RESPONSE_NOUN + r")?)?$", _FLAGS
)
_THE = re.compile(r"^the\s+", _FLAGS)
_NO_TARGET = {"", "the", "it", "this", "that", "them", "escalation", "escalations", "this one", "that one"}
_INSTRUCTIONS_SPLIT = re.compile(r"\s*(?:[,;]|\s[-–—]|:)\s+", _FLAGS)


_UPDATE = re.compile(
    rf"^(?:{_DRAFT_VERB}\s+)?(?:an?\s+|the\s+|new\s+|next\s+)*(?:status\s+update|update|closing\s+(?:email|e-mail|note))"
    r"\s+(?:for|to|on)\s+(?P<t>.+)$",
    _FLAGS,
)


def read_intent(text: str) -> Intent:
    """Understand one chat message.

    Args:
        text: What the CSM typed.

    Returns:
        The intent; `help` when the message is not something the offline model can act on.
    """
    if match := _BODY.match(_LEADING.sub("", text.strip())):
        return Intent(kind="edit", body=_unquote(match["v"]))
    tidy = _tidy(text)
    lowered = tidy.casefold()
    for reader in (_read_edit, _read_ccs, _read_update, _read_simple, _read_draft):
        intent = reader(tidy, lowered)
        if intent is not None:
            return intent
    return Intent(kind="help")


def _read_edit(tidy: str, lowered: str) -> Intent | None:
    for pattern in _SUBJECT:
        if match := pattern.match(tidy):
            return Intent(kind="edit", subject=_unquote(match["v"]))
    for pattern in _REPLACE:
        if match := pattern.match(tidy):
            return Intent(kind="edit", replace=match["a"], with_text=match["b"])
    if match := _DELETE_TEXT.match(tidy):
        return Intent(kind="edit", replace=match["a"], with_text="")
    return None


def _read_ccs(tidy: str, lowered: str) -> Intent | None:
    if _ADD_ALL.match(lowered):
        return Intent(kind="add_ccs")
    for kind, patterns in (("add_ccs", _ADD_WHO), ("remove_ccs", _REMOVE_WHO)):
        for pattern in patterns:
            if match := pattern.match(tidy):
                who = _split_who(match["who"])
                if who:
                    return Intent(kind=kind, who=who)
    return None


def _split_who(text: str) -> list[str]:
    people: list[str] = []
    for part in _WHO_SPLIT.split(text):
        name = _unquote(part)
        previous = None
        while previous != name:
            previous = name
            name = _WHO_ARTICLE.sub("", name).strip()
        if name:
            people.append(name)
    return people


def _read_update(tidy: str, lowered: str) -> Intent | None:
    """ "Draft the next update for DataFlow", "status update for Brightpath", "closing email to Northwind"."""
    if match := _UPDATE.match(tidy):
        name = _TARGET_SUFFIX.sub("", _TARGET_PREFIX.sub("", _unquote(match["t"]))).strip()
        name = _unquote(_THE.sub("", name))
        if name.casefold() not in _NO_TARGET:
            return Intent(kind="update", customer=name)
    return None


def _read_simple(tidy: str, lowered: str) -> Intent | None:
    if _HOLD.search(lowered):
        return Intent(kind="hold")
    if _SEND.match(lowered):
        return Intent(kind="send", urgent=bool(_URGENT.search(lowered)))
    if _CANCEL.match(lowered):
        return Intent(kind="cancel")
    if _SUGGEST.match(lowered):
        return Intent(kind="suggest_ccs")
    if _SHOW.match(lowered):
        return Intent(kind="show")
    if _EDIT_HELP.match(lowered):
        return Intent(kind="edit_help")
    if _STRATEGY.search(lowered):
        return Intent(kind="strategy")
    return None


def _read_draft(tidy: str, lowered: str) -> Intent | None:
    if _DRAFT_NO_TARGET.match(lowered):
        return Intent(kind="draft")
    for pattern in _DRAFT:
        if match := pattern.match(tidy):
            return _draft_target(match["t"])
    return None


def _draft_target(target: str) -> Intent:
    instructions = None
    parts = _INSTRUCTIONS_SPLIT.split(target, maxsplit=1)
    if len(parts) == 2 and len(parts[1].split()) >= 2:
        target, instructions = parts
    target = _unquote(target)
    if match := _SIGNAL.match(target) or _ESCALATION_ID.match(target):
        return Intent(kind="draft", signal_id=match["id"], instructions=instructions)
    name = _TARGET_SUFFIX.sub("", _TARGET_PREFIX.sub("", target)).strip()
    name = _unquote(_THE.sub("", name))
    if name.casefold() in _NO_TARGET:
        return Intent(kind="draft", instructions=instructions)
    return Intent(kind="draft", customer=name, instructions=instructions)
