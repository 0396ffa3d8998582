"""Escalation response skill for a LangChain Communicator agent (PRD-029).

Every workflow step is a plain function over pydantic models and the store; the agent tools, the
HTTP routes and the CLI are thin shells over them.
"""

from __future__ import annotations

from .agent.host import CommunicatorAgent
from .agent.offline_model import OfflineChatModel
from .agent.skill import EscalationSkill
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
from .store.world import load_world
from .workflow.approval import approve_send, reject_send, submit_for_approval
from .workflow.ccs import suggest_ccs
from .workflow.context import gather_context
from .workflow.customers import resolve_customer
from .workflow.drafting import draft_email
from .workflow.policy import Policy, load_policy
from .workflow.reconcile import reconcile
from .workflow.responses import create_response
from .workflow.review import add_cc, change_recipient, edit_response, remove_cc
from .workflow.sending import send_response
from .workflow.strategy import pick_strategy

__all__ = [
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
    "create_response",
    "draft_email",
    "edit_response",
    "gather_context",
    "load_policy",
    "load_world",
    "make_mailer",
    "pick_strategy",
    "reconcile",
    "reject_send",
    "remove_cc",
    "resolve_customer",
    "send_response",
    "submit_for_approval",
    "suggest_ccs",
]
