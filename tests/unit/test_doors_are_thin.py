"""The doors (CLI, API, the agent's tools, MCP, the LangGraph server, the worker) call the workflow's one entry per use case and
do no access checks or SQL of their own: the workflow applies the access rule to the actor it is given."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "communicator_escalation"
DOORS = sorted(
    [*PACKAGE.glob("cli/**/*.py"), *PACKAGE.glob("api/**/*.py"), *PACKAGE.glob("mcp_server/*.py"),
     *PACKAGE.glob("langgraph_server/*.py"), PACKAGE / "agent" / "tools" / "handlers.py", PACKAGE / "agent" / "skill.py",
     PACKAGE / "worker.py"]
)
# Building blocks a door must not call directly: each has one entry the doors share.
NOT_FOR_DOORS = {
    "auth.access": "the access rule is applied by the workflow",
    "compose_and_save": "draft through open_or_create_draft (lock, reuse)",
    "send_response": "send through send_with_approval",
    "approve_send": "decide through decide_approval (approve then send)",
    "submit_for_approval": "ask through request_approval_only (a door without a review card)",
    "reject_send": "decide through decide_approval",
    "list_approvals": "list through approvals_for (scoped to the actor)",
    "approval_status": "read through approval_status_for (scoped to the actor)",
    "edit_response": "edit through revise_response (To then text, one transaction)",
    "change_recipient": "edit through revise_response (To then text, one transaction)",
}


def _imported_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.add((node.module or "").lstrip("."))
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("door", DOORS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_door_calls_shared_entries_only(door: Path) -> None:
    imported = _imported_names(ast.parse(door.read_text(encoding="utf-8")))
    for name, why in NOT_FOR_DOORS.items():
        assert not any(item == name or item.endswith("." + name) for item in imported), f"{name}: {why}"


@pytest.mark.parametrize("door", DOORS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_door_runs_no_sql(door: Path) -> None:
    source = door.read_text(encoding="utf-8")
    assert ".connection()" not in source and ".transaction()" not in source
    statements = [node for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "execute"]
    listens = [node for node in statements if "LISTEN" in ast.unparse(node)]
    assert statements == listens  # the worker's LISTEN is its only statement
