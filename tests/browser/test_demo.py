"""The demo app (examples/demo) in Chromium: the copilot acts on the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from examples.demo.app import GREETING, create_app
from flask_copilot.testing import LiveServer
from tests.browser.widget import assistant_messages, open_panel, part, send
from tests.fake_llm import FakeLLM, Text, ToolCalls


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
    approval = part(page, ".cp-step").filter(has_text="remove_row")
    expect(approval.locator("[data-part=input] pre")).to_contain_text('"row": 1')
    assert titles(page)[0] == "Buy coffee beans"  # nothing removed before the click
    approval.get_by_role("button", name="Allow").click()
    expect(assistant_messages(page).last).to_have_text("Removed Buy coffee beans.")
    assert titles(page) == ["Water the plants", "Call the plumber"]
    assert len(app.extensions["demo_todos"].all()) == 2

    send(page, "remove 2")
    part(page, ".cp-step .cp-action").filter(has_text="Deny").click()
    expect(assistant_messages(page).last).to_have_text("All right, I left it as it is.")
    assert titles(page) == ["Water the plants", "Call the plumber"]

    send(page, "highlight 9")
    expect(assistant_messages(page).last).to_contain_text("there is no row 9")


def test_an_unknown_phrase_gets_a_streamed_help_text(page: Page, demo: Any) -> None:
    page.goto(demo[0])
    open_panel(page)
    send(page, "tell me a joke")
    expect(assistant_messages(page).last).to_contain_text("I'm a scripted demo")
    expect(assistant_messages(page).last).to_contain_text("add milk")


@pytest.fixture
def demo_with_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, FakeLLM]]:
    """The demo with a model: ``OPENAI_BASE_URL`` points at a local fake endpoint."""
    with FakeLLM() as llm:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
        with LiveServer(create_app("threading")) as server:
            yield server.url, llm


def test_with_a_model_the_assistant_works_the_page(
    page: Page, demo_with_model: tuple[str, FakeLLM]
) -> None:
    url, llm = demo_with_model
    llm.script(
        "which one is urgent?",
        ToolCalls([("highlight_row", {"row": 3})]),
        Text("**Call the plumber** (row 3): a leak will not wait."),
    )
    page.goto(url)
    page.locator("#todos tbody tr").nth(2).locator(".title").click()
    open_panel(page)
    expect(assistant_messages(page).first).to_contain_text("I can read this to-do list")
    send(page, "which one is urgent?")
    expect(assistant_messages(page).last).to_have_text(
        "Call the plumber (row 3): a leak will not wait."
    )
    expect(page.locator("#todos tbody tr").nth(2)).to_have_class("selected highlight")
    first = llm.requests_for("which one is urgent?")[0]
    assert (
        first.body["model"] == "gpt-4o-mini" and first.headers["authorization"] == "Bearer unused"
    )
    assert set(first.tool_names) == {
        "todays_date",
        "add_row",
        "highlight_row",
        "set_done",
        "filter_rows",
        "remove_row",
    }
    state = next(m["content"] for m in first.messages if "looking at a web page" in m["content"])
    assert '"title": "Water the plants"' in state  # the rows, shared by the page
    assert "selected_row (The row the user clicked last)" in state
    assert '"title": "Call the plumber"' in state.split("selected_row")[1]

    # remove_row waits for the user's approval; what the model is told follows it.
    llm.script("drop row 1", ToolCalls([("remove_row", {"row": 1})]), Text("Removed row 1."))
    send(page, "drop row 1")
    part(page, ".cp-step .cp-action").filter(has_text="Allow").click()
    expect(assistant_messages(page).last).to_have_text("Removed row 1.")
    assert titles(page) == ["Water the plants", "Call the plumber"]


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
