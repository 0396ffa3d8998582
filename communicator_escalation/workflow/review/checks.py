"""Review notes of a response as it stands now, or as it would read with another subject and body.

A draft's notes were written when it was drafted; the send gate's notes depend on the wording and
change with every edit. `review_notes_now` keeps the draft's other notes and recomputes the gate's on
the current content, or on a proposed subject and body (nothing is saved): the review a CSM sees while
typing is the one the send will apply.
"""

from __future__ import annotations

from ...auth.access import require_response_reach
from ...auth.actor import Actor
from ...models import Draft, ReviewNote
from ...store import Store
from ...store.responses import load_response
from ..drafting.gate import final_notes, refreshed_notes
from ..policy import Policy

__all__ = ["review_notes_now"]


def review_notes_now(store: Store, *, actor: Actor, response_id: str, policy: Policy, subject: str | None = None,
                     body: str | None = None) -> list[ReviewNote]:
    """The response's review notes, blocking ones first: the draft's, with the gate's recomputed.

    Args:
        store: The database.
        actor: Who looks; a staff member must reach the response's customer.
        response_id: The response.
        policy: The email policy the gate reads (allowed commitments, promise hours).
        subject: A proposed subject to check instead of the stored one.
        body: A proposed body to check instead of the stored one.

    Raises:
        NotFound: No such response, or one the actor may not reach.
    """
    with store.connection() as conn:
        require_response_reach(conn, actor=actor, response_id=response_id)
        row = load_response(conn, response_id)
        drafted = Draft.model_validate(row["draft"]).review_notes
        gate = final_notes(conn, row, policy=policy.email, subject=subject, body=body)
    return refreshed_notes(drafted, gate)
