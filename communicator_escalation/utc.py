"""The current time, in one place: every 'now' a caller may pin falls back to the UTC clock here."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utcnow"]


def utcnow(now: datetime | None = None) -> datetime:
    """`now` when given (made timezone-aware), else the current UTC time."""
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)
