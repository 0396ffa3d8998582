"""What each escalation tool does: one workflow call, then a compact result model.

Every handler takes the skill's dependencies, the validated `*Args` model, the `Actor` of the turn and
the pinned clock, and returns a result of agent/tools/results.py. Expected failures propagate as
`EscalationError` and are turned into an `ErrorResult` by the skill.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from langchain_core.language_models import BaseChatModel

from ...auth.actor import Actor
from ...config import Settings
from ...errors import Refused
from ...mail.base import Mailer
from ...mail.factory import Transport
from ...models import CcSuggestion, Draft, EscalationContext
from ...rendering import render
from ...store import Store
from ...workflow.context.gather import gather_context
from ...workflow.context.locate import Located, Target, on_named
from ...workflow.delivery.approval import EXPEDITED_ACTOR, ApprovalView
from ...workflow.delivery.send_with_approval import request_approval_only, send_with_approval
from ...workflow.delivery.sending import SendOutcome
from ...workflow.drafting.gate import CONTENT_CODES
from ...workflow.drafting.open import OpenedDraft, open_or_create_draft
from ...workflow.drafting.responses import cancel_response, load_draft
from ...workflow.followthrough.updates import draft_update
from ...workflow.policy import Policy
from ...workflow.review.edits import ResponseView, add_cc, get_response, remove_cc, revise_response
from ...workflow.strategy.pick import pick_strategy
from ...workflow.triage import open_escalations
from ...utc import utcnow
from .args import (
    AddCcsArgs, CancelResponseArgs, DraftResponseArgs, DraftUpdateArgs, EditDraftArgs, GatherContextArgs,
    ListOpenEscalationsArgs, PickStrategyArgs, RemoveCcsArgs, SendResponseArgs, ShowDraftArgs, SuggestCcsArgs,
)
from .results import (
    ApprovalSummary, CancelResult, CcSuggestionsResult, ContextResult, CustomerRef, DraftResult, EscalationRef,
    InboxResult, Recipient, RefusedItem, ReviewResult, SendResult, SlaSummary, StrategyResult, SuggestedCc,
)

__all__ = [
    "Deps", "add_ccs", "cancel", "draft", "edit", "gather", "inbox", "load_view", "remove_ccs", "request_send",
    "send", "show", "strategy", "suggest", "update",
]

_SEND_STATUS = {
    "sent": "sent",
    "already_sent": "already_sent",
    "already_sending": "sending",
    "pending_approval": "pending_approval",
    "failed": "failed",
    "unknown": "unknown",
}
_APPROVED_STATES = ("pending_approval", "approved")
T = TypeVar("T")


@dataclass(frozen=True)
class Deps:
    """What the tools work with."""

    store: Store
    mailer: Mailer
    policy: Policy
    llm: BaseChatModel | None
    settings: Settings | None


def load_view(store: Store, *, response_id: str, actor: Actor) -> ResponseView:
    """The stored response as the CSM reviews it; hidden (NotFound) from an actor who may not reach it."""
    return get_response(store, response_id=response_id, actor=actor)


def _recipient(person: Recipient, labels: dict[str, CcSuggestion]) -> Recipient:
    suggestion = labels.get(person.staff_id or "")
    label, reason = (suggestion.label, suggestion.reason) if suggestion else (None, None)
    return Recipient(name=person.name, email=person.email, label=label, reason=reason)  # the tools show no ids


def _labels(stored: Draft) -> dict[str, CcSuggestion]:
    return {c.staff_id: c for c in stored.suggested_ccs}


def _customer(view: ResponseView) -> CustomerRef:
    return CustomerRef(id=view.customer_id, name=view.customer_name)


def _to(view: ResponseView) -> Recipient:
    first = view.to[0] if view.to else None
    return Recipient(name=first.name, email=first.email) if first else Recipient(email="")


def _open_suggestions(stored: Draft, view: ResponseView) -> list[SuggestedCc]:
    on_cc = {r.email.casefold() for r in view.cc}
    return [
        SuggestedCc.of(c)
        for c in stored.suggested_ccs
        if c.email.casefold() not in on_cc
    ]


def _sla(stored: Draft, now: datetime | None) -> SlaSummary:
    sla = stored.strategy.sla
    moment = utcnow(now)
    minutes = int((sla.first_response_due - moment).total_seconds() // 60)
    urgency = "breached" if minutes < 0 else sla.urgency
    return SlaSummary(urgency=urgency, first_response_due=sla.first_response_due, minutes_to_first_response_due=minutes)


def _stored(deps: Deps, response_id: str, actor: Actor) -> Draft:
    """The stored draft, its content notes computed on the content as it stands."""
    return load_draft(deps.store, response_id=response_id, actor=actor, policy=deps.policy.email)


def _draft_result(view: ResponseView, stored: Draft, now: datetime | None) -> DraftResult:
    labels = _labels(stored)
    return DraftResult(
        response_id=view.id,
        signal_id=view.risk_signal_id,
        status=view.status,
        customer=_customer(view),
        to=_to(view),
        cc=[_recipient(r, labels) for r in view.cc],
        subject=view.subject,
        body=view.body,
        suggested_ccs=_open_suggestions(stored, view),
        review_notes=list(stored.review_notes),
        other_open_escalations=[EscalationRef.of(o, signal_id=o.risk_signal_id) for o in stored.other_open_escalations],
        sla=_sla(stored, now),
        tone=stored.strategy.tone,
        tone_reasons=list(stored.strategy.reasons),
    )


def _named(
    deps: Deps, args: GatherContextArgs | DraftResponseArgs | DraftUpdateArgs, act: Callable[[Target], T], *,
    actor: Actor
) -> tuple[T, dict[str, object]]:
    """Run `act` on the escalation the CSM's words name; also the result fields saying how they named it."""
    done, found = on_named(
        deps.store, act, actor=actor, customer=args.customer, signal_id=args.signal_id, request=args.request
    )
    return done, _named_fields(found)


