"""Text patterns read in more than one place: reply prefixes of subjects, money amounts, placeholders."""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["MONEY", "PLACEHOLDER", "REPLY_AND_FORWARD_PREFIXES", "is_reply", "money_matches"]

_REPLY = re.compile(r"^\s*(?:re|aw|sv|antw|vs)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
REPLY_AND_FORWARD_PREFIXES = re.compile(
    r"^\s*(?:(?:re|aw|sv|antw|vs|fw|fwd|wg|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
"""The run of `Re:`/`Fwd:` prefixes (and their German, Nordic, Dutch and French forms) that starts a subject."""

_CURRENCIES = "USD|EUR|GBP|CAD|AUD|NZD|CHF|JPY|SEK|NOK|DKK|PLN|INR|SGD|HKD|CNY|BRL|MXN|ZAR"
_AMOUNT = r"(\d+(?:,\d{3})*(?:\.\d+)?)(?:\s?(k|m|thousand|million)\b)?"
MONEY = re.compile(
    rf"(?:(?<!\w)[A-Z]{{0,2}}\$|[€£¥₹]|\b(?:{_CURRENCIES})\s?)\s?{_AMOUNT}"
    rf"|\b{_AMOUNT}\s?(?:{_CURRENCIES}|dollars|euros|pounds)\b",
    re.IGNORECASE,
)
"""A money amount with its currency: `$12,400`, `€3.5k`, `2 million USD`; groups 1-2 or 3-4 hold number and scale."""
PLACEHOLDER = re.compile(r"\[confirm:[^\]]*\]")
"""A `[confirm: ...]` placeholder: a fact the CSM must fill in before the draft can be sent."""
_DIGITS = re.compile(r"\d+")
_MONEY_LEAD = 5  # the most characters before an amount's first digit: a 3-letter currency and two spaces
_MONEY_SIGNS = "$€£¥₹"


def money_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches of `MONEY.finditer(text)`, tried only just before each run of digits.

    Every amount starts a run of digits and has at most `_MONEY_LEAD` characters before it, so the
    pattern (an alternation of currencies, slow to try at every position of a long email) is anchored
    at those few positions only.
    """
    cursor = 0
    for run in _DIGITS.finditer(text):
        if run.start() < cursor:
            continue
        for start in range(max(cursor, run.start() - _MONEY_LEAD), run.start() + 1):
            if not (start == run.start() or text[start].isalpha() or text[start] in _MONEY_SIGNS):
                continue  # an amount starts at its digits, a currency's letters or a sign
            if (match := MONEY.match(text, start)) is not None:
                cursor = match.end()
                yield match
                break


def is_reply(subject: str) -> bool:
    """True when `subject` already starts with a reply prefix (`Re:`, `AW:`, `SV:`, ...)."""
    return _REPLY.match(subject) is not None
