"""The draft card's own buttons: Add CCs (the ticked suggestions), Edit (subject and body in place), and
the review notes recomputed while the CSM types. Each calls the workflow entry the API calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...api.deps import PolicyDep, StoreDep
from ...api.strict import ResponseId
from ...auth.actor import Actor
from ...errors import InvalidRequest
from ...workflow.review.checks import review_notes_now
from ...workflow.review.edits import ResponseView, add_cc, revise_response
from ..forms import CcForm, EditForm, NotesCheck
from ..session import SignedInDep, page, web_router

router = web_router()


def _to_card(view: ResponseView) -> RedirectResponse:
    return RedirectResponse(f"/escalations/{view.risk_signal_id}#response", status_code=303)


@router.post("/responses/{response_id}/ccs")
def add_ccs(response_id: ResponseId, me: SignedInDep, store: StoreDep,
            form: Annotated[CcForm, Form()]) -> RedirectResponse:
    """Add the ticked suggested CCs, in order; the first refusal stops and is shown."""
    if not form.staff_id:
        raise InvalidRequest("web.no_cc_ticked")
    actor = Actor(staff_id=me.staff.id)
    views = [add_cc(store, response_id=response_id, who=staff_id, actor=actor) for staff_id in form.staff_id]
    return _to_card(views[-1])


@router.post("/responses/{response_id}/edit")
def edit(response_id: ResponseId, me: SignedInDep, store: StoreDep, policy: PolicyDep,
         form: Annotated[EditForm, Form()]) -> RedirectResponse:
    """Save the subject and body as edited (an approval given before is void)."""
    view = revise_response(store, response_id=response_id, actor=Actor(staff_id=me.staff.id), to=None,
                           subject=form.subject, body=form.body, replace=None, policy=policy)
    return _to_card(view)


@router.post("/responses/{response_id}/notes", response_class=HTMLResponse)
def check_notes(response_id: ResponseId, request: Request, me: SignedInDep, store: StoreDep, policy: PolicyDep,
                typed: NotesCheck) -> HTMLResponse:
    """The review notes the content as typed would have (nothing is saved): an HTML fragment."""
    notes = review_notes_now(store, actor=Actor(staff_id=me.staff.id), response_id=response_id, policy=policy,
                             subject=typed.subject, body=typed.body)
    return page(request, "_notes.html.j2", me=me.staff, notes=notes)
