"""Issue 7 in Chromium: a conversation, its feedback and the history list survive a
server restart. The copilot runs as a server process on a fixed loopback port (the
page's origin, and so its localStorage, stays the same), storing into a temp SQLite
file; the user signs in through the site's own login and ``{{ copilot_widget() }}``."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.signed_in_app import GREETING
from tests.browser.widget import assistant_messages, composer, open_panel, part, send
from tests.servers import ServerProcess, server_env

APP = "tests.browser.signed_in_app:create_app()"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def copilot_process(port: int, database_url: str) -> Iterator[ServerProcess]:
    """``python -m flask_copilot run`` on ``port``, until it serves (15 s at most)."""
    args = [sys.executable, "-m", "flask_copilot", "run", APP, "--mode", "threading"]
    server = ServerProcess(
        [*args, "--port", str(port)],
        server_env("threading", COPILOT_DATABASE_URL=database_url),
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/copilot/settings", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the copilot did not start:\n{server.output}") from None
                time.sleep(0.05)
        yield server
    finally:
        server.stop()  # SIGTERM to its process group, by PID


def feedback_seen(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/test/feedback", timeout=5) as response:
        seen: list[dict[str, Any]] = json.loads(response.read())
        return seen


def wait_for_feedback(url: str, expected: dict[str, Any], timeout: float = 5.0) -> None:
    """Until ``@copilot.on_feedback`` saw feedback with these fields."""
    deadline = time.monotonic() + timeout
    while True:
        seen = feedback_seen(url)
        if any(expected.items() <= given.items() for given in seen):
            return
        assert time.monotonic() < deadline, f"the server never got {expected}: {seen}"
        time.sleep(0.05)


def last_reply(page: Page) -> Locator:
    return part(page, ".cp-msg[data-type=assistant_message]").filter(has_text="Noted for").last


def threads(page: Page) -> Locator:
    return part(page, ".cp-threads .cp-thread-title")


def test_a_conversation_and_its_feedback_survive_a_restart(make_page: Any, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    page: Page = make_page()

    with copilot_process(port, database):
        page.goto(f"{url}/login/ann")
        open_panel(page)
        expect(assistant_messages(page).first).to_have_text(GREETING)
        send(page, "remember the milk")
        reply = last_reply(page)
        expect(reply.locator(".cp-bubble")).to_have_text("Noted for ann: remember the milk")
        expect(part(page, ".cp-msg[data-type=user_message] .cp-author")).to_have_text("You")
        reply.get_by_role("button", name="Helpful", exact=True).click()
        comment = reply.get_by_role("textbox", name="Comment (optional)")
        expect(comment).to_be_focused()
        comment.fill("spot on")
        comment.press("Enter")
        expect(reply.locator(".cp-comment-text")).to_have_text("“spot on”")
        wait_for_feedback(url, {"value": 1, "comment": "spot on"})
        thread_id = page.evaluate("window.getCopilotThreadId()")
        assert thread_id
        page.goto("about:blank")  # the page is closed while the server is down

    with copilot_process(port, database):  # a new process on the same port and database
        page.goto(url)
        open_panel(page)
        # Resumed from the thread id the widget kept in localStorage.
        expect(part(page, ".cp-msg .cp-bubble")).to_have_text(
            [
                GREETING,
                "remember the milk",
                "Noted for ann: remember the milk",
                "Welcome back to 'remember the milk'.",
            ]
        )
        assert page.evaluate("window.getChainlitCopilotThreadId()") == thread_id
        reply = last_reply(page)
        expect(reply.get_by_role("button", name="Helpful", exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(reply.get_by_role("button", name="Not helpful")).to_have_attribute(
            "aria-pressed", "false"
        )
        expect(reply.locator(".cp-comment-text")).to_have_text("“spot on”")

        # The history list shows it, as the open conversation.
        part(page, '.cp-header [aria-label="Conversations"]').click()
        expect(threads(page)).to_have_text(["remember the milk"])
        expect(part(page, ".cp-thread[aria-current=true]")).to_have_count(1)
        expect(part(page, ".cp-thread time")).to_have_text("just now")

        # New chat: an empty conversation (the assistant's greeting only), which is not
        # listed until the user writes in it.
        part(page, ".cp-history-head").get_by_role("button", name="New chat").click()
        expect(part(page, ".cp-msg .cp-bubble")).to_have_text([GREETING])
        new_thread = page.evaluate("window.getCopilotThreadId()")
        assert new_thread not in (None, thread_id)
        part(page, '.cp-header [aria-label="Conversations"]').click()
        expect(threads(page)).to_have_text(["remember the milk"])
        page.keyboard.press("Escape")  # back to the new chat
        send(page, "buy bread")
        expect(last_reply(page).locator(".cp-bubble")).to_have_text("Noted for ann: buy bread")

        # Open the old one from the list: shown again, feedback included.
        part(page, '.cp-header [aria-label="Conversations"]').click()
        expect(threads(page)).to_have_count(2)
        assert sorted(threads(page).all_text_contents()) == ["buy bread", "remember the milk"]
        part(page, ".cp-thread-open").filter(has_text="remember the milk").click()
        expect(last_reply(page).locator(".cp-bubble")).to_have_text(
            "Noted for ann: remember the milk"
        )
        expect(
            last_reply(page).get_by_role("button", name="Helpful", exact=True)
        ).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("window.getCopilotThreadId()") == thread_id

        # Delete the other one: asked to confirm, then gone from the list, for good.
        part(page, '.cp-header [aria-label="Conversations"]').click()
        expect(threads(page)).to_have_count(2)
        part(page, '[aria-label="Delete “buy bread”"]').click()
        expect(part(page, ".cp-confirm")).to_contain_text("Delete “buy bread”?")
        part(page, ".cp-confirm").get_by_role("button", name="Delete").click()
        expect(threads(page)).to_have_text(["remember the milk"])
        expect(part(page, "#cp-history-title")).to_be_focused()  # not lost with the item
        page.keyboard.press("Escape")  # back to the chat
        expect(part(page, ".cp-history")).to_have_count(0)
        expect(composer(page)).to_be_focused()
        part(page, '.cp-header [aria-label="Conversations"]').click()
        expect(threads(page)).to_have_text(["remember the milk"])
