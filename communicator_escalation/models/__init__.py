"""Boundary types shared by the workflow, the store, the tools, the API and the CLI."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "high", "medium", "low"]
EscalationType = Literal["technical", "billing", "service", "security", "outage"]
StaffRole = Literal[
    "csm",
    "csm_manager",
    "executive",
    "support_lead",
    "support_engineer",
    "engineering_manager",
    "account_executive",
    "billing_specialist",
    "security_officer",
]
Tier = Literal["enterprise", "mid_market", "smb"]
TrendDirection = Literal["declining", "stable", "improving"]
Urgency = Literal["on_track", "due_soon", "breached"]
NoteKind = Literal["blocking", "advisory"]

ESCALATION_SIGNAL_TYPES: tuple[str, ...] = ("ticket_escalated", "executive_complaint", "critical_issue")
SEVERITY_RANK: dict[str, int] = {"critical": 4, "high": 3, "medium": 2, "low": 1}


class Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")

    @classmethod
    def of(cls, source: BaseModel, /, **values: Any) -> Self:
        """This model as a view of `source`: the fields both declare, then `values` (renamed or derived ones)."""
        shared = {name: getattr(source, name) for name in cls.model_fields.keys() & type(source).model_fields.keys()}
        return cls.model_validate({**shared, **values})


class Vendor(Model):
    """Our own company."""

    name: str = Field(description="Vendor (our company) name.")
    email_domain: str = Field(description="Domain of internal staff addresses.")


class StaffMember(Model):
    """An internal person from the staff directory."""

    id: str = Field(description="Staff id.")
    name: str = Field(description="Full name.")
    email: str = Field(description="Work email address.")
    role: StaffRole = Field(description="Directory role.")
    title: str | None = Field(default=None, description="Job title.")
    phone: str | None = Field(default=None, description="Direct phone number.")
    timezone: str | None = Field(default=None, description="IANA timezone.")
    manager_id: str | None = Field(default=None, description="Staff id of the manager.")


class Contact(Model):
    """A person at a customer."""

    id: str = Field(description="Contact id.")
    customer_id: str = Field(description="Customer the contact belongs to.")
    name: str = Field(description="Full name.")
    email: str = Field(description="Email address.")
    title: str | None = Field(default=None, description="Job title, e.g. CTO.")
    role: str | None = Field(default=None, description="Relationship role, e.g. executive, technical, billing.")


class HealthPoint(Model):
    at: datetime = Field(description="When the score was measured.")
    score: int = Field(description="Health score 0-100.")


class HealthTrend(Model):
    """Current health and its direction, computed from history."""

    score: int = Field(description="Current health score 0-100.")
    direction: TrendDirection = Field(description="declining, stable or improving.")
    change: int = Field(description="Points changed over the window (negative = fell).")
    window_days: int | None = Field(default=None, description="Days between the oldest point considered and now.")
    history: list[HealthPoint] = Field(default_factory=list, description="Points, oldest first.")


class CustomerRef(Model):
    """A customer by id and name (the account a draft is for)."""

    id: str = Field(description="Customer id.")
    name: str = Field(description="Account name.")


class Customer(CustomerRef):
    """An account, with derived relationship facts."""

    domain: str | None = Field(default=None, description="Email domain of the customer.")
    arr: float = Field(description="Annual recurring revenue, USD.")
    tier: Tier = Field(description="enterprise, mid_market or smb.")
    health_score: int = Field(description="Current health score 0-100.")
    renewal_date: date | None = Field(default=None, description="Next renewal date.")
    days_to_renewal: int | None = Field(default=None, description="Days from now to renewal (negative if past).")
    timezone: str = Field(default="UTC", description="IANA timezone used for the customer's clock.")
    country: str | None = Field(
        default=None, description="ISO 3166 country for public holidays; derived from the timezone when missing."
    )
    customer_since: date | None = Field(default=None, description="Start of the relationship.")
    tenure_months: int | None = Field(default=None, description="Whole months since customer_since.")


class TicketEvent(Model):
    at: datetime = Field(description="When it happened.")
    kind: str = Field(description="opened, customer_followup, engineering_escalated, workaround_identified, fix_deployed, resolved, ...")
    note: str | None = Field(default=None, description="What happened, in words (staff-recorded).")
    due: datetime | None = Field(default=None, description="A date staff committed to with it, e.g. a fix's ETA.")


class Ticket(Model):
    id: str = Field(description="Ticket id.")
    subject: str = Field(description="Ticket subject.")
    description: str | None = Field(default=None, description="Ticket description (customer-written).")
    priority: str = Field(description="Ticket priority.")
    status: str = Field(description="Ticket status.")
    opened_at: datetime = Field(description="When the ticket was opened.")
    requester: Contact | None = Field(default=None, description="Customer contact who opened it.")
    assignee: StaffMember | None = Field(default=None, description="Staff member assigned.")
    events: list[TicketEvent] = Field(default_factory=list, description="Events, oldest first.")


class Communication(Model):
    id: str = Field(description="Communication id.")
    channel: Literal["email", "meeting", "call", "ticket_comment"] = Field(description="Channel.")
    direction: Literal["inbound", "outbound"] = Field(description="inbound (from customer) or outbound.")
    at: datetime = Field(description="When it happened.")
    subject: str | None = Field(default=None, description="Subject or meeting title.")
    body: str | None = Field(default=None, description="Text (customer-written when inbound).")
    contact_id: str | None = Field(default=None, description="Customer contact involved.")
    contact_name: str | None = Field(default=None, description="Name of that contact.")
    staff_id: str | None = Field(default=None, description="Staff member involved.")
    thread_id: str | None = Field(default=None, description="Email thread id to reply on.")
    message_id: str | None = Field(default=None, description="RFC 5322 Message-ID to reply to.")


class SignalHead(Model):
    """What a risk signal is: its type, severity, title and when it was detected (every view of one starts so)."""

    signal_type: str = Field(description="ticket_escalated, executive_complaint, critical_issue, health_score_drop, ...")
    severity: Severity = Field(description="critical, high, medium or low.")
    escalation_type: EscalationType | None = Field(default=None, description="Given type, if any.")
    title: str = Field(description="Short title.")
    detected_at: datetime = Field(description="When the signal was detected (starts the SLA clock).")


class SignalState(SignalHead):
    """A risk signal by id, with whether it was answered and resolved."""

    id: str = Field(description="Signal id.")
    status: Literal["open", "resolved"] = Field(description="open or resolved.")
    reported_by_contact_id: str | None = Field(default=None, description="Contact who raised it.")
    response_sent_at: datetime | None = Field(default=None, description="When our response was sent.")
    resolved_at: datetime | None = Field(default=None, description="When the escalation was resolved, if known.")


class RiskSignal(SignalState):
    """A risk signal row; escalations are the ones of ESCALATION_SIGNAL_TYPES."""

    customer_id: str = Field(description="Customer id.")
    source: str = Field(description="Where it came from: support_ticket, direct_complaint, meeting, ...")
    description: str | None = Field(default=None, description="Longer description.")
    ticket_id: str | None = Field(default=None, description="Related ticket id.")
    communication_id: str | None = Field(default=None, description="Communication the signal points at.")
    response_email_id: str | None = Field(default=None, description="Id of the sent response email.")


class PriorEscalation(SignalState):
    """An earlier escalation of the same customer (last 12 months)."""

    response_minutes: int | None = Field(default=None, description="Minutes from detection to response.")


class PlanAction(Model):
    """One action item of a recorded escalation plan."""

    text: str = Field(description="The action, as the email stated it.")
    owner_id: str | None = Field(default=None, description="Staff id of its owner, when the data names one.")


class PlanMilestone(Model):
    """A milestone a response promises, as its email states it (the draft's timeline and the recorded plan's)."""

    key: str | None = Field(
        default=None, description="The policy's step key, so a status update finds the step again (null: unknown)."
    )
    milestone: str = Field(description="What will be delivered.")
    due: datetime | None = Field(default=None, description="Computed due time; null when already in place.")
    due_text: str = Field(description="The due time as the email states it, in the customer's timezone.")


class PastEscalation(SignalState):
    """An earlier escalation of the customer, how it was answered and how it ended (last 12 months)."""

    tone: str | None = Field(default=None, description="Tone of the first response, when one was sent.")
    template: str | None = Field(default=None, description="Template of the first response.")
    answered_at: datetime | None = Field(default=None, description="When the first response was sent.")
    de_escalated: bool | None = Field(default=None, description="Recorded outcome; None while pending or unanswered.")
    reply_tone: str | None = Field(default=None, description="Tone of the customer's first reply.")
    sponsor_joined_at: datetime | None = Field(
        default=None, description="When the executive sponsor was first on CC of the thread (None: never)."
    )
    sponsor_on_first_response: bool = Field(default=False, description="The sponsor was on CC from the first response.")


class SavePlay(Model):
    id: str = Field(description="Save play id.")
    title: str = Field(description="Plan title.")
    status: str = Field(description="Plan status.")
    owner: StaffMember | None = Field(default=None, description="Owner from the directory.")
    created_at: datetime = Field(description="When the plan was created.")
    actions: list[str] = Field(default_factory=list, description="Planned actions.")
    risk_signal_id: str | None = Field(default=None, description="Escalation the plan answers, when recorded from a response.")
    source_response_id: str | None = Field(default=None, description="Sent response whose action plan this is.")
    action_items: list[PlanAction] = Field(default_factory=list, description="Action items with owners (recorded plans).")
    milestones: list[PlanMilestone] = Field(default_factory=list, description="Promised milestones (recorded plans).")


class AccountTeam(Model):
    """Who on our side is attached to the account, and the specialists the directory has."""

    csm: StaffMember | None = Field(default=None, description="The account's CSM (the sender).")
    csm_manager: StaffMember | None = Field(default=None, description="The CSM's manager.")
    account_executive: StaffMember | None = Field(default=None, description="Account executive.")
    support_lead: StaffMember | None = Field(default=None, description="Support lead.")
    executive_sponsor: StaffMember | None = Field(default=None, description="Executive sponsor.")
    engineering_manager: StaffMember | None = Field(default=None, description="Engineering manager from the directory.")
    security_officer: StaffMember | None = Field(default=None, description="Security officer from the directory.")
    billing_specialist: StaffMember | None = Field(default=None, description="Billing specialist from the directory.")


class Escalation(RiskSignal):
    """The open escalation being answered, with how long the issue has been open."""

    unresolved_since: datetime = Field(description="Ticket opened_at when there is a ticket, else detected_at.")
    unresolved_for_hours: float = Field(description="Hours from unresolved_since to now.")


class EscalationContext(Model):
    """Everything Step 1 gathers for one escalation (PRD 'Escalation Context Gathering')."""

    gathered_at: datetime = Field(description="The 'now' the context was computed at.")
    vendor: Vendor = Field(description="Our company.")
    customer: Customer = Field(description="The account.")
    health: HealthTrend = Field(description="Health score and trend.")
    escalation: Escalation = Field(description="The escalation being answered.")
    reporter: Contact | None = Field(default=None, description="Contact who raised it.")
    ticket: Ticket | None = Field(default=None, description="The underlying ticket, with events.")
    reply_to: Communication | None = Field(default=None, description="The email the response replies to.")
    recent_communications: list[Communication] = Field(default_factory=list, description="Last 90 days, newest first.")
    related_signals: list[RiskSignal] = Field(default_factory=list, description="Open non-escalation signals.")
    prior_escalations: list[PriorEscalation] = Field(default_factory=list, description="Other escalations, last 12 months, newest first.")
    other_open_escalations: list[RiskSignal] = Field(default_factory=list, description="Other open escalations of the customer.")
    save_plays: list[SavePlay] = Field(default_factory=list, description="Open save plays.")
    history: list[PastEscalation] = Field(
        default_factory=list, description="Earlier escalations (12 months), how they were answered and ended, newest first."
    )
    contacts: list[Contact] = Field(default_factory=list, description="All contacts of the customer.")
    team: AccountTeam = Field(description="Account team and directory specialists.")


class SlaSummary(Model):
    """Where the escalation stands against its first-response SLA."""

    first_response_due: datetime = Field(description="When the first response is due.")
    urgency: Urgency = Field(description="on_track, due_soon or breached.")
    minutes_to_first_response_due: int = Field(description="Minutes left; negative when late.")


class DraftSla(SlaSummary):
    """The SLA clock as a draft reports it: the summary, the update cadence and the resolution target."""

    update_every_hours: float = Field(description="Update cadence in hours.")
    resolution_due: datetime = Field(description="Resolution target.")


class SlaClock(DraftSla):
    """The escalation clock, started at the signal's detected_at: what a draft reports, and how it was set."""

    severity: Severity = Field(description="Severity the policy row was chosen by.")
    clock: Literal["around_the_clock", "business_hours"] = Field(description="How time is counted.")
    started_at: datetime = Field(description="detected_at of the signal.")


