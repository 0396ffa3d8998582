"""The CLI starts without loading LangChain, LangGraph, the Google client or the web stack: only the
commands that need them (chat, demo, draft with a model, serve, Gmail sends) import them."""

from __future__ import annotations

import subprocess
import sys

_HEAVY = ("langchain", "langchain_core", "langchain_openai", "langgraph", "googleapiclient", "fastapi", "uvicorn")


def _loaded_after(statement: str) -> list[str]:
    probe = f"{statement}; import sys; print(' '.join(m for m in {_HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_importing_the_cli_loads_no_langchain() -> None:
    assert _loaded_after("import communicator_escalation.cli") == []


def test_the_package_is_lazy_until_a_name_is_used() -> None:
    assert _loaded_after("import communicator_escalation") == []
    assert _loaded_after("import communicator_escalation as c; c.reconcile; c.Store; c.load_world") == []
    assert "langchain" in _loaded_after("from communicator_escalation import CommunicatorAgent")


def test_dir_lists_the_public_names_before_first_use() -> None:
    probe = "import communicator_escalation as c; print(set(c.__all__) <= set(dir(c)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
