"""Real-browser tests: Debian's Chromium driven by Playwright, against real servers.

Two servers on loopback: the copilot (``tests/browser/app.py`` in a ``LiveServer``) and
a "host site" on another port, serving the pages in ``pages/`` (so the widget is
embedded cross-origin, as on a real site). Every wait is bounded by Playwright's
timeouts; requests to anything but loopback are aborted.

Chromium comes from the system (``scripts/bootstrap.sh`` installs it); never from
``playwright install``. Without it these tests are skipped, unless
``COPILOT_BROWSER_REQUIRED=1`` (``scripts/test.sh`` sets it) makes that a failure.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, abort, request
from werkzeug.serving import make_server

from flask_copilot.testing import LiveServer

CHROMIUM = os.environ.get("COPILOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 5000
PAGES = Path(__file__).parent / "pages"
#: The seed page names this server; the tests only change that URL.
SEED_SERVER = "http://localhost:8000"
NOT_LOOPBACK = re.compile(r"^(?!(https?|wss?)://(127\.0\.0\.1|localhost)[:/])")

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None  # type: ignore[assignment]


def _unavailable(reason: str) -> None:
    if os.environ.get("COPILOT_BROWSER_REQUIRED") == "1":
        pytest.fail(f"browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        _unavailable("the playwright package is not installed (requirements-dev.txt)")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (scripts/bootstrap.sh installs it)")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=20_000
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def copilot_app() -> Flask:
    from tests.browser.app import create_app

    return create_app()


@pytest.fixture(scope="session")
def copilot_url(copilot_app: Flask) -> Iterator[str]:
    with LiveServer(copilot_app) as server:
        yield server.url


@pytest.fixture
def recorder(copilot_app: Flask) -> Any:
    return copilot_app.extensions["browser_test"]


class HostSite:
    """A plain website on another origin that embeds the copilot: ``pages/<name>.html``
    with the copilot's URL filled in (``{{SERVER}}``, or the seed's localhost:8000)."""

    def __init__(self, copilot_url: str, port: int = 0) -> None:
        site = Flask("host_site")

        @site.get("/<name>.html")
        def page(name: str) -> str:
            path = PAGES / f"{name}.html"
            if not path.is_file():
                abort(404)
            html = path.read_text(encoding="utf-8")
            html = html.replace(SEED_SERVER, copilot_url).replace("{{SERVER}}", copilot_url)
            return html.replace("{{THEME}}", request.args.get("theme", "light"))

        self._server = make_server("127.0.0.1", port, site, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="session")
def host_site(copilot_url: str) -> Iterator[HostSite]:
    site = HostSite(copilot_url)
    yield site
    site.close()


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.route(NOT_LOOPBACK, lambda route: route.abort())
    return context


@pytest.fixture
def make_page(browser: Browser) -> Iterator[Any]:
    """``make_page(**context_options)``: a page in a fresh context (a fresh widget, so
    a fresh chat session). Uncaught page errors fail the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def make(**options: Any) -> Page:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = new_context(browser, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


@pytest.fixture
def page(make_page: Any) -> Page:
    made: Page = make_page()
    return made
