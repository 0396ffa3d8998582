"""Escalation response skill for a LangChain Communicator agent (PRD-029).

Every workflow step is a plain function over pydantic models and the store; the agent tools, the
HTTP routes and the CLI are thin shells over them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .agent.host import CommunicatorAgent
    from .agent.offline.model import OfflineChatModel
    from .agent.skill import EscalationSkill
    from .auth.actor import ACCOUNT_CSM, Actor
    from .config import Settings
    from .errors import (
        AmbiguousCustomer,
        CustomerNotFound,
        EscalationError,
        NoOpenEscalation,
        NotFound,
        Refused,
        WorldFileError,
    )
    from .mail.factory import make_mailer
    from .models import CcSuggestion, Draft, EscalationContext, Strategy
    from .store import Store
    from .store.world.loader import load_world
    from .workflow.context.customers import resolve_customer
    from .workflow.context.gather import gather_context
    from .workflow.delivery.approval import approve_send, reject_send, submit_for_approval
    from .workflow.delivery.reconcile import reconcile
    from .workflow.delivery.sending import send_response
    from .workflow.drafting.compose import draft_email
    from .workflow.drafting.open import open_or_create_draft
    from .workflow.policy import Policy, load_policy
    from .workflow.review.edits import add_cc, change_recipient, edit_response, remove_cc
    from .workflow.strategy.ccs import suggest_ccs
    from .workflow.strategy.pick import pick_strategy

# Public name -> the module that defines it. Imported on first use (PEP 562), so `import
# communicator_escalation` (and the CLI) does not load LangChain until the agent is asked for.
_MODULES = {
    "CommunicatorAgent": ".agent.host",
    "OfflineChatModel": ".agent.offline.model",
    "EscalationSkill": ".agent.skill",
    "ACCOUNT_CSM": ".auth.actor",
    "Actor": ".auth.actor",
    "Settings": ".config",
    "AmbiguousCustomer": ".errors",
    "CustomerNotFound": ".errors",
    "EscalationError": ".errors",
    "NoOpenEscalation": ".errors",
    "NotFound": ".errors",
    "Refused": ".errors",
    "WorldFileError": ".errors",
    "make_mailer": ".mail.factory",
    "CcSuggestion": ".models",
    "Draft": ".models",
    "EscalationContext": ".models",
    "Strategy": ".models",
    "Store": ".store",
    "load_world": ".store.world.loader",
    "approve_send": ".workflow.delivery.approval",
    "reject_send": ".workflow.delivery.approval",
    "submit_for_approval": ".workflow.delivery.approval",
    "suggest_ccs": ".workflow.strategy.ccs",
    "gather_context": ".workflow.context.gather",
    "resolve_customer": ".workflow.context.customers",
    "draft_email": ".workflow.drafting.compose",
    "Policy": ".workflow.policy",
    "load_policy": ".workflow.policy",
    "reconcile": ".workflow.delivery.reconcile",
    "open_or_create_draft": ".workflow.drafting.open",
    "add_cc": ".workflow.review.edits",
    "change_recipient": ".workflow.review.edits",
    "edit_response": ".workflow.review.edits",
    "remove_cc": ".workflow.review.edits",
    "send_response": ".workflow.delivery.sending",
    "pick_strategy": ".workflow.strategy.pick",
}

__all__ = [
    "ACCOUNT_CSM",
    "Actor",
    "AmbiguousCustomer",
    "CcSuggestion",
    "CommunicatorAgent",
    "CustomerNotFound",
    "Draft",
    "EscalationContext",
    "EscalationError",
    "EscalationSkill",
    "NoOpenEscalation",
    "NotFound",
    "OfflineChatModel",
    "Policy",
    "Refused",
    "Settings",
    "Store",
    "Strategy",
    "WorldFileError",
    "add_cc",
    "approve_send",
    "change_recipient",
    "draft_email",
    "edit_response",
    "gather_context",
    "load_policy",
    "load_world",
    "make_mailer",
    "open_or_create_draft",
    "pick_strategy",
    "reconcile",
    "reject_send",
    "remove_cc",
    "resolve_customer",
    "send_response",
    "submit_for_approval",
    "suggest_ccs",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first access (PEP 562)."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's attributes, public names included before their first use."""
    return sorted(set(globals()) | set(__all__))