def _named_fields(found: Located | None) -> dict[str, object]:
    return {"named_by": found.named_by, "named_contact": found.contact} if found else {}


def gather(deps: Deps, args: GatherContextArgs, *, actor: Actor, now: datetime | None) -> ContextResult:
    """gather_escalation_context."""
    ctx, named = _named(
        deps, args, lambda t: gather_context(deps.store, actor=actor, customer=t.customer, signal_id=t.signal_id, now=now),
        actor=actor,
    )
    return ContextResult.from_context(ctx).model_copy(update=named)


def strategy(deps: Deps, args: PickStrategyArgs, *, actor: Actor, now: datetime | None) -> StrategyResult:
    """pick_response_strategy."""
    ctx: EscalationContext = gather_context(deps.store, actor=actor, signal_id=args.signal_id, now=now)
    return StrategyResult.from_strategy(signal_id=args.signal_id, strategy=pick_strategy(ctx, deps.policy, now=now))


def draft(deps: Deps, args: DraftResponseArgs, *, actor: Actor, now: datetime | None) -> DraftResult:
    """draft_escalation_response: the escalation's open draft (e.g. the worker's pre-draft) when the CSM
    gives no instructions, else a new draft (`open_or_create_draft`, read from the CSM's words by `on_named`)."""
    opened, named = _named(
        deps, args, lambda t: open_or_create_draft(
            deps.store, actor=actor, customer=t.customer, signal_id=t.signal_id, instructions=args.instructions,
            policy=deps.policy, llm=deps.llm, now=now,
        ),
        actor=actor,
    )
    view = load_view(deps.store, response_id=opened.draft.response_id or "", actor=actor)
    return _draft_result(view, opened.draft, now).model_copy(update=named)


def update(deps: Deps, args: DraftUpdateArgs, *, actor: Actor, now: datetime | None) -> DraftResult:
    """draft_escalation_update: the next update on the thread (or the update already waiting), on a sent
    response, or on the escalation the CSM's words name (`on_named`, like the draft tool)."""

    def act(target: Target) -> OpenedDraft:
        return draft_update(deps.store, actor=actor, response_id=args.response_id, customer=target.customer,
                            signal_id=target.signal_id, policy=deps.policy, now=now)

    opened, named = (act(Target()), {}) if args.response_id else _named(deps, args, act, actor=actor)
    view = load_view(deps.store, response_id=opened.draft.response_id or "", actor=actor)
    return _draft_result(view, opened.draft, now).model_copy(update=named)


