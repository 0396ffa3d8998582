"""The `escalation-world/1` file format as pydantic models (see fixtures/README.md)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..models import EscalationType, Severity, StaffRole, Tier

WORLD_FORMAT = "escalation-world/1"


class Record(BaseModel):
    """A world record; keys the format does not define are kept as metadata."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    @property
    def metadata(self) -> dict[str, Any]:
        """The unknown keys of the record."""
        return dict(self.model_extra or {})

    @field_validator("*", mode="after")
    @classmethod
    def _aware(cls, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown IANA timezone {value!r}") from err
    return value


class VendorRecord(Record):
    name: str
    email_domain: str


class StaffRecord(Record):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    role: StaffRole
    manager_id: str | None = None
    title: str | None = None
    phone: str | None = None
    timezone: str | None = None

    _tz = field_validator("timezone")(_check_timezone)


class HealthPointRecord(Record):
    at: datetime
    score: int = Field(ge=0, le=100)


class CustomerRecord(Record):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    domain: str | None = None
    arr: float = Field(ge=0)
    tier: Tier
    health_score: int = Field(ge=0, le=100)
    health_history: list[HealthPointRecord] = Field(default_factory=list)
    renewal_date: date | None = None
    timezone: str | None = None
    customer_since: date | None = None
    csm_id: str
    account_executive_id: str | None = None
    support_lead_id: str | None = None
    executive_sponsor_id: str | None = None

    _tz = field_validator("timezone")(_check_timezone)


class ContactRecord(Record):
    id: str = Field(min_length=1)
    customer_id: str
    name: str = Field(min_length=1)
    title: str | None = None
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    role: str | None = None


class TicketEventRecord(Record):
    at: datetime
    kind: str = Field(min_length=1)
    note: str | None = None


class TicketRecord(Record):
    id: str = Field(min_length=1)
    customer_id: str
    subject: str
    description: str | None = None
    priority: str
    status: str
    opened_at: datetime
    requester_contact_id: str | None = None
    assignee_id: str | None = None
    events: list[TicketEventRecord] = Field(default_factory=list)


class CommunicationRecord(Record):
    id: str = Field(min_length=1)
    customer_id: str
    channel: Literal["email", "meeting", "call", "ticket_comment"]
    direction: Literal["inbound", "outbound"]
    at: datetime
    subject: str | None = None
    body: str | None = None
    contact_id: str | None = None
    staff_id: str | None = None
    thread_id: str | None = None
    message_id: str | None = None


class RiskSignalRecord(Record):
    id: str = Field(min_length=1)
    customer_id: str
    signal_type: str = Field(min_length=1)
    severity: Severity
    source: str
    escalation_type: EscalationType | None = None
    title: str = Field(min_length=1)
    description: str | None = None
    detected_at: datetime
    status: Literal["open", "resolved"]
    reported_by_contact_id: str | None = None
    ticket_id: str | None = None
    communication_id: str | None = None
    response_sent_at: datetime | None = None
    response_email_id: str | None = None
    resolved_at: datetime | None = None


class SavePlayRecord(Record):
    id: str = Field(min_length=1)
    customer_id: str
    title: str
    status: str
    owner_id: str | None = None
    created_at: datetime
    actions: list[str] = Field(default_factory=list)


# (file key, record model, references: field -> file key of the target)
SECTIONS: tuple[tuple[str, type[Record], dict[str, str]], ...] = (
    ("staff", StaffRecord, {"manager_id": "staff"}),
    (
        "customers",
        CustomerRecord,
        {
            "csm_id": "staff",
            "account_executive_id": "staff",
            "support_lead_id": "staff",
            "executive_sponsor_id": "staff",
        },
    ),
    ("contacts", ContactRecord, {"customer_id": "customers"}),
    ("tickets", TicketRecord, {"customer_id": "customers", "requester_contact_id": "contacts", "assignee_id": "staff"}),
    ("communications", CommunicationRecord, {"customer_id": "customers", "contact_id": "contacts", "staff_id": "staff"}),
    (
        "risk_signals",
        RiskSignalRecord,
        {
            "customer_id": "customers",
            "reported_by_contact_id": "contacts",
            "ticket_id": "tickets",
            "communication_id": "communications",
        },
    ),
    ("save_plays", SavePlayRecord, {"customer_id": "customers", "owner_id": "staff"}),
)
