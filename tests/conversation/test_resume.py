"""A conversation stopped at the review step in one process is resumed by thread id from another.

Each step is a separate `escalation chat` process on the same database: the checkpoint in
PostgreSQL is the only thing that carries the conversation across, and the send happens once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world


def _chat(db_url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL"} and not key.startswith("ESCALATION_")
    }
    env.update({"ESCALATION_DATABASE_URL": db_url, "ESCALATION_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"})
    return subprocess.run(
        [str(Path(sys.executable).with_name("escalation")), "chat", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _emails(home: Path) -> list[Path]:
    return sorted((home / "outbox").glob("**/*.eml"))


def test_review_survives_the_process_and_is_sent_once_from_a_new_one(
    store: Store, db_url: str, demo_world_path: Path, tmp_path: Path
) -> None:
    load_world(store, demo_world_path)
    first = _chat(db_url, tmp_path, "-m", "Draft escalation response for DataFlow", "-m", "Send Urgently")
    assert first.returncode == 0, first.stderr
    assert "Review before sending" in first.stdout and "To: Michael Torres" in first.stdout
    thread = re.search(r"Thread: (\w+)", first.stdout)
    assert thread is not None, first.stdout
    assert "--thread" in first.stdout
    assert _emails(tmp_path) == []
    with store.connection() as conn:
        status = conn.execute("SELECT status FROM escalation_responses").fetchone()["status"]
    assert status == "drafted"

    second = _chat(db_url, tmp_path, "--thread", thread.group(1), "-m", "approve")
    assert second.returncode == 0, second.stderr
    assert "Response time logged:" in second.stdout
    assert len(_emails(tmp_path)) == 1

    third = _chat(db_url, tmp_path, "--thread", thread.group(1), "-m", "approve")
    assert third.returncode == 0, third.stderr
    assert "Response time logged:" not in third.stdout
    assert len(_emails(tmp_path)) == 1
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT r.status, s.response_email_id FROM escalation_responses r"
            " JOIN risk_signals s ON s.id = r.risk_signal_id"
        ).fetchall()
    assert [r["status"] for r in rows] == ["sent"] and rows[0]["response_email_id"]
