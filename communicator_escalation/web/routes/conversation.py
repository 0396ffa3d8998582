"""The conversation about one escalation: the quick action, the chat turns, the review decision.

The agent is the one `POST /api/chat` talks to, on the signed-in person's thread for the escalation
(`staff_thread(staff, signal_id)`: the API reaches the same conversation with `thread_id` = the signal
id). The buttons of the draft card say what a CSM would type ("Send Urgently"), so a click and the
typed words are the same turn. Each route answers with a redirect to the conversation page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...agent.host import ReviewDecision
from ...agent.tools.results import ContextResult
from ...api.agent_dep import AgentDep, staff_thread
from ...api.deps import PolicyDep, StoreDep
from ...api.strict import SignalId
from ...auth.actor import Actor
from ...rendering import render
from ...workflow.context.gather import gather_context
from ..conversation import conversation_view, working_response_id
from ..forms import CsrfForm, DecisionForm, MessageForm
from ..session import SignedInDep, page, web_router

router = web_router()


def _back(signal_id: str, anchor: str = "latest") -> RedirectResponse:
    return RedirectResponse(f"/escalations/{signal_id}#{anchor}", status_code=303)


@router.get("/escalations/{signal_id}", response_class=HTMLResponse)
def conversation(signal_id: SignalId, request: Request, me: SignedInDep, store: StoreDep, policy: PolicyDep,
                 agent: AgentDep, edit: bool = False) -> HTMLResponse:
    """The escalation's context card, the conversation so far, and the response it works on."""
    actor = Actor(staff_id=me.staff.id)
    context = ContextResult.from_context(gather_context(store, actor=actor, signal_id=signal_id))
    thread = staff_thread(me.staff.id, signal_id)
    view = conversation_view(store, actor=actor, policy=policy, messages=agent.history(thread),
                             pending=agent.pending_review(thread))
    return page(request, "conversation.html.j2", me=me.staff, context=context, conversation=view, editing=edit)


@router.post("/escalations/{signal_id}/respond")
def quick_action(signal_id: SignalId, me: SignedInDep, store: StoreDep, agent: AgentDep,
                 form: Annotated[CsrfForm, Form()]) -> RedirectResponse:
    """Escalation Response: ask the agent for the escalation's draft (the pre-draft when there is one).

    A conversation that already works on a response, or waits for a review, opens as it is (asking
    again would repeat the draft turn, or set the review aside).
    """
    context = gather_context(store, actor=Actor(staff_id=me.staff.id), signal_id=signal_id)
    thread = staff_thread(me.staff.id, signal_id)
    if not agent.pending_review(thread) and working_response_id(agent.history(thread)) is None:
        message = render("web/quick_action.j2", customer=context.customer.name, signal_id=signal_id).strip()
        agent.run_turn(thread, message=message, actor=me.staff.id)
    return _back(signal_id, "response")


@router.post("/escalations/{signal_id}/messages")
def say(signal_id: SignalId, me: SignedInDep, store: StoreDep, agent: AgentDep,
        form: Annotated[MessageForm, Form()]) -> RedirectResponse:
    """One chat turn: what the CSM typed, or the words of the button they clicked."""
    gather_context(store, actor=Actor(staff_id=me.staff.id), signal_id=signal_id)
    agent.run_turn(staff_thread(me.staff.id, signal_id), message=form.message, actor=me.staff.id)
    return _back(signal_id)


@router.post("/escalations/{signal_id}/decision")
def decide(signal_id: SignalId, me: SignedInDep, store: StoreDep, agent: AgentDep,
           form: Annotated[DecisionForm, Form()]) -> RedirectResponse:
    """Approve (send exactly what the review card showed) or reject the send waiting for review."""
    gather_context(store, actor=Actor(staff_id=me.staff.id), signal_id=signal_id)
    decision = ReviewDecision(type=form.decision, message=form.reason.strip() or None)
    agent.run_turn(staff_thread(me.staff.id, signal_id), decision=decision, actor=me.staff.id)
    return _back(signal_id)
