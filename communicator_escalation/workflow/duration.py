"""Policy durations: an amount of wall-clock or business time, written as text.

``"30 minutes"``, ``"4 hours"``, ``"4 business hours"`` or ``"5 business days"`` (one business day is one
full business-hours day); the SLA table of the policy is written in them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from ..errors import ConfigurationError, error_text

if TYPE_CHECKING:
    from .policy import BusinessHours

__all__ = ["Duration", "DurationUnit"]

DurationUnit = Literal["minutes", "hours", "days", "business_hours", "business_days"]

_UNIT_WORDS: dict[str, DurationUnit] = {
    "minute": "minutes",
    "min": "minutes",
    "hour": "hours",
    "h": "hours",
    "day": "days",
    "business hour": "business_hours",
    "business day": "business_days",
}
_DURATION_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z ]+?)s?\s*$")
_WALL_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}


class Duration(BaseModel):
    """An amount of wall-clock or business time; written as text such as ``"4 business hours"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: float = Field(gt=0, description="How many units.")
    unit: DurationUnit = Field(description="minutes, hours, days, business_hours or business_days.")

    @model_validator(mode="before")
    @classmethod
    def _parse_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _DURATION_TEXT.match(value.lower().replace("_", " "))
        unit = _UNIT_WORDS.get(match.group(2).strip()) if match else None
        if not match or unit is None:
            raise ValueError(error_text("policy.not_duration", value=value))
        return {"amount": float(match.group(1)), "unit": unit}

    @model_serializer
    def _as_text(self) -> str:
        amount = int(self.amount) if self.amount.is_integer() else self.amount
        unit = self.unit.replace("_", " ")
        return f"{amount} {unit[:-1] if amount == 1 else unit}"

    @property
    def is_business(self) -> bool:
        """True when counted in business time."""
        return self.unit.startswith("business_")

    def wall(self) -> timedelta:
        """The duration as wall-clock time (only for minutes, hours and days)."""
        if self.is_business:
            raise ConfigurationError("policy.business_not_wall", duration=self._as_text())
        return timedelta(seconds=self.amount * _WALL_SECONDS[self.unit])

    def business(self, hours: BusinessHours) -> timedelta:
        """The amount of open business time this duration stands for (business units only)."""
        if self.unit == "business_hours":
            return timedelta(hours=self.amount)
        if self.unit == "business_days":
            return self.amount * hours.day_length()
        raise ConfigurationError("policy.wall_not_business", duration=self._as_text())
