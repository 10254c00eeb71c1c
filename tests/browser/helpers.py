"""Helpers for the browser tests: pages that record what they send, sign-in, axe, screenshots."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.factories import Person, ShuttleCase, otp_token

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
AXE = Axe()


@dataclass
class Sent:
    """Everything the browser sent: request bodies and URLs, WebSocket frames."""

    bodies: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("request", self._request)
        context.on("page", self.watch_page)

    def watch_page(self, page: Page) -> None:
        page.on("websocket", lambda ws: ws.on("framesent", self._frame))
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)

    def _request(self, request: Any) -> None:
        self.urls.append(request.url)
        body = request.post_data_buffer
        if body:
            self.bodies.append(body.decode("utf-8", "replace"))

    def _frame(self, payload: Any) -> None:
        self.frames.append(
            payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
        )

    def _console(self, message: Any) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    def everything(self) -> list[str]:
        return [*self.bodies, *self.urls, *self.frames]


def new_page(browser: Browser, base_url: str, sent: Sent, *, phone: bool = True) -> Page:
    context = browser.new_context(
        base_url=base_url,
        viewport=PHONE if phone else DESKTOP,
        timezone_id="Europe/London",
        locale="en-GB",
    )
    context.set_default_timeout(15_000)
    sent.watch(context)
    return context.new_page()


def sign_in(
    page: Page, person: Person, *, password: str | None = None, token: str | None = None
) -> None:
    page.goto("/signin")
    page.get_by_label("Username").fill(person.user.username)
    page.get_by_label("Password").fill(password or person.password)
    page.get_by_role("button", name="Sign in").click()
    if token is not None:
        page.get_by_label("Code", exact=True).fill(token)
        page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/(conversation|cases|statistics|referrals)$"))


def both_parties_and_staff(
    browser: Browser, base_url: str, sent: Sent, shuttle: ShuttleCase
) -> tuple[Page, Page, Page]:
    """Both participants signed in on phones, and the facilitator on a desktop with the
    case page open: (harmed, responsible, staff)."""
    harmed = new_page(browser, base_url, sent)
    sign_in(harmed, shuttle.harmed)
    responsible = new_page(browser, base_url, sent)
    sign_in(responsible, shuttle.responsible)
    staff = new_page(browser, base_url, sent, phone=False)
    sign_in(staff, shuttle.facilitator, token=otp_token(shuttle.facilitator))
    staff.goto(f"/cases/{shuttle.id}")
    return harmed, responsible, staff


def envelopes_sent(sent: Sent) -> int:
    """How many request bodies carried an envelope: proof the watcher saw the messages whose
    content it checks for the sentinel."""
    return sum('"ciphertext"' in body for body in sent.bodies)


def check_page(page: Page, name: str) -> None:
    """axe-core finds no violations; keep phone and desktop screenshots."""
    results = AXE.run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.wait_for_timeout(200)  # let the new layout paint before the capture
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)


def box_of(locator: Locator, attempts: int = 50) -> dict[str, float]:
    """The visible element's box. Pages redraw lists when a push arrives, so the element found
    a moment ago may be detached by the time its box is asked for: ask again, briefly."""
    expect(locator).to_be_visible()
    for _ in range(attempts):
        box = locator.bounding_box()
        if box is not None:
            return box
        locator.page.wait_for_timeout(100)
    raise AssertionError(f"{locator} has no box: it is not visible")


def message_items(page: Page):
    return page.locator("#messages > li")


__all__ = [
    "expect",
    "Sent",
    "new_page",
    "sign_in",
    "both_parties_and_staff",
    "envelopes_sent",
    "check_page",
    "message_items",
    "PHONE",
    "DESKTOP",
]
