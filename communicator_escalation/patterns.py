"""Text patterns read in more than one place: reply prefixes of subjects and money amounts."""

from __future__ import annotations

import re

__all__ = ["MONEY", "REPLY_AND_FORWARD_PREFIXES", "is_reply"]

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


def is_reply(subject: str) -> bool:
    """True when `subject` already starts with a reply prefix (`Re:`, `AW:`, `SV:`, ...)."""
    return _REPLY.match(subject) is not None
