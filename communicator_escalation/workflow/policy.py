"""The escalation policy: SLA table, business hours, timeline plan, CC thresholds, approval rules.

Defaults are the product's policy; `load_policy` merges a TOML or JSON file over them
(`ESCALATION_POLICY_FILE`). Durations are written as text, e.g. ``"4 business hours"`` (duration.py).
"""

from __future__ import annotations

import json
import tomllib
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ConfigurationError, error_text
from ..models import EscalationType, Severity, StaffRole
from .duration import Duration

__all__ = [
    "ApprovalPolicy",
    "BusinessHours",
    "EmailPolicy",
    "LearningPolicy",
    "MilestoneKey",
    "MilestoneStep",
    "Policy",
    "RelationshipPolicy",
    "SlaPolicy",
    "SlaRow",
    "TypingPolicy",
    "load_policy",
]

ClockKind = Literal["around_the_clock", "business_hours"]
MilestoneKey = Literal[
    "root_cause_analysis",
    "interim_mitigation",
    "permanent_fix",
    "corrected_invoice",
    "billing_confirmation",
    "recovery_plan",
    "named_owner",
    "first_checkpoint",
    "initial_findings",
    "status_update",
    "full_report",
]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlaRow(_Config):
    """One severity's commitments."""

    first_response: Duration = Field(description="Time to the first response.")
    update_every: Duration = Field(description="Update cadence.")
    resolution: Duration = Field(description="Resolution target.")
    clock: ClockKind = Field(description="around_the_clock, or business_hours (customer's timezone).")

    @model_validator(mode="after")
    def _units_fit_clock(self) -> SlaRow:
        if self.clock == "around_the_clock":
            for name in ("first_response", "update_every", "resolution"):
                if getattr(self, name).is_business:
                    raise ValueError(error_text("policy.business_on_clock", name=name))
        return self


def _row(first: str, update: str, resolution: str, clock: ClockKind) -> SlaRow:
    return SlaRow.model_validate(
        {"first_response": first, "update_every": update, "resolution": resolution, "clock": clock}
    )


class SlaPolicy(_Config):
    """SLA rows per severity."""

    critical: SlaRow = Field(
        default_factory=lambda: _row("30 minutes", "2 hours", "24 hours", "around_the_clock"), description="Row for critical severity."
    )
    high: SlaRow = Field(
        default_factory=lambda: _row("1 hour", "4 hours", "72 hours", "around_the_clock"), description="Row for high severity."
    )
    medium: SlaRow = Field(
        default_factory=lambda: _row("4 business hours", "24 hours", "5 business days", "business_hours"),
        description="Row for medium severity.",
    )
    low: SlaRow = Field(
        default_factory=lambda: _row("1 business day", "48 hours", "10 business days", "business_hours"),
        description="Row for low severity.",
    )

    def row(self, severity: Severity) -> SlaRow:
        """The row for `severity`."""
        return getattr(self, severity)


