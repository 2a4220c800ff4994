"""Issue 18 in Chromium: the worker holding the chat is SIGKILLed while it handles the
user's message. gunicorn starts a new worker, the widget reconnects and resumes the
thread, shows the message as not answered, and "Send again" gets it answered."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.widget import assistant_messages, open_panel, part, send
from tests.servers import gunicorn_server

APP = "tests.apps.failover_app:create_app()"
#: The widget reconnects with a back-off (0.5 s, doubling) while gunicorn restarts the worker.
RECONNECT_MS = 20_000


def test_a_message_a_dead_worker_never_answered_is_offered_again(
    make_page: Any, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    database = f"sqlite:///{tmp_path / 'failover.sqlite3'}"
    with gunicorn_server(
        APP, "gevent", COPILOT_TEST_DATABASE_URL=database, COPILOT_TEST_GATE=str(gate)
    ) as (url, _):
        page: Page = make_page()
        page.goto(f"{url}/login/ann")
        open_panel(page)
        send(page, "pid")
        expect(assistant_messages(page).last).to_have_text(re.compile(r"^\d+$"))
        worker = int(assistant_messages(page).last.inner_text())
        send(page, "gated for ann")
        question = part(page, ".cp-msg[data-type=user_message]").last
        expect(question).to_have_text("Yougated for ann")
        expect(question).not_to_have_attribute("data-pending", "")  # accepted by the server
        expect(part(page, ".cp-typing")).to_be_visible()  # its handler runs

        os.kill(worker, signal.SIGKILL)
        unanswered = question.locator(".cp-unanswered")
        expect(unanswered).to_have_text("Not answered. Send again", timeout=RECONNECT_MS)
        expect(part(page, ".cp-typing")).to_have_count(0)

        gate.touch()
        unanswered.get_by_role("button", name="Send again").click()
        expect(unanswered).to_have_count(0)
        expect(assistant_messages(page).last).to_have_text("Done: for ann")
        expect(part(page, ".cp-msg[data-type=user_message] .cp-bubble")).to_have_text(
            ["pid", "gated for ann", "gated for ann"]
        )

        # Sent again, it is not offered again when the conversation is opened later.
        page.reload()
        open_panel(page)
        expect(assistant_messages(page).last).to_have_text("Welcome back (7 messages)")
        expect(part(page, ".cp-unanswered")).to_have_count(0)
