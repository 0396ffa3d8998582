"""Browser tests: Playwright for Python driving Debian's chromium against `escalation serve` on a loopback port.

Playwright's own browser download is not used: the browser is the system's `chromium` (the Makefile
installs it with apt-get when it is missing), or the one ESCALATION_TEST_CHROMIUM names. Without a
browser these tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from communicator_escalation.store import Store
from tests.support.servers import child_env, free_port, running
from tests.support.web_ui import WebUI

ROOT = Path(__file__).resolve().parents[2]


def _chromium() -> str | None:
    named = os.environ.get("ESCALATION_TEST_CHROMIUM")
    return named or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium under Playwright, one per test module."""
    executable = _chromium()
    if executable is None:
        message = "no chromium: `make test` installs it (apt-get install chromium) or set ESCALATION_TEST_CHROMIUM"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[str]:
    """`escalation serve` on a free loopback port, on the test's database; yields its base URL."""
    port = free_port()
    env = child_env(db_url, tmp_path / "home", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-c", "from communicator_escalation.cli import main; main()",
               "serve", "--host", "127.0.0.1", "--port", str(port)]
    base_url = f"http://127.0.0.1:{port}"
    with running(command, env=env, cwd=tmp_path, ready_url=base_url + "/login"):
        yield base_url


@pytest.fixture
def web(demo_world: dict[str, Any], store: Store, served: str, browser: Browser, tmp_path: Path) -> Iterator[WebUI]:
    """The web UI on the demo world, with a way to sign people in (each in their own browser context)."""
    ui = WebUI(base_url=served, store=store, browser=browser, outbox=tmp_path / "home" / "outbox")
    try:
        yield ui
    finally:
        ui.close()
