"""The customer's own deadline, heard in the latest inbound message ("by Friday", "before our board
meeting on Thursday", "before our month-end close", "by EOD").

Dates come from `dateparser`'s `search_dates` (weekdays, dates, relative days); business words that
name no date (month-end, quarter-end, year-end, EOD/COB, end of week) are read from a small table.
A date counts as a deadline when a deadline word leads to it in the same sentence (by, before,
until, no later than, ahead of, in time for, due, deadline), or a word of need does ("I need a plan
from you today", "we expect an answer tomorrow"). Relative days ("today", "by tomorrow", "by
Friday", "end of week") are read in the customer's timezone. The customer's words for it run from
the deadline word to the end of the date phrase (after a word of need: their whole sentence); they
are quoted, never restated in the CSM's voice.

`deadline_answer` says how the email answers it: the timeline meets it, it falls today (this email
is the answer, with the next update), or the next update comes before it.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ...models import CustomerDeadline, EscalationContext, Milestone
from .voices import customer_words

__all__ = ["deadline_answer", "deadline_met", "deadline_missed", "find_deadline"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CUE = re.compile(r"\b(by|before|until|till|no later than|ahead of|in time for|due|deadline)\b", re.IGNORECASE)
_NEED = re.compile(r"\b(needs?|needed|expects?|expecting|wants?|requires?|must have|have to|has to|asap)\b",
                   re.IGNORECASE)
_BUSINESS = re.compile(
    r"\b(?P<month>month[- ]end|end of (?:the )?month)|(?P<quarter>quarter[- ]end|end of (?:the )?quarter)"
    r"|(?P<year>year[- ]end|end of (?:the )?year)|(?P<day>eod|cob|end of (?:the )?(?:business )?day)"
    r"|(?P<week>eow|end of (?:the )?week)\b",
    re.IGNORECASE,
)
_TRAILING_NOUN = re.compile(r"^\s+(close|closing|review|meeting|deadline|report|audit)\b", re.IGNORECASE)
_MAX_WORDS = 10
_MAX_SENTENCE_WORDS = 20


def _business_day(kind: str, today: date) -> date:
    if kind == "day":
        return today
    if kind == "week":
        return today + timedelta(days=(4 - today.weekday()) % 7)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    month = ((today.month - 1) // months + 1) * months
    return date(today.year, month, monthrange(today.year, month)[1])


def _found_dates(sentence: str, *, local_now: datetime) -> list[tuple[int, int, date]]:
    """(start, end, day) of every date phrase in `sentence`."""
    from dateparser.search import search_dates  # imported on use: it loads its language data lazily

    found: list[tuple[int, int, date]] = []
    for match in _BUSINESS.finditer(sentence):
        kind = next(name for name, value in match.groupdict().items() if value)
        found.append((match.start(), match.end(), _business_day(kind, local_now.date())))
    settings = {"RELATIVE_BASE": local_now.replace(tzinfo=None), "PREFER_DATES_FROM": "future"}
    cursor = 0
    for text, moment in search_dates(sentence, languages=["en"], settings=settings) or []:  # type: ignore[arg-type]
        start = sentence.find(text, cursor)
        if start >= 0 and not any(s <= start < e for s, e, _ in found):
            found.append((start, start + len(text), moment.date()))
            cursor = start + len(text)
    return sorted(found)


def _words(sentence: str, start: int, end: int) -> str | None:
    """The customer's words for the deadline: from the closest deadline word before `start` to `end`, or
    their whole (short) sentence when only a word of need leads to the date."""
    cues = [m for m in _CUE.finditer(sentence[:end]) if m.start() <= start]
    if not cues:
        needs = [m for m in _NEED.finditer(sentence[:start])]
        flat = sentence.strip()
        return flat if needs and len(flat.split()) <= _MAX_SENTENCE_WORDS else None
    trailing = _TRAILING_NOUN.match(sentence[end:])
    words = sentence[cues[-1].start() : end + (trailing.end() if trailing else 0)].strip(" ,.;:")
    return words if len(words.split()) <= _MAX_WORDS else None


def find_deadline(ctx: EscalationContext, *, now: datetime) -> CustomerDeadline | None:
    """The first deadline still ahead in the email answered (an inbound email), or None.

    Relative days are read from when the email was written ("today" in an email of yesterday was yesterday).
    """
    mail = ctx.reply_to
    if mail is None or mail.direction != "inbound" or not mail.body:
        return None
    tz = ZoneInfo(ctx.customer.timezone) if ctx.customer.timezone else ZoneInfo("UTC")
    local_now = now.astimezone(tz)
    written = min(mail.at, now).astimezone(tz)
    for sentence in _SENTENCE.split(" ".join(mail.body.split())):
        quoted = customer_words(sentence)
        if quoted != sentence or not (_CUE.search(sentence) or _NEED.search(sentence)):
            continue  # without a deadline or need word no date in the sentence is a deadline: dateparser is not asked
        for start, end, day in _found_dates(sentence, local_now=written):
            words = _words(sentence, start, end)
            if words is None or day < local_now.date():
                continue
            before = words.lower().startswith(("before", "ahead of", "in time for"))
            due = datetime.combine(day - timedelta(days=1) if before else day, time(23, 59), tzinfo=tz)
            return CustomerDeadline(words=words, sentence=sentence, due=due)
    return None


def deadline_met(deadline: CustomerDeadline, timeline: list[Milestone]) -> bool:
    """Whether every planned milestone is dated and due by the customer's deadline."""
    planned = [m for m in timeline if m.status == "planned"]
    return deadline.due is not None and all(m.due is not None and m.due <= deadline.due for m in planned)


def deadline_missed(deadline: CustomerDeadline, timeline: list[Milestone]) -> bool:
    """Whether the email does not answer the deadline, or only with an update while a dated step falls after it.

    A deadline of today is answered by the email itself (sent today, with the plan and the next update).
    """
    late = deadline.due is not None and any(
        m.status == "planned" and m.due is not None and m.due > deadline.due for m in timeline
    )
    return deadline.answer is None or (deadline.answer == "update" and late)


def deadline_answer(deadline: CustomerDeadline, timeline: list[Milestone], next_update: Milestone, *,
                    now: datetime, tz: ZoneInfo) -> str | None:
    """How the email answers the deadline: "met", "today", "update", or None when it cannot."""
    if deadline.due is None:
        return None
    if deadline_met(deadline, timeline):
        return "met"
    if deadline.due.astimezone(tz).date() == now.astimezone(tz).date():
        return "today"
    if next_update.due is not None and next_update.due <= deadline.due:
        return "update"
    return None
