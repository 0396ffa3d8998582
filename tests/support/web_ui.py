"""Driving the web UI in a browser: sign people in (each in a browser context of their own), watch for CSP reports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from communicator_escalation.auth.tokens import create_token
from communicator_escalation.auth.web_sessions import issue_sign_in_link, sign_in_url
from communicator_escalation.store import Store

__all__ = ["WebUI"]

_CSP_REPORT = re.compile(r"content security policy", re.IGNORECASE)


@dataclass
class WebUI:
    """The web UI at `base_url` on `store`'s database, seen through `browser`."""

    base_url: str
    store: Store
    browser: Browser
    outbox: Path
    contexts: list[BrowserContext] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def new_page(self) -> Page:
        """A page in a fresh browser context (no cookies), its console collected."""
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("console", self._heard)
        return page

    def _heard(self, message: ConsoleMessage) -> None:
        self.console.append(message.text)

    def url(self, path: str) -> str:
        """The absolute address of `path` on the server."""
        return self.base_url + path

    def sign_in_link(self, staff_id: str) -> str:
        """A one-time sign-in link, as `escalation web-login --staff ID` prints it."""
        return sign_in_url(self.base_url, issue_sign_in_link(self.store, staff_id=staff_id, minutes=5).code)

    def access_token(self, staff_id: str) -> str:
        """An access token, as `escalation token create --staff ID` prints it."""
        return create_token(self.store, staff_id=staff_id).token

    def sign_in(self, staff_id: str, page: Page | None = None) -> Page:
        """Sign `staff_id` in with a one-time link; returns the page, on the inbox."""
        page = page or self.new_page()
        page.goto(self.sign_in_link(staff_id))
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Escalation inbox")).to_be_visible()
        return page

    def csp_reports(self) -> list[str]:
        """Console messages that report something the Content-Security-Policy blocked."""
        return [text for text in self.console if _CSP_REPORT.search(text)]

    def close(self) -> None:
        """Close every browser context this opened."""
        for context in self.contexts:
            context.close()
