"""The options and arguments several commands share, each defined once (Typer `Annotated` aliases).

A command that takes one of these uses the alias, so the flag, its type and its help read the same
everywhere; an option whose meaning differs per command (`--all`, `--staff`, `--reason`) stays with
its command.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["ApprovalIdArg", "AsJson", "AsStaff", "LookAs", "OnlyCustomer", "ResponseIdArg"]

AsStaff = Annotated[
    str | None,
    typer.Option("--as", help="Act as this staff id, among the customers they may reach (default: the account's CSM)."),
]
"""`--as` of a command that changes data: who acts."""

LookAs = Annotated[
    str | None, typer.Option("--as", help="Look as this staff id: only customers they may reach (default: all).")
]
"""`--as` of a command that reads: whose view."""

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON; an error as its JSON body on stderr.")]
"""`--json`: machine-readable output instead of the human view."""

OnlyCustomer = Annotated[str | None, typer.Option("--customer", help="Only this customer (name or id).")]
"""`--customer` of a listing: one customer's rows."""

ResponseIdArg = Annotated[str, typer.Argument(help="Response id.")]
"""The escalation response a command acts on."""

ApprovalIdArg = Annotated[str, typer.Argument(help="Approval id.")]
"""The approval request a command decides."""
