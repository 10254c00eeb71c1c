"""Browser tests: Debian's Chromium driven by Playwright against a real Daphne.

Outside CI they are skipped when /usr/bin/chromium is missing; in CI (CI=true) a missing
browser or a failed frontend build is an error, never a skip.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT

CHROMIUM = Path("/usr/bin/chromium")
FRONTEND = ROOT / "frontend"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists() or IN_CI:
        return
    skip = pytest.mark.skip(reason="Chromium is not installed: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def build_frontend() -> None:
    """Build frontend/dist if it is missing, as `make` would."""
    if (FRONTEND / "dist" / "relay.js").exists() and (
        FRONTEND / "dist" / "relay-style.css"
    ).exists():
        return
    for command in (["npm", "ci", "--no-audit", "--no-fund"], ["npm", "run", "build"]):
        done = subprocess.run(command, cwd=FRONTEND, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(
                f"The browser build failed ({' '.join(command)} in frontend/):\n"
                f"{done.stderr[-3000:]}"
            )


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright's sync API marks an event loop as running in this thread; the test's own
    database setup (factories, actions) is ordinary synchronous code, never run inside it.
    Only the browser tests get this, and only while they run."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# The flags every browser test's Chromium runs with; a test needing more adds its own.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


# Package scope: Chromium and Playwright's loop end with the last browser test, so no other
# test of the suite runs beside them.
@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("CI=true but /usr/bin/chromium is missing: apt-get install chromium")
    build_frontend()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def browser(playwright_driver) -> Iterator[object]:  # noqa: ANN001 - Playwright's own type
    chromium = playwright_driver.chromium.launch(  # type: ignore[attr-defined]
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def relay(browser: object, daphne):  # noqa: ANN001 - the conftest fixture's type
    """A Daphne serving the built frontend on the test database."""
    return daphne
