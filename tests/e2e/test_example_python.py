"""examples/draft_from_python.py runs as a new user runs it, on a world that is not the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from communicator_escalation.store import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_draft_from_python_loads_its_world_and_stores_a_grounded_draft(db_url: str, store: Store, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ESCALATION_", "OPENAI_")) and k != "DATABASE_URL"}
    env.update({"ESCALATION_DATABASE_URL": db_url, "ESCALATION_HOME": str(tmp_path)})
    result = subprocess.run([sys.executable, str(EXAMPLES / "draft_from_python.py")], env=env,
                            capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr

    world = json.loads((EXAMPLES / "worlds" / "helvetia-world.json").read_text(encoding="utf-8"))
    reporter = world["contacts"][0]
    csm = next(s for s in world["staff"] if s["role"] == "csm")
    original = world["communications"][0]
    assert f"Dear {reporter['name'].split()[0]}," in result.stdout
    assert f"Subject: RE: {original['subject']}" in result.stdout
    assert csm["name"] in result.stdout and csm["phone"] in result.stdout
    assert "suggested CC: Billing Specialist" in result.stdout
    with store.connection() as conn:
        row = conn.execute("SELECT status, to_addrs, in_reply_to, risk_signal_id FROM escalation_responses").fetchone()
    assert row == {"status": "drafted", "to_addrs": [reporter["email"]], "in_reply_to": original["message_id"],
                   "risk_signal_id": world["risk_signals"][0]["id"]}