def show(deps: Deps, args: ShowDraftArgs, *, actor: Actor, now: datetime | None) -> DraftResult:
    """show_escalation_draft."""
    view = load_view(deps.store, response_id=args.response_id, actor=actor)
    return _draft_result(view, _stored(deps, args.response_id, actor), now)


def suggest(deps: Deps, args: SuggestCcsArgs, *, actor: Actor, now: datetime | None) -> CcSuggestionsResult:
    """suggest_escalation_ccs."""
    view = load_view(deps.store, response_id=args.response_id, actor=actor)
    stored = _stored(deps, args.response_id, actor)
    labels = _labels(stored)
    return CcSuggestionsResult(
        response_id=view.id, cc=[_recipient(r, labels) for r in view.cc], suggested_ccs=_open_suggestions(stored, view)
    )


def _review_result(before: ResponseView, after: ResponseView, stored: Draft, **fields: object) -> ReviewResult:
    labels = _labels(stored)
    changed = [f for f in ("subject", "body") if getattr(before, f) != getattr(after, f)]
    if {r.email for r in before.cc} != {r.email for r in after.cc}:
        changed.append("cc")
    if {r.email for r in before.to} != {r.email for r in after.to}:
        changed.append("to")
    return ReviewResult(
        response_id=after.id,
        status=after.status,
        to=_to(after),
        cc=[_recipient(r, labels) for r in after.cc],
        subject=after.subject,
        body=after.body if "body" in changed else None,
        changed=changed,  # type: ignore[arg-type]
        approval_voided=bool(changed) and before.status in _APPROVED_STATES and after.status not in _APPROVED_STATES,
        **fields,  # type: ignore[arg-type]
    )


def edit(deps: Deps, args: EditDraftArgs, *, actor: Actor, now: datetime | None) -> ReviewResult:
    """edit_escalation_draft."""
    before = load_view(deps.store, response_id=args.response_id, actor=actor)
    replace = (args.replace, args.with_text or "") if args.replace is not None else None
    after = revise_response(
        deps.store, response_id=args.response_id, actor=actor, to=args.to, subject=args.subject, body=args.body,
        replace=replace, policy=deps.policy, now=now,
    )
    replacements = None
    if replace is not None:
        replacements = before.subject.count(replace[0]) + before.body.count(replace[0])
    stored = _stored(deps, args.response_id, actor)
    current = [n for n in stored.review_notes if n.code in CONTENT_CODES]
    return _review_result(before, after, stored, action="edit", replacements=replacements, review_notes=current)


def _cc_change(
    deps: Deps, response_id: str, who: list[str], *, adding: bool, actor: Actor, now: datetime | None
) -> ReviewResult:
    before = load_view(deps.store, response_id=response_id, actor=actor)
    stored = _stored(deps, response_id, actor)
    change = add_cc if adding else remove_cc
    refused: list[RefusedItem] = []
    after = before
    for person in who:
        try:
            after = change(
                deps.store,
                response_id=response_id,
                who=person,
                actor=actor,
                now=now,
            )
        except Refused as err:
            refused.append(RefusedItem(item=person, reason=err.message))
    if refused and len(refused) == len(who) and who:
        raise Refused("review.every_cc_refused", refused=refused)
    labels = _labels(stored)
    old = {r.email.casefold() for r in before.cc}
    new = {r.email.casefold() for r in after.cc}
    return _review_result(
        before,
        after,
        stored,
        action="add_ccs" if adding else "remove_ccs",
        added=[_recipient(r, labels) for r in after.cc if r.email.casefold() not in old],
        removed=[_recipient(r, labels) for r in before.cc if r.email.casefold() not in new],
        refused=refused,
    )


def _suggested_ids(stored: Draft, view: ResponseView) -> list[str]:
    on_cc = {r.email.casefold() for r in view.cc}
    return [c.staff_id for c in stored.suggested_ccs if c.email.casefold() not in on_cc]


