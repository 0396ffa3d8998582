"""`escalation chat` through the real Typer app: scripted turns with -m, --as, and the interactive REPL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from communicator_escalation.cli import app
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world


def _chat(db_url: str, home: Path, *args: str, stdin: str | None = None) -> Result:
    env = {
        "ESCALATION_DATABASE_URL": db_url,
        "ESCALATION_HOME": str(home),
        "OPENAI_API_KEY": None,
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    return CliRunner().invoke(app, ["chat", *args], env=env, input=stdin)


@pytest.fixture
def demo_url(store: Store, db_url: str, demo_world_path: Path) -> str:
    load_world(store, demo_world_path)
    return db_url


def _emails(home: Path) -> int:
    return len(list((home / "outbox").glob("**/*.eml")))


def test_scripted_turns_continue_a_thread(demo_url: str, tmp_path: Path) -> None:
    first = _chat(demo_url, tmp_path, "-m", "Draft escalation response for DataFlow")
    assert first.exit_code == 0, first.output
    assert "CSM: Draft escalation response for DataFlow" in first.output
    assert "[Edit] [Add CCs] [Send Urgently]" in first.output
    thread = re.search(r"Thread: (\w+)", first.output)
    assert thread is not None and "Waiting for your review" not in first.output

    second = _chat(demo_url, tmp_path, "--thread", thread[1], "-m", "Add CCs", "-m", "Send Urgently", "-m", "yes")
    assert second.exit_code == 0, second.output
    review = second.output[second.output.index("Review before sending") :]
    assert "CC: Elena Ruiz <elena.ruiz@cobaltmetrics.com>" in review
    assert "CSM: yes" in second.output and "Response time logged:" in second.output
    assert _emails(tmp_path) == 1


def test_an_actor_without_access_gets_no_draft(demo_url: str, tmp_path: Path) -> None:
    result = _chat(demo_url, tmp_path, "--as", "u-kate", "-m", "Draft escalation response for DataFlow")
    assert result.exit_code == 0, result.output
    assert "Escalation Response Draft" not in result.output
    assert "no customer, contact or escalation id matches 'DataFlow'" in result.output  # as for a missing customer


def test_an_unknown_actor_is_reported(demo_url: str, tmp_path: Path) -> None:
    result = _chat(demo_url, tmp_path, "--as", "u-nobody", "-m", "Draft escalation response for DataFlow")
    assert "u-nobody" in result.output and "Escalation Response Draft" not in result.output


def test_interactive_repl_reviews_and_sends(demo_url: str, tmp_path: Path) -> None:
    stdin = "Draft escalation response for DataFlow\nSend Urgently\napprove\nexit\n"
    result = _chat(demo_url, tmp_path, stdin=stdin)
    assert result.exit_code == 0, result.output
    assert "Escalation Response Draft" in result.output
    assert "Subject: RE: " in result.output and "approve = send exactly this" in result.output
    assert "Response time logged:" in result.output
    assert _emails(tmp_path) == 1


def test_interactive_reject_sends_nothing(demo_url: str, tmp_path: Path) -> None:
    stdin = "Draft escalation response for DataFlow\nSend Urgently\nreject\nnot yet\nexit\n"
    result = _chat(demo_url, tmp_path, stdin=stdin)
    assert result.exit_code == 0, result.output
    assert "Response time logged:" not in result.output
    assert _emails(tmp_path) == 0