class ReviewNote(Model):
    """Something for the CSM to check: `blocking` notes stop a send at every door, `advisory` ones inform."""

    kind: NoteKind = Field(description="blocking (the send is refused while it stands) or advisory.")
    code: str = Field(description="Stable code, e.g. unconfirmed_placeholder, sla, issue_summary_withheld.")
    text: str = Field(description="The note, for the CSM.")


class ErrorDetail(Model):
    """An expected failure as every door reports it: the API's and --json's `error`, and the tools' error result."""

    code: str = Field(description="Stable error code, e.g. not_found, ambiguous_customer, no_open_escalation.")
    message: str = Field(description="What went wrong, in one sentence.")
    candidates: list[Any] = Field(default_factory=list, description="Options to choose from, or close matches.")
    notes: list[ReviewNote] | None = Field(default=None, description="A refused send's blocking review notes.")


class Milestone(PlanMilestone):
    """A step of the timeline Step 2 plans: the promise, with its state and how it was dated."""

    status: Literal["planned", "identified", "done"] = Field(
        default="planned", description="planned, identified (a workaround found) or done (a fix deployed)."
    )
    relative: bool = Field(default=False, description="Said relatively ('within the next 2 hours'), no clock time.")
    recorded: bool = Field(default=False, description="Dated by a date staff recorded on the ticket (not by the SLA).")


