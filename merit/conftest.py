"""Fixtures shared by the application's test suites."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

# For the browser tests' module-level ``pytestmark``.
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)


@pytest.fixture
def chromium(live_server, monkeypatch):
    """Headless Debian chromium (Playwright) for tests against the live test server."""
    # Playwright's sync API runs an event loop in this thread; the live server's own thread serves Django.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()
        # The test's own queries ran on a connection of their own while Playwright was active: close it,
        # or PostgreSQL cannot drop the test database afterwards.
        connections.close_all()


@pytest.fixture
def chromium_page(chromium):
    """A page of :func:`chromium` in Chinese (zh-CN), 1200×800."""
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


ARTEFACTS = Path(__file__).resolve().parent.parent / "var" / "artefacts"


@pytest.fixture
def artefacts() -> Path:
    """Where browser tests save their screenshots for a reviewer (``var/artefacts/``, kept after the run;
    ``MERIT_ARTEFACTS`` overrides it)."""
    path = Path(os.environ.get("MERIT_ARTEFACTS", ARTEFACTS))
    path.mkdir(parents=True, exist_ok=True)
    return path
