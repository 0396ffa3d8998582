"""The review notes of a draft: Step 2's, Step 3's own, and the send gate's on the drafted content.

Each note has a kind (`blocking` stops the send at every door, `advisory` informs) and a code; code
reads the kind and code, never the rendered text.
"""

from __future__ import annotations

from typing import Any

from ...models import Contact, CustomerDeadline, EscalationContext, ReviewNote, Strategy, TrustedFacts
from ...patterns import is_reply
from ...rendering import render
from ..strategy._phrases import moment_text
from ..strategy.sla import zone
from .deadline import deadline_missed
from .gate import content_notes
from .grounding import EmailText
from .rewrite import RewriteOutcome
from .summary import issue_summary
from .voices import person_name

__all__ = ["draft_note", "draft_notes"]


def draft_note(code: str, *, kind: str = "advisory", **variables: Any) -> ReviewNote:
    """A Step 3 review note rendered from prompts/drafting/review_notes.j2."""
    text = " ".join(render("drafting/review_notes.j2", code=code, **variables).split())
    return ReviewNote(kind=kind, code=code, text=text)  # type: ignore[arg-type]


def _context_notes(ctx: EscalationContext, strategy: Strategy, *, recipient: Contact | None, recipient_kind: str,
                   email: EmailText, deadline: CustomerDeadline | None) -> list[ReviewNote]:
    notes = []
    if recipient_kind == "requester" and recipient is not None:
        notes.append(draft_note("addressed_to_requester", recipient=recipient.model_dump()))
    elif recipient_kind == "none":
        notes.append(draft_note("no_recipient", customer=ctx.customer.name, contacts=[c.name for c in ctx.contacts]))
    if recipient is not None and person_name(recipient.name) is None:
        notes.append(draft_note("greeting_generic", person=recipient.name))
    _, used, withheld = issue_summary(ctx, strategy.template)
    if withheld and (used is None or used not in ("signal title", "signal description") or ctx.ticket is not None):
        notes.append(draft_note("issue_summary_withheld", withheld=withheld, used=used))
    mail = ctx.reply_to
    if mail is not None and mail.subject and not is_reply(email.subject):
        notes.append(draft_note("subject_not_reused", subject=" ".join(mail.subject.split())[:120]))
    if deadline is not None and deadline_missed(deadline, strategy.timeline):
        dues = [m.due for m in strategy.timeline if m.due is not None]
        due = moment_text(max(dues), now=ctx.gathered_at, tz=zone(ctx.customer.timezone)) if dues else None
        notes.append(draft_note("deadline_missed", words=deadline.words, due=due))
    notes += [draft_note("other_open_escalation", other=o.model_dump()) for o in ctx.other_open_escalations]
    return notes


def _rewrite_notes(outcome: RewriteOutcome | None, *, instructions: str | None, llm_configured: bool) -> list[ReviewNote]:
    notes = []
    if outcome is not None and outcome.email is not None:
        notes.append(draft_note("rewrite_accepted"))
    elif outcome is not None and outcome.error:
        notes.append(draft_note("rewrite_failed", error=outcome.error))
    elif outcome is not None and outcome.problems:
        notes.append(draft_note("rewrite_discarded", problems=outcome.problems))
    if instructions and not (outcome is not None and outcome.email is not None):
        notes.append(draft_note("instructions_not_applied", instructions=instructions, llm_configured=llm_configured))
    return notes


def draft_notes(
    *, ctx: EscalationContext, strategy: Strategy, email: EmailText, recipient: Contact | None, recipient_kind: str,
    minutes_left: int, outcome: RewriteOutcome | None, instructions: str | None, llm_configured: bool,
    facts: TrustedFacts, deadline: CustomerDeadline | None,
) -> list[ReviewNote]:
    """Every note of a fresh draft, blocking ones first; one SLA note in all."""
    notes = list(strategy.review_notes)
    if not any(n.code == "sla" for n in notes):
        notes.append(draft_note("sla", early=max(minutes_left, 0), late=max(-minutes_left, 0)))
    notes += _context_notes(ctx, strategy, recipient=recipient, recipient_kind=recipient_kind, email=email,
                            deadline=deadline)
    notes += _rewrite_notes(outcome, instructions=instructions, llm_configured=llm_configured)
    notes += content_notes(subject=email.subject, body=email.body, to_name=recipient.name if recipient else None,
                           facts=facts)
    unique = list({(n.kind, n.code, n.text): n for n in notes}.values())
    return sorted(unique, key=lambda n: n.kind != "blocking")

