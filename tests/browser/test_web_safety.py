"""Safety in the browser: another CSM's customer is invisible (the row and the URL), hostile text renders as text, strict CSP."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from tests.support.web_ui import WebUI

SCRIPT_TITLE = "<script>window.pwned = 'title'</script> escalated"
IMG_SUBJECT = '<img src="x" onerror="window.pwned = \'subject\'"> sync failures'


def _owned_by(world: dict[str, Any], csm: str) -> list[dict[str, Any]]:
    return [c for c in world["customers"] if c["csm_id"] == csm]


def test_another_csm_sees_neither_the_row_nor_the_url(web: WebUI, demo_world: dict[str, Any]) -> None:
    jordans = {c["id"] for c in _owned_by(demo_world, "u-jordan")}
    signal = next(s for s in demo_world["risk_signals"]
                  if s["customer_id"] in jordans and s["signal_type"] == "ticket_escalated")
    jordan = web.sign_in("u-jordan")
    jordan.locator(f"tr.escalation[data-signal='{signal['id']}']").get_by_role("button", name="Escalation Response").click()
    response_id = jordan.locator("section.card.draft").get_attribute("data-response")
    assert response_id

    kate = web.sign_in("u-kate")
    expect(kate.locator("tr.escalation").first).to_be_visible()
    expect(kate.locator(f"tr.escalation[data-signal='{signal['id']}']")).to_have_count(0)
    shown = kate.locator("tr.escalation .customer").all_inner_texts()
    reachable = {c["name"] for c in _owned_by(demo_world, "u-kate")}
    assert shown and set(shown) <= reachable

    answer = kate.goto(web.url(f"/escalations/{signal['id']}"))
    assert answer is not None and answer.status == 404
    expect(kate.get_by_role("heading", name="Not found")).to_be_visible()
    assert signal["title"] not in kate.content()

    token = kate.locator('meta[name="csrf-token"]').get_attribute("content")
    statuses = kate.evaluate(
        """([posts, token]) => Promise.all(posts.map(([url, fields]) => fetch(url, {method: "POST",
             headers: {"Content-Type": "application/x-www-form-urlencoded"},
             body: new URLSearchParams({csrf_token: token, ...fields}).toString()}).then(r => r.status)))""",
        [[[web.url(f"/escalations/{signal['id']}/respond"), {}],
          [web.url(f"/responses/{response_id}/edit"), {"subject": "x", "body": "y"}]], token],
    )
    assert statuses == [404, 404]
    kate.goto(web.url("/responses"))
    expect(kate.locator(f"tr[data-response='{response_id}']")).to_have_count(0)


@pytest.fixture
def hostile_world(store: Store, demo_world_path: Path, tmp_path: Path) -> dict[str, Any]:
    """The demo world with markup in DataFlow's escalation title and ticket subject."""
    world: dict[str, Any] = copy.deepcopy(json.loads(demo_world_path.read_text()))
    customer = next(c for c in world["customers"] if c["name"] == "DataFlow Inc.")
    signal = next(s for s in world["risk_signals"] if s["customer_id"] == customer["id"]
                  and s["signal_type"] == "ticket_escalated")
    signal["title"] = SCRIPT_TITLE
    ticket = next(t for t in world["tickets"] if t["customer_id"] == customer["id"])
    ticket["subject"] = IMG_SUBJECT
    path = tmp_path / "hostile-world.json"
    path.write_text(json.dumps(world), encoding="utf-8")
    load_world(store, path)
    return world


@pytest.fixture
def hostile_web(hostile_world: dict[str, Any], store: Store, served: str, browser: Browser,
                tmp_path: Path) -> Iterator[WebUI]:
    ui = WebUI(base_url=served, store=store, browser=browser, outbox=tmp_path / "home" / "outbox")
    try:
        yield ui
    finally:
        ui.close()


def test_markup_in_customer_data_renders_as_text(hostile_web: WebUI) -> None:
    web = hostile_web
    page = web.sign_in("u-jordan")
    row = page.locator("tr.escalation", has_text="DataFlow Inc.")
    expect(row.locator(".title")).to_have_text(SCRIPT_TITLE)
    row.get_by_role("button", name="Escalation Response").click()
    expect(page.locator("section.card.context")).to_contain_text(IMG_SUBJECT)
    expect(page.locator("section.card.draft")).to_be_visible()
    assert page.locator("main script, main img").count() == 0
    assert page.evaluate("window.pwned") is None
    assert web.csp_reports() == []


def test_pages_carry_a_strict_content_security_policy(web: WebUI) -> None:
    page = web.new_page()
    answer = page.goto(web.url("/login"))
    assert answer is not None
    policy = dict(part.strip().split(" ", 1) for part in answer.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert page.locator("script:not([src])").count() == 0
    assert page.locator("[style], [onclick], [onload], [onerror]").count() == 0

    ran = page.evaluate("""() => new Promise(done => {
        const s = document.createElement('script'); s.textContent = 'window.inlineRan = true';
        document.head.appendChild(s); setTimeout(() => done(window.inlineRan === true), 100); })""")
    assert ran is False
    assert web.csp_reports(), "the blocked inline script is reported"
