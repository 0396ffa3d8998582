"""Internal CC suggestions, each with the reason shown to the CSM (PRD Step 4).

Only people of the staff directory (`ctx.team`) are suggested, each once, never the sender.
Rules: the CSM's manager for high and critical severity or a repeat escalation; the support lead
for technical and outage; the account executive for billing, strategic ARR or a near renewal; the
executive sponsor for critical or a repeat escalation; the engineering manager for outages and
critical technical issues; the security officer for security; the billing specialist for billing;
the executive sponsor also when the account's history says so (strategy/history.py).
A rule whose role has nobody in the directory is reported by `missing_cc_notes`
(`pick_strategy` puts those lines in `Strategy.review_notes`).
"""

from __future__ import annotations

from typing import Literal, get_args

from ...models import CcSuggestion, EscalationContext, ReviewNote, Strategy
from ..context.relationship import renewal_soon
from ..policy import Policy
from ._phrases import phrase, review_note
from .history import RECENT, sponsor_advice

__all__ = ["CcSlot", "cc_rules", "missing_cc_notes", "suggest_ccs"]

CcSlot = Literal[
    "csm_manager",
    "support_lead",
    "account_executive",
    "executive_sponsor",
    "engineering_manager",
    "security_officer",
    "billing_specialist",
]
_SLOTS: tuple[CcSlot, ...] = get_args(CcSlot)


def cc_rules(ctx: EscalationContext, strategy: Strategy, *, policy: Policy | None = None) -> dict[CcSlot, list[str]]:
    """The account-team slots the rules call for, each with its reasons, in display order."""
    rules = (policy or Policy()).relationship
    severity, kind = strategy.sla.severity, strategy.escalation_type.type
    repeat = strategy.tone.repeat_escalation
    wanted: dict[CcSlot, list[dict[str, object]]] = {slot: [] for slot in _SLOTS}
    if severity in ("critical", "high"):
        wanted["csm_manager"].append({"rule": "severity", "severity": severity})
    if repeat:
        wanted["csm_manager"].append({"rule": "repeat", "days": rules.repeat_window_days})
        wanted["executive_sponsor"].append({"rule": "repeat", "days": rules.repeat_window_days})
    if kind in ("technical", "outage"):
        wanted["support_lead"].append({"rule": kind})
    if kind == "billing":
        wanted["account_executive"].append({"rule": "billing"})
        wanted["billing_specialist"].append({"rule": "billing_specialist"})
    if ctx.customer.arr >= rules.strategic_arr:
        wanted["account_executive"].append({"rule": "arr", "arr": ctx.customer.arr, "threshold": rules.strategic_arr})
    if renewal_soon(ctx, days=rules.renewal_window_days):
        wanted["account_executive"].append({"rule": "renewal", "days": ctx.customer.days_to_renewal})
    if severity == "critical":
        wanted["executive_sponsor"].insert(0, {"rule": "critical"})
    advice = sponsor_advice(ctx)
    if advice is not None:
        wanted["executive_sponsor"].append({"rule": f"history_{advice}", "count": RECENT})
    if kind == "outage":
        wanted["engineering_manager"].append({"rule": "outage_engineering"})
    elif kind == "technical" and severity == "critical":
        wanted["engineering_manager"].append({"rule": "critical_technical"})
    if kind == "security":
        wanted["security_officer"].append({"rule": "security"})
    return {
        slot: [phrase("cc", part="reason", **facts) for facts in reasons] for slot, reasons in wanted.items() if reasons
    }


def suggest_ccs(
    ctx: EscalationContext, strategy: Strategy, *, policy: Policy | None = None, sender_id: str | None = None
) -> list[CcSuggestion]:
    """CC suggestions from the directory, deduplicated by person, never the sender.

    Args:
        ctx: The escalation context (its `team` is the directory's answer).
        strategy: Step 2's decision (severity, type, repeat escalation).
        policy: Thresholds (ARR, renewal window, repeat window); the default policy when omitted.
        sender_id: Who sends the response; defaults to the account's CSM.
    """
    sender = sender_id or (ctx.team.csm.id if ctx.team.csm else None)
    team = [ctx.team.csm, *(getattr(ctx.team, slot) for slot in _SLOTS)]
    sender_emails = {member.email.lower() for member in team if member and member.id == sender}
    suggestions: dict[str, CcSuggestion] = {}
    for slot, reasons in cc_rules(ctx, strategy, policy=policy).items():
        member = getattr(ctx.team, slot)
        if member is None or member.id == sender or member.email.lower() in sender_emails:
            continue
        if member.id in suggestions:
            known = suggestions[member.id]
            extra = [reason for reason in reasons if reason not in known.reason.split("; ")]
            known.reason = "; ".join([known.reason, *extra])
            continue
        suggestions[member.id] = CcSuggestion(
            staff_id=member.id,
            name=member.name,
            email=member.email,
            role=member.role,
            label=phrase("cc", part="label", slot=slot),
            reason="; ".join(reasons),
        )
    return list(suggestions.values())


def missing_cc_notes(ctx: EscalationContext, strategy: Strategy, *, policy: Policy | None = None) -> list[ReviewNote]:
    """Review notes for CC rules whose role has nobody in the directory (and for a missing CSM)."""
    notes = [] if ctx.team.csm else [review_note("no_sender")]
    for slot, reasons in cc_rules(ctx, strategy, policy=policy).items():
        if getattr(ctx.team, slot) is None:
            role = phrase("cc", part="role", slot=slot)
            notes.append(review_note("missing_role", role=role, reasons=reasons))
    return notes
