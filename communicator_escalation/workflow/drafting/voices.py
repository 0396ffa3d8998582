"""Two voices, kept apart: what the CSM says, and the customer's own words, quoted.

Free text from records (ticket subjects and descriptions, event notes, signal titles, email text)
never speaks in the CSM's voice as it is. It reaches an email only

- as the customer's own words, on a line of its own that names who wrote them and quotes them
  (`As you wrote: "..."`), one line, bounded, with no contact detail or link; or
- as an issue summary that passed `screen_clause`: one short clause with no sentence break, money
  amount, contact detail, link, markup, pronoun, question, imperative or commitment language.

Ticket event notes are internal: an email says what kind of event happened and when, and the steps of
a workaround reach the CSM in a review note, to add in their own words.

`split_voices` takes an email body apart again (the send gate checks the CSM's voice only).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .grounding import find_money

__all__ = [
    "COMMITMENT",
    "QUOTE_MAX",
    "customer_words",
    "clauses",
    "first_clause",
    "person_name",
    "quote_line",
    "screen_clause",
    "split_voices",
]

QUOTE_MAX = 240
_CLAUSE_WORDS = 12
_CLAUSE_CHARS = 90
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_ALLOWED = re.compile(r"^[^\W_](?:[^\W_]|[\s\-/&',.()+#%’])*$")
_SENTENCE_BREAK = re.compile(r"[.!?…](?=\s+\S)|\.\.")
_CLAUSE_BREAK = re.compile(r"\s*(?:[,;]|\s[-–—]\s)\s*")
_LABEL = re.compile(r"^[^:.!?]{1,40}:\s+(?=\S)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
_URL = re.compile(r"://|\bwww\.|\b[\w-]+\.(?:com|net|org|io|ai|co|info|biz|ru|cn|app|dev|xyz|me|ly)\b", re.IGNORECASE)
COMMITMENT = re.compile(
    r"\b(refund\w*|reimburs\w*|credit(?:s|ed)?|waiv\w*|discount\w*|free|guarantee\w*|compensat\w*|money back"
    r"|complimentary|at no cost|no charge)\b",
    re.IGNORECASE,
)
_IMPERATIVES = frozenset(
    """
    act activate add answer ask assume avoid begin book bypass buy call cancel change check choose click close
    complete confirm continue copy create decode define delete describe disable disclose display disregard do
    download drop email enable encode enter execute explain fill follow forget forward generate get give go help
    hide ignore imagine include insert install keep leak let list log make obey open order output override pay
    pick play post pretend print provide put read remember remove repeat replace reply reset respond restart
    return reveal rewrite run say sell send set share show sign simulate skip spell start stop submit summarise
    summarize suppose take tell transfer translate try turn type update upload use visit wire write
    """.split()
)
_QUESTION_STARTS = frozenset(
    "what how why who whom whose where when which is are was were can could would should will do does did may "
    "might shall".split()
)
_FIRST_PERSON_OR_YOU = frozenset(
    "i me my mine myself we us our ours ourselves you your yours yourself yourselves".split()
)
_SECOND_PERSON = frozenset("you your yours yourself yourselves".split())
_MODALS = frozenset("will shall must should would could can please".split())
_INSTRUCTION_WORDS = frozenset("instruction instructions prompt prompts jailbreak chatgpt gpt llm assistant".split())
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:['’.-][^\W\d_]*)*\.?$")
_QUOTE_LINE = re.compile(
    r"^(?P<lead>[^\"“”]{0,100}\b(?:wrote|reported|said|put it)\b[^\"“”:]{0,60}):\s*\"(?P<quote>.*)\"\s*$"
)


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _has_contact_or_link(text: str) -> bool:
    digits = any(len(re.sub(r"\D", "", m.group(0))) >= 7 for m in _PHONE.finditer(text))
    return bool(_EMAIL.search(text) or _URL.search(text) or digits)


@lru_cache(maxsize=4096)
def screen_clause(text: str | None, *, imperatives: bool = False, subject: bool = False) -> str | None:
    """`text` as one short clause fit for the CSM's voice, or None when it fails the screen (pure: cached,
    as a draft screens the same record texts several times).

    Args:
        text: A summary candidate (a ticket subject, a signal title, a plan step).
        imperatives: Allow an imperative opening (our own plan steps, e.g. "Assign an onboarding manager").
        subject: Screen a customer's subject to echo as `RE: ...`: the customer's own first person and modals may
            stay ("Our sync fails again"); words addressed to "you" may not (they are how injected text talks).
    """
    clause = " ".join((text or "").split()).rstrip(".")
    words = _words(clause)
    if not words or len(words) > _CLAUSE_WORDS or len(clause) > _CLAUSE_CHARS:
        return None
    if not _ALLOWED.match(clause) or "--" in clause or _SENTENCE_BREAK.search(clause) or find_money(clause):
        return None
    if _has_contact_or_link(clause) or COMMITMENT.search(clause):
        return None
    if words[0] in _QUESTION_STARTS or (not imperatives and words[0] in _IMPERATIVES):
        return None
    personal = _SECOND_PERSON if subject else _FIRST_PERSON_OR_YOU | _MODALS
    if any(w in personal or w in _INSTRUCTION_WORDS for w in words):
        return None
    return clause


def clauses(text: str | None, *, label: bool = False, limit: int = 3) -> list[str]:
    """The clauses of `text` (after an internal 'Label: ' prefix when `label`), when every one passes the screen.

    A text with a sentence break, with any clause that fails `screen_clause`, or with more than `limit`
    clauses yields nothing: it is not a summary (the rest of it could be an instruction or a promise).
    """
    return list(_clauses(text, label, limit))


@lru_cache(maxsize=4096)
def _clauses(text: str | None, label: bool, limit: int) -> tuple[str, ...]:
    flat = " ".join((text or "").split()).rstrip(".")
    if label:
        flat = _LABEL.sub("", flat, count=1)
    if not flat or _SENTENCE_BREAK.search(flat):
        return ()
    parts = [part for part in _CLAUSE_BREAK.split(flat) if part]
    screened = [screen_clause(part) for part in parts]
    if not screened or len(screened) > limit or not all(screened):
        return ()
    return tuple(clause for clause in screened if clause)


def first_clause(text: str | None, *, label: bool = False) -> str | None:
    """The first of `clauses(text)`, or None."""
    found = clauses(text, label=label)
    return found[0] if found else None


@lru_cache(maxsize=4096)
def person_name(name: str | None) -> str | None:
    """`name` when it reads as a person's name (one to five name words), else None (cached: pure)."""
    flat = " ".join((name or "").split())
    parts = flat.split()
    if not 1 <= len(parts) <= 5 or len(flat) > 60 or not all(_NAME_WORD.match(p) for p in parts):
        return None
    lowered = {p.casefold().rstrip(".") for p in parts}
    if lowered & (_IMPERATIVES | _QUESTION_STARTS | _FIRST_PERSON_OR_YOU | _MODALS | _INSTRUCTION_WORDS):
        return None
    return flat


def customer_words(text: str | None, *, limit: int = QUOTE_MAX) -> str | None:
    """Customer-written text made fit to quote on one line: bounded at a word, no contact detail or link."""
    flat = " ".join((text or "").split()).replace('"', "'").replace("“", "'").replace("”", "'")
    if not flat or _has_contact_or_link(flat):
        return None
    if len(flat) > limit:
        flat = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return flat


def quote_line(lead: str, words: str) -> str:
    """One line quoting the customer: `<lead>: "<words>"` (lead names who wrote it, e.g. "As you wrote")."""
    return f'{lead}: "{words}"'


def split_voices(body: str) -> tuple[str, list[str]]:
    """(the CSM's voice, the quoted customer words) of an email body.

    A quote is a line that attributes and quotes (`As you wrote: "..."`) or a line starting with '>'.
    """
    outside: list[str] = []
    quotes: list[str] = []
    for line in body.splitlines():
        found = _QUOTE_LINE.match(line.strip())
        if found:
            outside.append(found.group("lead"))
            quotes.append(found.group("quote"))
        elif line.lstrip().startswith(">"):
            quotes.append(line.lstrip()[1:].strip())
        else:
            outside.append(line)
    return "\n".join(outside), quotes
