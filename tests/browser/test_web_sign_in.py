"""Signing in and out of the web UI in a browser, the cookie's protections, and CSRF refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from communicator_escalation.auth.actor import Actor
from communicator_escalation.workflow.delivery.tracking import list_responses
from tests.support.servers import child_env
from tests.support.web_ui import WebUI

ROOT = Path(__file__).resolve().parents[2]


def _dataflow_signal(world: dict[str, Any]) -> str:
    customer = next(c for c in world["customers"] if c["name"] == "DataFlow Inc.")
    return str(next(s for s in world["risk_signals"] if s["customer_id"] == customer["id"])["id"])


def test_access_token_sign_in_then_sign_out_ends_the_session(web: WebUI) -> None:
    page = web.new_page()
    page.goto(web.url("/"))
    expect(page).to_have_url(web.url("/login?next=%2F"))
    page.get_by_label("Access token").fill("esc_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    token = web.access_token("u-jordan")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Escalation inbox")).to_be_visible()
    expect(page.locator("header.top .who")).to_contain_text("Jordan Patel")

    (cookie,) = [c for c in page.context.cookies() if c["name"] == "esc_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "esc_session" not in page.evaluate("document.cookie")
    assert token not in page.content() and cookie["value"] not in page.content()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(web.url("/responses"))
    expect(page).to_have_url(web.url("/login?next=%2Fresponses"))

    replay = web.new_page()
    replay.context.add_cookies([{"name": "esc_session", "value": cookie["value"], "url": web.base_url}])
    replay.goto(web.url("/"))
    expect(replay.get_by_role("heading", name="Sign in")).to_be_visible()


def test_web_login_link_signs_in_once(web: WebUI, db_url: str, tmp_path: Path) -> None:
    printed = subprocess.run(
        [sys.executable, "-c", "from communicator_escalation.cli import main; main()",
         "web-login", "--staff", "u-elena", "--url", web.base_url],
        env=child_env(db_url, tmp_path / "cli-home", PYTHONPATH=str(ROOT)),
        capture_output=True, text=True, timeout=120, check=True,
    )
    link = printed.stdout.strip().splitlines()[-1]
    assert link.startswith(web.url("/login/link?code="))

    page = web.new_page()
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header.top .who")).to_contain_text("Elena Ruiz")

    again = web.new_page()
    again.goto(link)
    again.get_by_role("button", name="Sign in").click()
    expect(again.locator(".error-page")).to_contain_text("not valid")
    expect(again.get_by_role("link", name="Inbox")).to_have_count(0)


def _said(page: Page, words: str) -> int:
    return page.locator(".msg.from-csm", has_text=words).count()


def test_state_changes_without_the_csrf_token_are_refused(web: WebUI, demo_world: dict[str, Any]) -> None:
    signal_id = _dataflow_signal(demo_world)
    page = web.sign_in("u-jordan")
    page.goto(web.url(f"/escalations/{signal_id}"))
    expect(page.get_by_label("Message")).to_be_visible()

    page.locator("form.say input[name=csrf_token]").evaluate("input => input.remove()")
    page.get_by_label("Message").fill("Draft escalation response for DataFlow")
    page.get_by_role("button", name="Send message").click()
    expect(page.locator(".error-page")).to_contain_text("did not come from this site")

    status = page.evaluate(
        """url => fetch(url, {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded",
                                                      "X-CSRF-Token": "forged"},
                            body: "message=Send+Urgently"}).then(r => r.status)""",
        web.url(f"/escalations/{signal_id}/messages"),
    )
    assert status == 403

    attacker = "http://attacker.invalid/"
    form = (f'<form method="post" action="{web.url(f"/escalations/{signal_id}/respond")}">'
            '<button id="go">win a prize</button></form>')
    page.route(attacker, lambda route: route.fulfill(status=200, content_type="text/html", body=form))
    page.goto(attacker)
    page.locator("#go").click()
    page.wait_for_load_state()
    assert page.url.startswith(web.base_url)
    expect(page.get_by_role("heading", name="Escalation Response Draft")).to_have_count(0)

    page.goto(web.url(f"/escalations/{signal_id}"))
    assert _said(page, "Draft escalation response") == 0
    expect(page.get_by_role("button", name="Escalation Response")).to_be_visible()
    assert list_responses(web.store, actor=Actor(staff_id="u-jordan")) == []
    assert web.csp_reports() == []