class ActionItem(Model):
    """Something already being done, or to be done, built from facts in the context."""

    text: str = Field(description="Sentence for the email.")
    kind: str = Field(description="Source: ticket_event, assignee, save_play, placeholder, ...")
    owner_id: str | None = Field(default=None, description="Staff id of the owner, when known.")
    owner: str | None = Field(default=None, description="The owner as the email names them, or a [confirm: ...] placeholder.")
    placeholder: bool = Field(default=False, description="True when the CSM must fill something in.")


class TypeDecision(Model):
    """The escalation type and why."""

    type: EscalationType = Field(description="Chosen escalation type.")
    inferred: bool = Field(description="True when inferred from text rather than given.")
    evidence: list[str] = Field(default_factory=list, description="Words matched, or 'given on the signal'.")


class Tone(Model):
    """How the message should sound, and why."""

    name: Literal["executive", "urgent", "formal", "warm"] = Field(description="Tone label.")
    executive_recipient: bool = Field(description="Recipient is an executive: shorter, ownership-first.")
    repeat_escalation: bool = Field(description="Another escalation in the last 90 days.")
    elevated_priority: bool = Field(description="Declining health or renewal within 120 days.")
    reasons: list[str] = Field(default_factory=list, description="Why this tone.")


class Strategy(Model):
    """Step 2's decision: type, template, tone, SLA clock, timeline, actions."""

    escalation_type: TypeDecision = Field(description="Type and evidence.")
    template: EscalationType = Field(description="Email template (= escalation type).")
    tone: Tone = Field(description="Tone.")
    sla: SlaClock = Field(description="SLA clock.")
    timeline: list[Milestone] = Field(default_factory=list, description="Milestones, in order, never after resolution_due.")
    next_update: Milestone = Field(description="Next update commitment from the cadence.")
    action_items: list[ActionItem] = Field(default_factory=list, description="Immediate actions.")
    review_notes: list[ReviewNote] = Field(default_factory=list, description="Assumptions and gaps for the CSM.")


class CcSuggestion(Model):
    """An internal CC the CSM may add, with the reason shown to them."""

    staff_id: str = Field(description="Staff id.")
    name: str = Field(description="Name.")
    email: str = Field(description="Email address.")
    role: StaffRole = Field(description="Directory role.")
    label: str = Field(description="How the CSM sees the role, e.g. 'Your manager', 'Support Lead'.")
    reason: str = Field(description="Why this person is suggested.")


# The draft models live in models/drafts.py (the escalation models above are what they refer to).
from .drafts import (  # noqa: E402 - re-exported after the names drafts.py imports from here
    CustomerDeadline,
    Draft,
    DraftEmail,
    DraftEscalation,
    DraftOtherEscalation,
    DraftPerson,
    DraftStrategy,
    Recipient,
    TrustedFacts,
)