def add_ccs(deps: Deps, args: AddCcsArgs, *, actor: Actor, now: datetime | None) -> ReviewResult:
    """add_escalation_ccs (an empty list adds every open suggestion)."""
    who = list(args.who)
    if not who:
        view = load_view(deps.store, response_id=args.response_id, actor=actor)
        who = _suggested_ids(_stored(deps, args.response_id, actor), view)
        if not who:
            raise Refused("requests.all_ccs_on")
    return _cc_change(deps, args.response_id, who, adding=True, actor=actor, now=now)


def remove_ccs(deps: Deps, args: RemoveCcsArgs, *, actor: Actor, now: datetime | None) -> ReviewResult:
    """remove_escalation_ccs."""
    return _cc_change(deps, args.response_id, list(args.who), adding=False, actor=actor, now=now)


def _approval(view: ApprovalView | None) -> ApprovalSummary | None:
    if view is None:
        return None
    decided_by = view.decided_by
    if decided_by and decided_by != EXPEDITED_ACTOR and decided_by == view.approver_id and view.approver_name:
        decided_by = view.approver_name
    return ApprovalSummary.of(view, decided_by=decided_by)


def _send_result(outcome: SendOutcome, view: ResponseView, *, urgent: bool) -> SendResult:
    status = "rejected" if view.status == "rejected" else _SEND_STATUS[outcome.outcome]
    return SendResult(
        response_id=outcome.response_id,
        status=status,  # type: ignore[arg-type]
        urgent=urgent,
        customer=_customer(view),
        to=_to(view),
        approval=_approval(outcome.approval),
        email_id=outcome.email_id,
        sent_at=outcome.sent_at,
        response_minutes=outcome.response_minutes,
        sla_met=(outcome.sla.state == "met") if outcome.sla else None,
        message=outcome.last_error if status in ("failed", "unknown") else None,
    )


def send(deps: Deps, args: SendResponseArgs, *, actor: Actor, now: datetime | None) -> SendResult:
    """send_escalation_response: approval (expedited when urgent), then exactly-once delivery.

    `args.content_hash` (set by the host from the review) must still be the draft's content hash.
    """
    outcome = send_with_approval(
        deps.store,
        actor=actor,
        response_id=args.response_id,
        transport=Transport(mailer=deps.mailer),
        policy=deps.policy,
        settings=deps.settings,
        urgent=args.urgent,
        expected_content_hash=args.content_hash,
        now=now,
    )
    return _send_result(outcome, load_view(deps.store, response_id=args.response_id, actor=actor), urgent=args.urgent)


def request_send(deps: Deps, args: SendResponseArgs, *, actor: Actor, now: datetime | None) -> SendResult:
    """send_escalation_response without a review card (MCP): request approval, expedited per policy; send nothing.

    The approval is bound to the content as it stands; a person sends it later (`escalation send`, the
    API or the chat), and that send checks the content again.
    """
    status = request_approval_only(
        deps.store, actor=actor, response_id=args.response_id, urgent=args.urgent,
        transport=Transport(mailer=deps.mailer), policy=deps.policy, now=now,
    )
    view = load_view(deps.store, response_id=args.response_id, actor=actor)
    return SendResult(
        response_id=view.id,
        status="approved" if status.response_status == "approved" else "pending_approval",
        urgent=args.urgent,
        customer=_customer(view),
        to=_to(view),
        approval=_approval(status.approval),
        message=render("mcp/send_requested.j2", response_id=view.id, approved=status.response_status == "approved").strip(),
    )


def cancel(deps: Deps, args: CancelResponseArgs, *, actor: Actor, now: datetime | None) -> CancelResult:
    """cancel_escalation_response."""
    view = load_view(deps.store, response_id=args.response_id, actor=actor)
    cancel_response(deps.store, response_id=args.response_id, actor=actor, now=now)
    return CancelResult(response_id=view.id, customer=_customer(view))


def inbox(deps: Deps, args: ListOpenEscalationsArgs, *, actor: Actor, now: datetime | None) -> InboxResult:
    """list_open_escalations."""
    found = open_escalations(
        deps.store, actor=actor, policy=deps.policy, scope=args.scope, severities=args.severity, limit=args.limit,
        updates=args.updates, now=now,
    )
    return InboxResult.from_inbox(found)
