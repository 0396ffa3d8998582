"""The optional LLM rewrite of a template draft: one structured-output call, then the grounding check."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ...models import EscalationContext, Strategy, TrustedFacts
from ...rendering import render
from .grounding import EmailText, check_grounding

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import HumanMessage, SystemMessage

__all__ = ["RewriteOutcome", "rewrite_email", "rewrite_messages"]

_DELIMITERS = re.compile(r"<\s*/?\s*(?:customer_data|csm_guidance|draft)\b", re.IGNORECASE)


class RewriteOutcome(BaseModel):
    """What became of a rewrite: the accepted email, or why it was discarded."""

    email: EmailText | None = Field(default=None, description="The grounded rewrite; None when discarded.")
    error: str | None = Field(default=None, description="Why the call failed (timeout, HTTP error, bad JSON).")
    problems: list[str] = Field(default_factory=list, description="Grounding problems that rejected the rewrite.")


def _neutralised(text: str) -> str:
    """`text` with anything that could close or open one of the prompt's blocks defused."""
    return _DELIMITERS.sub(lambda match: match.group(0).replace("<", "&lt;"), text)


def _customer_data(ctx: EscalationContext) -> list[dict[str, str]]:
    """Customer-written (or customer-derived) text, each as a labelled block."""
    esc = ctx.escalation
    blocks = [("escalation title", esc.title), ("escalation description", esc.description)]
    if ctx.ticket is not None:
        blocks += [(f"ticket {ctx.ticket.id} subject", ctx.ticket.subject),
                   (f"ticket {ctx.ticket.id} description", ctx.ticket.description)]
        blocks += [(f"ticket event {e.kind}", e.note) for e in ctx.ticket.events]
    if ctx.reply_to is not None:
        blocks += [("email being answered: subject", ctx.reply_to.subject), ("email being answered", ctx.reply_to.body)]
    return [{"source": source, "text": _neutralised(text)} for source, text in blocks if text]


def rewrite_messages(
    *, ctx: EscalationContext, strategy: Strategy, template: EmailText, keep_subject: bool,
    recipient_name: str | None, instructions: str | None,
) -> list[SystemMessage | HumanMessage]:
    """The system and user messages of the rewrite call (text from prompts/drafting/)."""
    from langchain_core.messages import HumanMessage, SystemMessage  # only once a model is in use

    sender = ctx.team.csm.name if ctx.team.csm else "the account's CSM"
    system = render(
        "drafting/rewrite_system.j2",
        vendor=ctx.vendor.name,
        sender_name=sender,
        recipient_name=recipient_name or f"the {ctx.customer.name} team",
        tone=strategy.tone.name,
        keep_subject=keep_subject,
    )
    user = render(
        "drafting/rewrite_user.j2",
        customer=ctx.customer.name,
        escalation_type=strategy.template,
        severity=ctx.escalation.severity,
        tone=strategy.tone.name,
        customer_data=_customer_data(ctx),
        guidance=_neutralised(instructions) if instructions else None,
        subject=template.subject,
        body=template.body,
    )
    return [SystemMessage(system), HumanMessage(user)]


def _describe(err: BaseException) -> str:
    if "timeout" in type(err).__name__.lower() or isinstance(err, TimeoutError):
        return "the LLM call timed out"
    detail = " ".join(str(err).split())[:200]
    return f"the LLM call failed ({type(err).__name__}{': ' + detail if detail else ''})"


def rewrite_email(
    llm: BaseChatModel,
    *,
    ctx: EscalationContext,
    strategy: Strategy,
    template: EmailText,
    keep_subject: bool,
    recipient_first_name: str | None,
    recipient_name: str | None,
    facts: TrustedFacts,
    instructions: str | None = None,
    required: list[str] | None = None,
) -> RewriteOutcome:
    """Ask `llm` once for a rewrite of `template` and keep it only if it passes the grounding check.

    Any failure of the call (timeout, HTTP error, invalid or non-conforming JSON) is reported in the
    outcome, never raised: the template draft always remains usable.
    """
    messages = rewrite_messages(
        ctx=ctx, strategy=strategy, template=template, keep_subject=keep_subject,
        recipient_name=recipient_name, instructions=instructions,
    )
    try:
        result = llm.with_structured_output(EmailText).invoke(messages)
        rewrite = result if isinstance(result, EmailText) else EmailText.model_validate(result)
    except Exception as err:  # noqa: BLE001 - an optional model of any provider; every failure falls back
        return RewriteOutcome(error=_describe(err))
    rewrite = EmailText(
        subject=template.subject if keep_subject else " ".join(rewrite.subject.split()),
        body=rewrite.body.strip(),
    )
    problems = check_grounding(
        rewrite=rewrite, template=template, facts=facts, timeline=[*strategy.timeline, strategy.next_update],
        recipient_first_name=recipient_first_name, required=required,
    )
    return RewriteOutcome(email=None if problems else rewrite, problems=problems)
