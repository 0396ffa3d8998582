"""Trusted facts: the values the CSM's voice may state, from the staff directory, structured record
fields and the policy; never from customer-written text alone.

`trusted_facts` builds them from a context at draft time; `directory_facts` from the database at send
time (the whole directory and the customer's contacts), so the send gate re-checks the final content.
"""

from __future__ import annotations

from ...models import EscalationContext, StaffMember, TrustedFacts
from ...store.responses import Conn
from ..policy import EmailPolicy

__all__ = ["directory_facts", "trusted_facts"]


def _staff(ctx: EscalationContext) -> list[StaffMember]:
    team = [getattr(ctx.team, slot) for slot in type(ctx.team).model_fields]
    extra = [ctx.ticket.assignee] if ctx.ticket and ctx.ticket.assignee else []
    return [m for m in [*team, *extra, *(p.owner for p in ctx.save_plays)] if m is not None]


def trusted_facts(ctx: EscalationContext, policy: EmailPolicy) -> TrustedFacts:
    """What a draft for `ctx` may state in the CSM's voice."""
    staff = _staff(ctx)
    return TrustedFacts(
        names=sorted({ctx.vendor.name, ctx.customer.name, *(s.name for s in staff), *(s.title for s in staff if s.title),
                      *(c.name for c in ctx.contacts)}),
        emails=sorted({*(s.email for s in staff), *(c.email for c in ctx.contacts)}),
        phones=sorted({s.phone for s in staff if s.phone}),
        amounts=[],
        ids=[i for i in (ctx.escalation.id, ctx.escalation.ticket_id) if i],
        commitments=list(policy.allowed_commitments),
        recipient_names=sorted({c.name for c in ctx.contacts}),
    )


def directory_facts(conn: Conn, *, customer_id: str, policy: EmailPolicy) -> TrustedFacts:
    """What any response of `customer_id` may state: the whole staff directory and the customer's contacts."""
    staff = conn.execute("SELECT name, email, phone, title FROM staff").fetchall()
    contacts = conn.execute("SELECT name, email FROM contacts WHERE customer_id = %s", (customer_id,)).fetchall()
    names = conn.execute(
        "SELECT c.name AS customer, v.name AS vendor FROM customers c LEFT JOIN vendor v ON v.id = 1 WHERE c.id = %s",
        (customer_id,),
    ).fetchone()
    return TrustedFacts(
        names=sorted({*(s["name"] for s in staff), *(c["name"] for c in contacts),
                      *(v for v in (names or {}).values() if v)}),
        emails=sorted({*(s["email"] for s in staff), *(c["email"] for c in contacts)}),
        phones=sorted({s["phone"] for s in staff if s["phone"]}),
        amounts=[],
        commitments=list(policy.allowed_commitments),
        recipient_names=sorted({c["name"] for c in contacts}),
    )
