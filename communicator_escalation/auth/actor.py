"""Who acts on a customer's data: every workflow entry point takes an `Actor`, and no default.

A door says who acts (the CLI's `--as` or the operator, the API's bearer token, the agent's turn, the
worker), and the workflow applies the one access rule of `access.py` to it. A staff member reaches only
the customers the rule gives them; without a staff member the request acts as each account's own CSM
(the operator at the CLI, a library caller, a background process), who reaches their account.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ACCOUNT_CSM", "FOLLOW_THROUGH", "WORKER", "Actor"]


class Actor(BaseModel):
    """Who acts: a staff member, or the account's CSM (optionally through a named background process)."""

    model_config = ConfigDict(frozen=True)

    staff_id: str | None = Field(
        default=None, description="The staff member acting; only customers they may reach exist for them."
    )
    process: str | None = Field(
        default=None, description="A background process acting for the account's CSM, named in the audit log."
    )

    @classmethod
    def of(cls, staff_id: str | None) -> Actor:
        """The staff member `staff_id`, or the account's CSM when None (the CLI without `--as`)."""
        return cls(staff_id=staff_id) if staff_id is not None else ACCOUNT_CSM

    @property
    def scoped(self) -> bool:
        """True when a staff member acts (the access rule narrows what exists)."""
        return self.staff_id is not None

    def audit_id(self, csm_id: str | None) -> str:
        """The name the audit log records: the staff id, the process, or the account's CSM."""
        return self.staff_id or self.process or csm_id or "system"


ACCOUNT_CSM = Actor()
"""The operator (or a library caller) acting as each account's CSM."""

WORKER = Actor(process="system:worker")
"""The pre-drafting worker: acts for the account's CSM, audited as `system:worker`."""

FOLLOW_THROUGH = Actor(process="system:follow-through")
"""The post-send hook (plan, clock, brief, outcome): acts for the account's CSM, audited as `system:follow-through`."""
