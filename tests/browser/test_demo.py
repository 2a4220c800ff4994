"""The demo app (examples/demo) in Chromium: the copilot acts on the page."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from examples.demo.app import GREETING, create_app
from flask_copilot.testing import LiveServer
from tests.browser.widget import assistant_messages, open_panel, part, send


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Flask]]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # the scripted assistant only
    app = create_app("threading")
    with LiveServer(app) as server:
        yield server.url, app


def titles(page: Page) -> list[str]:
    result: list[str] = page.eval_on_selector_all(
        "#todos tbody tr .title", "cells => cells.map((c) => c.textContent)"
    )
    return result


def test_the_assistant_adds_a_row_to_the_page(page: Page, demo: tuple[str, Flask]) -> None:
    url, app = demo
    page.goto(url)
    open_panel(page)
    expect(assistant_messages(page).first).to_contain_text(GREETING.split(".")[0])
    send(page, "add milk")
    expect(assistant_messages(page).last).to_have_text("Added milk as row 4.")
    expect(page.locator("#todos tbody tr").nth(3).locator(".title")).to_have_text("milk")
    assert titles(page)[-1] == "milk"
    # The page's own code made the change, through the app's API: it is stored.
    assert [t.title for t in app.extensions["demo_todos"].all()][-1] == "milk"


def test_selection_highlight_filter_and_a_confirmed_removal(
    page: Page, demo: tuple[str, Flask]
) -> None:
    url, app = demo
    page.goto(url)
    page.locator("#todos tbody tr").nth(1).locator(".title").click()  # select row 2
    open_panel(page)
    send(page, "what did I select?")
    expect(assistant_messages(page).last).to_have_text(
        "You selected row 2, “Water the plants” (open)."
    )
    send(page, "highlight 3")
    expect(page.locator("#todos tbody tr").nth(2)).to_have_class("highlight")
    send(page, "show plants")
    expect(assistant_messages(page).last).to_contain_text("Showing 1 of 3 rows")
    expect(page.locator("#todos tbody tr:visible")).to_have_count(1)
    send(page, "show all")
    expect(page.locator("#todos tbody tr:visible")).to_have_count(3)

    send(page, "remove 1")
    part(
        page,
        ".cp-action",
    ).filter(has_text="Remove it").click()
    expect(assistant_messages(page).last).to_have_text("Removed Buy coffee beans.")
    assert titles(page) == ["Water the plants", "Call the plumber"]
    assert len(app.extensions["demo_todos"].all()) == 2

    send(page, "highlight 9")
    expect(assistant_messages(page).last).to_contain_text("there is no row 9")


def test_an_unknown_phrase_gets_a_streamed_help_text(page: Page, demo: Any) -> None:
    page.goto(demo[0])
    open_panel(page)
    send(page, "tell me a joke")
    expect(assistant_messages(page).last).to_contain_text("I'm a scripted demo")
    expect(assistant_messages(page).last).to_contain_text("add milk")


class FakeChatCompletions(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint on loopback that streams a fixed reply and keeps
    the requests it got."""

    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append({"path": self.path, "auth": self.headers["Authorization"], **body})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for token in ["Hello ", "from ", "the ", "*model*."]:
            chunk = {"choices": [{"index": 0, "delta": {"content": token}}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args: Any) -> None:
        pass


def test_with_a_model_configured_other_text_is_streamed_from_it(
    page: Page, demo: tuple[str, Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeChatCompletions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1")
        page.goto(demo[0])
        page.locator("#todos tbody tr").first.locator(".title").click()
        open_panel(page)
        send(page, "which one is urgent?")
        expect(assistant_messages(page).last).to_have_text("Hello from the model.")
        sent = FakeChatCompletions.requests[-1]
        assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer test-key"
        assert sent["stream"] is True
        assert sent["messages"][-1] == {"role": "user", "content": "which one is urgent?"}
        # The model sees the page's rows (via list_rows) and the user's selection.
        assert "Water the plants" in sent["messages"][0]["content"]
        assert "Buy coffee beans" in sent["messages"][0]["content"]
    finally:
        server.shutdown()
        server.server_close()


def test_the_page_and_its_icon_load_without_a_failed_request(page: Page, demo: Any) -> None:
    url, _ = demo
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(url)
    open_panel(page)
    expect(assistant_messages(page).first).to_contain_text(GREETING.split(".")[0])
    icon = page.evaluate(
        "fetch(document.querySelector('link[rel=icon]').href)"
        ".then(async (r) => [r.status, r.headers.get('content-type'), await r.text()])"
    )
    assert icon[0] == 200 and icon[1].startswith("image/svg+xml") and "<svg" in icon[2]
    assert failed == []
