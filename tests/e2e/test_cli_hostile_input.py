"""Hostile input at the CLI's door: arguments that are not UTF-8, terminal escape sequences and invisible
characters in customer data, and subjects the send path would refuse."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from communicator_escalation.cli import app
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from tests.support.api_worlds import api_world

ESCALATION = Path(sys.executable).parent / "escalation"
# What customers wrote: an OSC window title and a hyperlink, a screen clear, C1 CSI, bidi and
# zero-width characters, and Rich markup.
TITLE = "Export \x1b]0;owned\x07timeouts \x1b[2J\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ \x9b31m"
SUBJECT = "Route \u202eplanner\u202c exports\u200b time out [bold red]now[/]"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\u200b")


@pytest.fixture
def run(store: Store, db_url: str, tmp_path: Path) -> Callable[..., Result]:
    world: dict[str, Any] = api_world()
    load_world(store, world)
    # The world loader refuses control characters in these fields; data can still arrive by other
    # ways (a synced mailbox, another writer of the database), so the terminal must not trust it.
    with store.transaction() as conn:
        conn.execute("UPDATE risk_signals SET title = %s WHERE id = %s", (TITLE, world["risk_signals"][0]["id"]))
        conn.execute("UPDATE tickets SET subject = %s WHERE id = %s", (SUBJECT, world["tickets"][0]["id"]))
    env = {"ESCALATION_DATABASE_URL": db_url, "ESCALATION_HOME": str(tmp_path), "COLUMNS": "200",
           "ESCALATION_MAIL_TRANSPORT": "outbox", "OPENAI_API_KEY": None}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=env)

    return invoke


def _clean(text: str) -> None:
    for char in RAW:
        assert char not in text, (char, text)


def test_an_argument_that_is_not_utf8_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    for args in ([b"context", b"rs\xff"], [b"edit", b"resp-1", b"--subject", b"caf\xe9"], [b"cc", b"r", b"add", b"\xc3"]):
        done = subprocess.run([str(ESCALATION), *args], capture_output=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin", "ESCALATION_HOME": str(tmp_path), "LC_ALL": "C.UTF-8"})
        assert done.returncode == 2, done
        assert b"Traceback" not in done.stderr and done.stdout == b""
        [line] = done.stderr.decode("utf-8").splitlines()
        assert line.startswith("error: argument ") and "is not valid UTF-8" in line
        assert "\\x" in line  # the bad byte is named, not written raw


def test_an_undecodable_argument_is_refused_through_the_app_too(run: Callable[..., Result]) -> None:
    refused = run("context", "--customer", "Horizonte\udcff")  # how Python hands over the byte 0xff
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr == "error: argument 3 (Horizonte\\xff) is not valid UTF-8 text\n"


def test_escape_sequences_and_invisibles_from_data_never_reach_the_terminal(run: Callable[..., Result]) -> None:
    shown = run("context", "sig-h1")
    assert shown.exit_code == 0, shown.output
    _clean(shown.output)
    assert "\\u001b]0;owned" in shown.output and "\\u001b[2J" in shown.output
    assert "\\u202eplanner\\u202c" in shown.output
    assert "[bold red]now[/]" in shown.output  # markup in data is text, not styling

    as_json = run("context", "sig-h1", "--json")
    assert as_json.exit_code == 0, as_json.output
    _clean(as_json.stdout)
    context = json.loads(as_json.stdout)  # the escapes are JSON escapes: the data reads back unchanged
    assert context["escalation"]["title"] == TITLE
    assert context["ticket"]["subject"] == SUBJECT

    drafted = run("draft", "Horizonte")
    assert drafted.exit_code == 0, drafted.output
    _clean(drafted.output)
    listed = run("responses")
    assert listed.exit_code == 0, listed.output
    _clean(listed.output)


def test_data_echoed_in_an_error_is_escaped(run: Callable[..., Result]) -> None:
    missing = run("context", "--customer", "\x1b]0;owned\x07Evil\u202e")
    assert missing.exit_code == 1
    _clean(missing.output)
    assert "\\u001b]0;owned\\u0007Evil\\u202e" in missing.output
    as_json = run("context", "--customer", "\x1b[2JEvil", "--json")
    _clean(as_json.output)
    assert json.loads(as_json.stderr)["error"]["code"] == "customer_not_found"


@pytest.mark.parametrize("subject", ["a\u2028Bcc: x@evil.example", "a\x0bb", "a\x0cb",
                                     "=?utf-8?q?a=0D=0ABcc:_x@evil.example?="])
def test_edit_refuses_a_subject_that_send_would_refuse(run: Callable[..., Result], store: Store, subject: str) -> None:
    response_id = json.loads(run("draft", "Horizonte", "--json").stdout)["response_id"]
    refused = run("edit", response_id, "--subject", subject, "--json")
    assert refused.exit_code == 1
    assert json.loads(refused.stderr)["error"]["code"] == "invalid_request"
    with store.connection() as conn:
        row = conn.execute("SELECT subject FROM escalation_responses WHERE id = %s", (response_id,)).fetchone()
    assert row["subject"] != subject


def test_bidi_and_zero_width_characters_are_not_sent_in_the_subject(run: Callable[..., Result], tmp_path: Path) -> None:
    response_id = json.loads(run("draft", "Horizonte", "--json").stdout)["response_id"]
    edited = run("edit", response_id, "--subject", "Export \u202edelay\u202c update\u200b")
    assert edited.exit_code == 0, edited.output
    sent = run("send", response_id, "--urgent")
    assert sent.exit_code == 0, sent.output
    [eml] = (tmp_path / "outbox").rglob("*.eml")
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert message["Subject"] == "Export delay update"
