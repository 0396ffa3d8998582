"""The `escalation-world/1` file format as pydantic models (see fixtures/README.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from ...errors import error_text
from ...models import EscalationType, Severity, StaffRole, Tier
from ...safe_text import LINE_PATTERN, WorldId

WORLD_FORMAT = "escalation-world/1"

# Patterns (checked by pydantic-core, not Python, so 4 million records stay cheap). A line of text has
# no control characters, line or paragraph separators or bidi overrides; free text may have tabs and
# line breaks but no other C0 control; addresses and message ids have no whitespace at all.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Line = Annotated[str, StringConstraints(pattern=LINE_PATTERN)]
NAME_MAX_LENGTH = 300
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX_LENGTH, pattern=LINE_PATTERN)]
Id = WorldId
Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]
Email = Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s\x00-\x1f\x7f-\x9f<>,;]+@[^@\s\x00-\x1f\x7f-\x9f<>,;]+$")]
MessageId = Annotated[str, StringConstraints(min_length=1, max_length=998, pattern=r"^<?[^\s\x00-\x1f\x7f-\x9f<>]+>?$")]
PATTERN_MESSAGES = {LINE_PATTERN: "line_text", TEXT_PATTERN: "text"}
"""The prompts/errors/world.j2 macro that words a broken pattern (any other: `malformed`)."""


class Record(BaseModel):
    """A world record; keys the format does not define are kept as metadata."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, allow_inf_nan=False)

    @property
    def metadata(self) -> dict[str, Any]:
        """The unknown keys of the record."""
        return dict(self.model_extra or {})


def check_timezone(value: str | None) -> str | None:
    """`value` when it names an IANA zone (None passes); else a ValueError worded for the world file."""
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(error_text("world.unknown_timezone", value=value)) from err
    return value


class VendorRecord(Record):
    name: Name
    email_domain: Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=r"^[^@\s\x00-\x1f\x7f-\x9f<>,;]+$")]


class StaffRecord(Record):
    id: Id
    name: Name
    email: Email
    role: StaffRole
    manager_id: Id | None = None
    title: Line | None = None
    phone: Line | None = None
    timezone: str | None = None

    _tz = field_validator("timezone")(check_timezone)

    @field_validator("manager_id")
    @classmethod
    def _not_own_manager(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value == info.data.get("id"):
            raise ValueError(error_text("world.own_manager"))
        return value


class HealthPointRecord(Record):
    at: datetime
    score: int = Field(ge=0, le=100)


class CustomerRecord(Record):
    id: Id
    name: Name
    domain: Line | None = None
    arr: float = Field(ge=0, lt=1e12)
    tier: Tier
    health_score: int = Field(ge=0, le=100)
    health_history: list[HealthPointRecord] = Field(default_factory=list)
    renewal_date: date | None = None
    timezone: str | None = None
    customer_since: date | None = None
    csm_id: Id
    account_executive_id: Id | None = None
    support_lead_id: Id | None = None
    executive_sponsor_id: Id | None = None

    _tz = field_validator("timezone")(check_timezone)


class ContactRecord(Record):
    id: Id
    customer_id: Id
    name: Name
    title: Line | None = None
    email: Email
    role: Line | None = None


class TicketEventRecord(Record):
    at: datetime
    kind: Annotated[Line, Field(min_length=1)]
    note: Text | None = None
    due: datetime | None = None


class TicketRecord(Record):
    id: Id
    customer_id: Id
    subject: Line
    description: Text | None = None
    priority: Line
    status: Line
    opened_at: datetime
    requester_contact_id: Id | None = None
    assignee_id: Id | None = None
    events: list[TicketEventRecord] = Field(default_factory=list)


class CommunicationRecord(Record):
    id: Id
    customer_id: Id
    channel: Literal["email", "meeting", "call", "ticket_comment"]
    direction: Literal["inbound", "outbound"]
    at: datetime
    subject: Line | None = None
    body: Text | None = None
    contact_id: Id | None = None
    staff_id: Id | None = None
    thread_id: MessageId | None = None
    message_id: MessageId | None = None


class RiskSignalRecord(Record):
    id: Id
    customer_id: Id
    signal_type: Id
    severity: Severity
    source: Line
    escalation_type: EscalationType | None = None
    title: Annotated[Line, Field(min_length=1)]
    description: Text | None = None
    detected_at: datetime
    status: Literal["open", "resolved"]
    reported_by_contact_id: Id | None = None
    ticket_id: Id | None = None
    communication_id: Id | None = None
    response_sent_at: datetime | None = None
    response_email_id: MessageId | None = None
    resolved_at: datetime | None = None


class SavePlayRecord(Record):
    id: Id
    customer_id: Id
    title: Line
    status: Line
    owner_id: Id | None = None
    created_at: datetime
    actions: list[Text] = Field(default_factory=list)


class PastResponseRecord(Record):
    """A response sent before the skill kept records (the optional `responses` section): the first
    response, a status update or the closing email, with what the learning loop reads."""

    id: Id
    risk_signal_id: Id
    kind: Literal["first", "update", "closing"] = "first"
    sent_at: datetime
    sender_id: Id | None = None
    to_contact_id: Id | None = None
    cc: list[Id] = Field(default_factory=list, description="Staff ids on CC.")
    subject: Line | None = None
    template: EscalationType | None = None
    tone: Literal["executive", "urgent", "formal", "warm"] | None = None
    expedited: bool = False
    edit_ratio: float | None = Field(default=None, ge=0, le=1)
    message_id: MessageId | None = None
    thread_id: Id | None = None


PAST_RESPONSES = "responses"
"""The file key of the past responses: kept apart from SECTIONS (written to `past_responses` once the
sections they point at are, without staging)."""

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