class BusinessHours(_Config):
    """Working hours in the customer's timezone."""

    start: time = Field(default=time(9, 0), description="Opening time, local.")
    end: time = Field(default=time(17, 0), description="Closing time, local.")
    weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4], description="Open days, Monday = 0.")
    observe_public_holidays: bool = Field(
        default=True, description="Close on public holidays of the customer's country."
    )

    @field_validator("weekdays")
    @classmethod
    def _valid_weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(day not in range(7) for day in value):
            raise ValueError(error_text("policy.weekdays"))
        return sorted(set(value))

    @model_validator(mode="after")
    def _end_after_start(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError(error_text("policy.end_after_start"))
        return self

    def day_length(self) -> timedelta:
        """Open time of one business day."""
        return timedelta(hours=self.end.hour - self.start.hour, minutes=self.end.minute - self.start.minute)


class MilestoneStep(_Config):
    """A milestone of the timeline, placed at a fraction of the time left until resolution, or at a date staff recorded."""

    key: MilestoneKey = Field(description="Which milestone (its label comes from prompts/strategy/).")
    at: float = Field(gt=0, le=1, description="Fraction of the window from now to resolution_due (1 = resolution_due).")
    dated_by: Literal["sla", "record"] = Field(
        default="sla",
        description="sla: dated at its fraction of the SLA window; record: only a date staff recorded on the ticket "
        "(an event's `due`) dates it, else the email holds a [confirm: ...] placeholder the CSM fills.",
    )
    optional: bool = Field(default=False, description="dated_by=record: left out (not promised) when nothing records it.")


def _steps(*pairs: tuple[MilestoneKey, float]) -> list[MilestoneStep]:
    return [MilestoneStep(key=key, at=at) for key, at in pairs]


def _default_timeline() -> dict[EscalationType, list[MilestoneStep]]:
    engineering = [
        MilestoneStep(key="root_cause_analysis", at=0.25),
        MilestoneStep(key="interim_mitigation", at=0.5, dated_by="record", optional=True),
        MilestoneStep(key="permanent_fix", at=1.0, dated_by="record"),
    ]
    return {
        "technical": engineering,
        "outage": list(engineering),
        "billing": _steps(("corrected_invoice", 0.5), ("billing_confirmation", 1.0)),
        "service": _steps(("named_owner", 0.1), ("recovery_plan", 0.25), ("first_checkpoint", 0.5)),
        "security": _steps(("initial_findings", 0.25), ("status_update", 0.5), ("full_report", 1.0)),
    }


def _default_keywords() -> dict[EscalationType, list[str]]:
    return {
        "security": [
            "security", "breach", "unauthorized", "unauthorised", "vulnerability", "phishing", "leak",
            "exposed", "compromised", "malware", "ransomware", "cve", "suspicious login", "data exposure",
            "gdpr", "hipaa", "privacy", "penetration test",
        ],
        "outage": [
            "outage", "is down", "was down", "went down", "are down", "unavailable", "unreachable",
            "inaccessible", "offline", "service disruption",
            "all users", "status page", "cannot access", "can't access", "not loading", "total failure",
        ],
        "billing": [
            "invoice", "billing", "billed", "charge", "overcharge", "overage", "refund", "credit", "seat",
            "payment", "pricing", "price", "fee", "subscription", "receipt", "purchase order", "prorated",
        ],
        "service": [
            "onboarding", "account manager", "responsiveness", "no response", "unanswered", "ignored",
            "commitment", "promised", "missed", "slipped", "never materialised", "never materialized",
            "training", "communication", "support quality", "not acceptable", "disappointed",
        ],
        "technical": [
            "error", "bug", "api", "integration", "sync", "latency", "timeout", "time out", "crash",
            "failing", "failure", "endpoint", "performance", "slow", "export", "login", "sso", "broken",
            "502", "503", "504", "500", "webhook", "dashboard",
        ],
    }


class TypingPolicy(_Config):
    """Vocabulary for inferring the escalation type and the recipient's seniority."""

    keywords: dict[EscalationType, list[str]] = Field(
        default_factory=_default_keywords, description="Words per type; a word also matches its -s/-es/-ed/-ing forms."
    )
    executive_titles: list[str] = Field(
        default_factory=lambda: [
            "chief", "ceo", "cto", "cfo", "coo", "cio", "ciso", "cmo", "cro", "cpo", "president", "vp",
            "vice president", "founder", "owner", "managing director", "general manager", "head of",
        ],
        description="Title words that make a recipient an executive (besides contact role 'executive').",
    )


class RelationshipPolicy(_Config):
    """Thresholds of the relationship rules (tone and CCs)."""

    repeat_window_days: int = Field(
        default=90, ge=1, description="Another escalation within this many days is a repeat."
    )
    renewal_window_days: int = Field(
        default=120, ge=0, description="A renewal this close raises priority and adds the AE."
    )
    strategic_arr: float = Field(default=250_000, ge=0, description="ARR (USD) from which the AE is always suggested.")


class ApprovalPolicy(_Config):
    """Who approves sends, and which are expedited."""

    expedite_severities: list[Severity] = Field(
        default_factory=lambda: ["critical", "high"],
        description="Urgent sends of these severities are auto-approved as policy:expedited.",
    )
    approver_roles: list[StaffRole] = Field(
        default_factory=lambda: ["csm_manager", "executive"], description="Directory roles that may approve a send."
    )
    expedite_senders: list[Literal["csm", "approver"]] = Field(
        default_factory=lambda: ["csm", "approver"],
        description="Who may have an urgent send approved at once: the account's CSM and/or an approver of it "
        "(anyone else's send waits for a human approver; a policy can only narrow this list).",
    )


class LearningPolicy(_Config):
    """How outcomes are judged and how much history makes a figure worth showing."""

    window_days: int = Field(
        default=30, ge=1, description="Re-escalation and health-after are judged this many days after the send."
    )
    min_sample: int = Field(
        default=5, ge=1, description="Fewer judged responses than this are marked too small to judge."
    )


class EmailPolicy(_Config):
    """What the email may promise, and when: the customer's waking business hours and allowed commitments."""

    promise_start: time = Field(default=time(9, 0), description="Earliest local clock time a milestone is promised for.")
    promise_end: time = Field(default=time(18, 0), description="Latest local clock time a milestone is promised for.")
    relative_within_hours: float = Field(
        default=4, ge=0, description="Commitments due within this many hours are said relatively ('within 2 hours')."
    )
    allowed_commitments: list[str] = Field(
        default_factory=list, description="Commitment words the CSM may use (refund, credit, ...); none by default."
    )
    promised_actions: dict[str, list[Severity]] = Field(
        default_factory=lambda: {
            "engineering_owner": ["critical", "high"],
            "support_engineer": ["critical", "high", "medium"],
            "billing_owner": ["critical", "high", "medium", "low"],
            "service_owner": ["critical", "high", "medium", "low"],
            "security_owner": ["critical", "high", "medium", "low"],
        },
        description="What the CSM may promise without a record of it, by severity: engineering_owner (escalating "
        "to engineering), support_engineer, billing_owner, service_owner, security_owner.",
    )
    min_step_gap_hours: float = Field(
        default=2, ge=0, description="Least promise-hours time between two planned timeline steps dated by the SLA."
    )


class Policy(_Config):
    """Everything Step 2 and the approval step decide by."""

    sla: SlaPolicy = Field(default_factory=SlaPolicy, description="SLA rows per severity.")
    business_hours: BusinessHours = Field(
        default_factory=BusinessHours, description="Business hours for business clocks."
    )
    timeline: dict[EscalationType, list[MilestoneStep]] = Field(
        default_factory=_default_timeline, description="Milestones per escalation type, in order."
    )
    relationship: RelationshipPolicy = Field(
        default_factory=RelationshipPolicy, description="Repeat/renewal/ARR rules."
    )
    typing: TypingPolicy = Field(default_factory=TypingPolicy, description="Type and seniority vocabulary.")
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy, description="Approval rules.")
    learning: LearningPolicy = Field(default_factory=LearningPolicy, description="Outcome and insight rules.")
    email: EmailPolicy = Field(default_factory=EmailPolicy, description="Promise hours and allowed commitments.")

    @field_validator("timeline")
    @classmethod
    def _ordered_steps(
        cls, value: dict[EscalationType, list[MilestoneStep]]
    ) -> dict[EscalationType, list[MilestoneStep]]:
        for kind, steps in value.items():
            fractions = [step.at for step in steps]
            if fractions != sorted(fractions):
                raise ValueError(error_text("policy.milestone_order", kind=kind))
        return value


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merged(base[key], value)
        else:
            merged[key] = value
    return merged


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigurationError("policy.unreadable", path=path, reason=err.strerror) from err
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(raw.decode("utf-8"))
        elif path.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            raise ConfigurationError("policy.file_kind", path=path)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigurationError("policy.bad_syntax", path=path, kind=path.suffix[1:].upper(), detail=err) from err
    if not isinstance(data, dict):
        raise ConfigurationError("policy.not_table", path=path)
    return data


def load_policy(path: Path | None) -> Policy:
    """The default policy, with the file at `path` (TOML or JSON) merged over it when given.

    Tables merge key by key; lists replace the default list.

    Raises:
        ConfigurationError: unreadable file, bad syntax, or an invalid value (the message names the key).
    """
    if path is None:
        return Policy()
    data = _merged(Policy().model_dump(mode="json"), _read(path))
    try:
        return Policy.model_validate(data)
    except ValidationError as err:
        problems = []
        for error in err.errors():
            key = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
            message = error["msg"].removeprefix("Value error, ")
            problems.append((key, message))
        raise ConfigurationError("policy.invalid", path=path, problems=problems) from err
