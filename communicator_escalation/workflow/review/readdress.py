"""A recipient switch re-drafts for the new person: the greeting and the attribution of quotes follow To.

An untouched draft is drafted again for the new contact (their greeting, their own words quoted as
theirs, "not the first time" only if they escalated before). A body the CSM edited by hand keeps its
text: the greeting line is re-addressed, quote attributions are fixed, and an advisory note asks the
CSM to check the rest.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import ValidationError

from ...models import Contact, Draft, EscalationContext
from ...store.responses import Row
from ..drafting.compose import draft_email
from ..drafting.notes import draft_note
from ..drafting.summary import first_name
from ..policy import Policy
from ..strategy.ccs import suggest_ccs
from ..strategy.pick import pick_strategy

__all__ = ["readdressed"]

_GREETING = re.compile(r"^(?P<word>Dear|Hi|Hello|Hey|Good (?:morning|afternoon|evening))\b[^\n,]*,[ \t]*$",
                       re.IGNORECASE | re.MULTILINE)


def _regreet(body: str, *, old: str | None, new: Contact) -> str:
    """`body` with its greeting addressed to `new` and quotes of `old`/`new` attributed to the right person."""
    given = first_name(new.name)
    found = _GREETING.search(body)
    greeting = f"{found.group('word') if found else 'Dear'} {given}," if given else "Hello,"
    body = _GREETING.sub(greeting, body, count=1) if found else f"{greeting}\n\n{body}"
    old_given = first_name(old) if old else None
    if old_given:
        body = re.sub(r"^As you (wrote|reported)", rf"As {old_given} \1", body, flags=re.MULTILINE)
    if given:
        body = re.sub(rf"^As {re.escape(given)} (wrote|reported)", r"As you \1", body, flags=re.MULTILINE)
    return body


def readdressed(row: Row, *, ctx: EscalationContext, contact: dict[str, str], old_name: str | None, policy: Policy,
                now: datetime) -> tuple[str, Draft | None]:
    """The body, and the draft JSON when the row has a full one, of `row` addressed to `contact` instead.

    `ctx` is the context of the row's escalation, gathered before the edit's transaction.
    """
    new = Contact(id=contact["id"], customer_id=contact["customer_id"], name=contact["name"], email=contact["email"],
                  title=contact.get("title"))
    try:
        stored = Draft.model_validate(row["draft"])
    except ValidationError:  # a row written without a full draft (imported or hand-made): re-greet only
        return _regreet(row["body"], old=old_name, new=new), None
    if row["body"] != stored.email.body:
        body = _regreet(row["body"], old=old_name, new=new)
        note = draft_note("recipient_changed_after_edit", person=new.name)
        email = stored.email.model_copy(update={"body": body})
        return body, stored.model_copy(update={"email": email, "review_notes": [*stored.review_notes, note]})
    strategy = pick_strategy(ctx, policy, now=now)
    fresh = draft_email(ctx, strategy, suggest_ccs(ctx, strategy, policy=policy), policy=policy, now=now,
                        recipient=next((c for c in ctx.contacts if c.id == new.id), new))
    email = stored.email.model_copy(update={"body": fresh.email.body, "to": [new.email]})
    return fresh.email.body, fresh.model_copy(update={"response_id": row["id"], "email": email})
