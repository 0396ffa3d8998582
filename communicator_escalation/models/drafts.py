"""The draft an escalation response is: what every front door stores, shows and returns (Step 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from . import CcSuggestion, CustomerRef, DraftSla, EscalationType, Model, PlanMilestone, ReviewNote, SignalHead

__all__ = [
    "CustomerDeadline",
    "Draft",
    "DraftEmail",
    "DraftEscalation",
    "DraftOtherEscalation",
    "DraftPerson",
    "DraftStrategy",
    "Recipient",
    "TrustedFacts",
]



class Recipient(Model):
    """One address on a response, with who it is."""

    name: str | None = Field(default=None, description="Display name from the contacts or the staff directory.")
    email: str = Field(description="Email address.")
    contact_id: str | None = Field(default=None, description="Customer contact id (To).")
    staff_id: str | None = Field(default=None, description="Staff id (CC).")
    label: str | None = Field(default=None, description="For internal CCs: how the CSM sees the role, e.g. 'Your manager'.")
    reason: str | None = Field(default=None, description="For suggested internal CCs: why they were suggested.")


class DraftPerson(Model):
    """A person named on a draft (reporter or sender)."""

    name: str = Field(description="Full name.")
    title: str | None = Field(default=None, description="Job title.")
    email: str = Field(description="Email address.")


class DraftOtherEscalation(SignalHead):
    """Another open escalation of the same customer, not answered by this draft.

    The escalation a draft answers (`DraftEscalation`) is named with the same fields, and more.
    """

    risk_signal_id: str = Field(description="Risk signal id.")


class DraftEscalation(DraftOtherEscalation):
    """The escalation a draft answers: named as the other open ones are, with its type, source, reporter and age."""

    escalation_type: EscalationType = Field(description="Escalation type used for the template.")
    source: str = Field(description="Where it came from: support_ticket, direct_complaint, meeting, ...")
    reported_by: DraftPerson | None = Field(default=None, description="Who raised it, when known.")
    unresolved_for_hours: float = Field(description="Hours the underlying issue has been open.")


class DraftStrategy(Model):
    """Template, tone and clock the draft was written with."""

    template: EscalationType = Field(description="Email template used.")
    tone: str = Field(description="Tone label: executive, urgent, formal or warm.")
    reasons: list[str] = Field(
        default_factory=list, description="Why this tone, including what the account's history taught."
    )
    sla: DraftSla = Field(description="SLA clock.")


class DraftEmail(Model):
    """The message itself. CC is empty in a fresh draft; suggestions are separate."""

    to: list[str] = Field(default_factory=list, description="Recipient addresses (the reporter, else the ticket requester).")
    cc: list[str] = Field(default_factory=list, description="CC addresses the CSM chose.")
    subject: str = Field(description="Subject line.")
    body: str = Field(description="Plain-text body.")
    in_reply_to: str | None = Field(default=None, description="Message-ID of the email replied to.")
    thread_id: str | None = Field(default=None, description="Thread of the email replied to.")





class CustomerDeadline(Model):
    """A deadline the customer stated, in their words, and when it falls."""

    words: str = Field(description="The customer's words for it, e.g. 'before our month-end close'.")
    sentence: str = Field(description="The customer's sentence it was found in (quoted in the email).")
    due: datetime | None = Field(default=None, description="When it falls (end of that day, customer's zone).")
    met: bool | None = Field(default=None, description="Whether every planned step is dated and due by then.")
    answer: Literal["met", "today", "update"] | None = Field(
        default=None,
        description="How the email answers it: met (the timeline meets it), today (it falls today: this email is "
        "the answer, with the next update), update (the next update comes before it); None: it does not.",
    )


class TrustedFacts(Model):
    """The values the CSM's voice may state: staff directory, structured fields, policy; never customer text alone."""

    names: list[str] = Field(default_factory=list, description="People and organisations from structured records.")
    emails: list[str] = Field(default_factory=list, description="Addresses of the directory and the contacts.")
    phones: list[str] = Field(default_factory=list, description="Phone numbers of the directory.")
    amounts: list[str] = Field(default_factory=list, description="Money amounts from structured fields or policy.")
    ids: list[str] = Field(default_factory=list, description="Ticket and signal ids of the escalation.")
    commitments: list[str] = Field(default_factory=list, description="Commitment words the policy allows.")
    recipient_names: list[str] = Field(default_factory=list, description="Contacts the greeting may address.")


class Draft(Model):
    """A drafted escalation response (Step 3), as stored, shown and returned by every front door."""

    response_id: str | None = Field(default=None, description="escalation_responses id; null until saved.")
    kind: Literal["first", "update", "closing"] = Field(
        default="first", description="first response, status update, or closing email of the escalation."
    )
    follows_response_id: str | None = Field(
        default=None, description="For an update or closing email: the sent message it replies to."
    )
    customer: CustomerRef = Field(description="The account.")
    escalation: DraftEscalation = Field(description="The escalation answered.")
    strategy: DraftStrategy = Field(description="Template, tone and SLA clock.")
    email: DraftEmail = Field(description="To, CC, subject, body and threading.")
    sender: DraftPerson | None = Field(default=None, description="The account's CSM, who signs and sends.")
    generated_by: Literal["template", "llm_rewrite"] = Field(
        default="template", description="template, or llm_rewrite when a grounded LLM rewrite was accepted."
    )
    suggested_ccs: list[CcSuggestion] = Field(default_factory=list, description="Internal CCs the CSM may add.")
    action_items: list[str] = Field(default_factory=list, description="Immediate actions stated in the email.")
    action_owners: list[str | None] = Field(
        default_factory=list, description="Staff id owning each action item, in the same order (null: none named)."
    )
    timeline: list[PlanMilestone] = Field(default_factory=list, description="Milestones stated in the email.")
    other_open_escalations: list[DraftOtherEscalation] = Field(
        default_factory=list, description="Other open escalations of the customer."
    )
    review_notes: list[ReviewNote] = Field(
        default_factory=list, description="Blocking and advisory notes: placeholders, assumptions, SLA state."
    )
    customer_deadline: CustomerDeadline | None = Field(
        default=None, description="The deadline the customer stated in the message answered, when one was found."
    )

    def to_json(self) -> dict[str, Any]:
        """The Draft JSON: plain types, times as ISO-8601 with offset."""
        return self.model_dump(mode="json")
