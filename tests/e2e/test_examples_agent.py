"""The agent examples run as a new user runs them: a subprocess on a loaded database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(script: str, db_url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL"} and not key.startswith("ESCALATION_")
    }
    env.update({"ESCALATION_DATABASE_URL": db_url, "ESCALATION_HOME": str(home)})
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture
def demo_db(store: Store, db_url: str, demo_world_path: Path) -> str:
    load_world(store, demo_world_path)
    return db_url


def test_own_agent_drafts_then_sends_after_review(demo_db: str, store: Store, tmp_path: Path) -> None:
    result = _run("own_agent.py", demo_db, tmp_path, "--customer", "DataFlow", "--send")
    assert result.returncode == 0, result.stderr
    assert "Escalation Response Draft" in result.stdout
    assert "--- review ---" in result.stdout and "To: Michael Torres" in result.stdout
    assert "Response time logged:" in result.stdout
    assert len(list((tmp_path / "outbox").glob("**/*.eml"))) == 1
    with store.connection() as conn:
        assert conn.execute("SELECT status FROM escalation_responses").fetchone()["status"] == "sent"


def test_second_skill_is_registered_beside_the_escalation_skill(demo_db: str, tmp_path: Path) -> None:
    result = _run("second_skill.py", demo_db, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "skills: escalation, follow_ups" in result.stdout
    assert "schedule_follow_up" in result.stdout and "send_escalation_response" in result.stdout
    assert "Escalation Response Draft" in result.stdout
    assert "thread: " in result.stdout


def test_mcp_agent_drafts_through_the_mcp_tools_and_only_requests_the_send(
    demo_db: str, store: Store, tmp_path: Path
) -> None:
    result = _run("mcp_agent.py", demo_db, tmp_path, "--customer", "DataFlow", "--send")
    assert result.returncode == 0, result.stderr
    assert "send_escalation_response" in result.stdout.splitlines()[0]
    assert "Escalation Response Draft" in result.stdout
    with store.connection() as conn:
        row = conn.execute("SELECT id, status FROM escalation_responses").fetchone()
    assert row["status"] == "approved" and f"escalation send {row['id']}" in result.stdout
    assert list((tmp_path / "outbox").glob("**/*.eml")) == []
