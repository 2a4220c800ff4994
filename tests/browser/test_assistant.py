"""The assistant in real Chromium, in every async mode (gunicorn gthread, gevent,
eventlet): a page declares functions with ``registerCopilotFunction``, a model (the
local OpenAI-compatible server of ``tests/fake_llm.py``) calls them, the page runs
them, the answers stream; bad arguments, approvals, stop, model failures, resume, and
two sessions streaming at once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.widget import assistant_messages, composer, open_panel, part, send
from tests.fake_llm import Error, FakeLLM, Record, Stall, Text, ToolCalls
from tests.servers import gunicorn_server, wait_until_serving

#: Seconds the model may stay silent before the assistant gives up (ASSISTANT_TIMEOUT).
MODEL_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture(scope="module", params=["gthread", "gevent", "eventlet"])
def site(
    request: pytest.FixtureRequest, llm: FakeLLM, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    database = tmp_path_factory.mktemp(f"assistant-{request.param}") / "copilot.sqlite3"
    with gunicorn_server(
        "tests.apps.assistant_app:create_app()",
        request.param,
        OPENAI_BASE_URL=llm.base_url,
        COPILOT_DATABASE_URL=f"sqlite:///{database}",
        ASSISTANT_TIMEOUT=str(MODEL_TIMEOUT),
    ) as (url, _):
        wait_until_serving(url, timeout=60)  # the worker has imported the app (and openai)
        yield url


@pytest.fixture
def to_do(make_page: Any, site: str, llm: FakeLLM, request: pytest.FixtureRequest) -> Page:
    """The to-do page of a fresh user, with the chat open."""
    llm.reset()
    page: Page = make_page()
    page.goto(f"{site}/page?user={request.node.name[:40]}")
    open_panel(page)
    return page


def tool_results(record: Record) -> list[Any]:
    return [json.loads(m["content"]) for m in record.messages if m["role"] == "tool"]


def page_calls(page: Page) -> list[list[Any]]:
    calls: list[list[Any]] = page.evaluate("window.pageCalls")
    return calls


def step(page: Page, name: str) -> Any:
    return part(page, ".cp-step").filter(has=page.locator(f".cp-step-name:text-is('{name}')"))


def test_the_model_calls_a_page_function_and_the_answer_streams(to_do: Page, llm: FakeLLM) -> None:
    llm.script(
        "add milk please",
        ToolCalls([("add_row", {"text": "milk"})]),
        Text("Added **milk** to your list, as row 1."),
    )
    send(to_do, "add milk please")
    expect(assistant_messages(to_do).last).to_have_text("Added milk to your list, as row 1.")
    expect(to_do.locator("#rows li")).to_have_text(["milk"])  # the page ran it
    assert page_calls(to_do) == [["add_row", "milk"]]
    first, second = llm.requests_for("add milk please")
    offered = {t["function"]["name"]: t["function"] for t in first.body["tools"]}
    assert offered["add_row"]["description"] == "Add a row to the to-do list"
    assert offered["add_row"]["parameters"]["required"] == ["text"]
    assert offered["remove_row"] and offered["price"] and offered["wipe"]
    state = next(m["content"] for m in first.messages if "looking at a web page" in m["content"])
    assert "/page?user=" in state and "Title: To-do (assistant tests)" in state
    assert "rows (The rows of the to-do list, in order):" in state
    assert tool_results(second) == [{"row": 1, "text": "milk"}]  # the result went back
    # The call is a compact step: its name and state; opened, its arguments and result.
    shown = step(to_do, "add_row")
    expect(shown).to_have_attribute("data-status", "done")
    expect(shown.locator(".cp-step-state")).to_have_text("Done")
    shown.locator("summary").click()
    expect(shown.locator("[data-part=input] pre")).to_contain_text('"text": "milk"')
    expect(shown.locator("[data-part=output] pre")).to_contain_text('"row": 1')


def test_bad_arguments_never_reach_the_page(to_do: Page, llm: FakeLLM) -> None:
    llm.script(
        "add junk",
        ToolCalls([("add_row", {"text": 5})]),  # refused by the server
        ToolCalls([("add_row", {"text": "<b>"})]),  # its pattern: refused by the widget
        Text("I could not add it."),
    )
    send(to_do, "add junk")
    expect(assistant_messages(to_do).last).to_have_text("I could not add it.")
    assert page_calls(to_do) == []
    expect(part(to_do, ".cp-step[data-status=error]")).to_have_count(2)
    _, second, third = llm.requests_for("add junk")
    assert "text: 5 is not of type 'string'" in tool_results(second)[0]["error"]
    assert "text: does not match ^[^<>]*$" in tool_results(third)[1]["error"]
    failed = part(to_do, ".cp-step[data-status=error]").first
    failed.locator("summary").click()
    expect(failed.locator("[data-part=output] pre")).to_contain_text("is not of type 'string'")


def test_a_confirm_function_waits_for_the_click_and_a_refusal_is_honoured(
    to_do: Page, llm: FakeLLM
) -> None:
    llm.script(
        "make a list",
        ToolCalls([("add_row", {"text": "milk"}), ("add_row", {"text": "eggs"})]),
        Text("Two rows."),
    )
    send(to_do, "make a list")
    expect(assistant_messages(to_do).last).to_have_text("Two rows.")
    llm.script("remove milk", ToolCalls([("remove_row", {"row": 1})]), Text("Removed milk."))
    send(to_do, "remove milk")
    asking = step(to_do, "remove_row")
    expect(asking.locator(".cp-action")).to_have_text(["Allow", "Deny"])
    expect(asking.locator("[data-part=input] pre")).to_contain_text('"row": 1')  # open
    expect(composer(to_do)).to_be_disabled()
    time.sleep(0.3)  # nothing may happen while the user has not answered
    assert len(llm.requests_for("remove milk")) == 1
    assert ["remove_row", 1] not in page_calls(to_do)
    asking.get_by_role("button", name="Allow").click()
    expect(assistant_messages(to_do).last).to_have_text("Removed milk.")
    expect(to_do.locator("#rows li")).to_have_text(["eggs"])
    expect(asking.locator(".cp-action")).to_have_count(0)

    llm.script("remove eggs", ToolCalls([("remove_row", {"row": 1})]), Text("Kept eggs."))
    send(to_do, "remove eggs")
    asking = part(to_do, ".cp-step:has(.cp-action)")
    asking.get_by_role("button", name="Deny").click()
    expect(assistant_messages(to_do).last).to_have_text("Kept eggs.")
    expect(to_do.locator("#rows li")).to_have_text(["eggs"])
    assert page_calls(to_do).count(["remove_row", 1]) == 1
    assert "declined" in tool_results(llm.requests_for("remove eggs")[1])[-1]["error"]
    expect(part(to_do, ".cp-step[data-status=error] .cp-step-name")).to_have_text("remove_row")


def test_stop_ends_the_models_http_stream_at_once(to_do: Page, llm: FakeLLM) -> None:
    words = [f"w{i} " for i in range(300)]
    llm.script("tell a long story", Text(words, delay=0.03))
    send(to_do, "tell a long story")
    expect(part(to_do, ".cp-msg[data-streaming] .cp-bubble")).to_contain_text("w5")
    part(to_do, ".cp-stop").click()
    (story,) = llm.requests_for("tell a long story")
    llm.wait_for(lambda: story.disconnected, timeout=3)
    assert len(story.token_times) < len(words)
    expect(part(to_do, ".cp-stop")).to_have_count(0)
    expect(part(to_do, ".cp-msg[data-streaming]")).to_have_count(0)

    llm.script("think hard", Stall(["Hmm, "]))  # a stream that stalls: the read blocks
    send(to_do, "think hard")
    expect(assistant_messages(to_do).last).to_have_text("Hmm,")
    clicked = time.monotonic()
    part(to_do, ".cp-stop").click()
    (stalled,) = llm.requests_for("think hard")
    llm.wait_for(lambda: stalled.disconnected, timeout=MODEL_TIMEOUT)
    assert time.monotonic() - clicked < MODEL_TIMEOUT * 0.75  # the stop, not the timeout
    expect(part(to_do, ".cp-msg[data-error]")).to_have_count(0)
    send(to_do, "still there?")
    expect(assistant_messages(to_do).last).to_have_text("You said: still there?")


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (Error(401, "Incorrect API key provided"), "refused its credentials"),
        (Error(429, "Rate limit reached for requests"), "too many requests"),
        (Error(500, "The server had an error while processing your request"), "had a problem"),
        (
            Error(
                400,
                "This model's maximum context length is 128000 tokens",
                "context_length_exceeded",
            ),
            "too long for the AI model",
        ),
        (Stall([]), "took too long"),
    ],
    ids=["401", "429", "500", "context", "stalled"],
)
def test_a_model_failure_shows_its_message_and_the_next_message_works(
    to_do: Page, llm: FakeLLM, answer: Any, says: str
) -> None:
    llm.script("try it", answer)
    send(to_do, "try it")
    expect(part(to_do, ".cp-msg[data-error] .cp-bubble")).to_contain_text(says)
    expect(part(to_do, ".cp-stop")).to_have_count(0)
    send(to_do, "and now?")
    expect(assistant_messages(to_do).last).to_have_text("You said: and now?")


def test_steps_survive_a_resume(to_do: Page, llm: FakeLLM) -> None:
    llm.script("add tea", ToolCalls([("add_row", {"text": "tea"})]), Text("Tea is on the list."))
    send(to_do, "add tea")
    expect(assistant_messages(to_do).last).to_have_text("Tea is on the list.")
    to_do.reload()  # the widget resumes its stored conversation
    open_panel(to_do)
    expect(assistant_messages(to_do).last).to_have_text("Tea is on the list.")
    resumed = step(to_do, "add_row")
    expect(resumed).to_have_attribute("data-status", "done")
    resumed.locator("summary").click()
    expect(resumed.locator("[data-part=input] pre")).to_contain_text('"text": "tea"')
    expect(resumed.locator("[data-part=output] pre")).to_contain_text('"text": "tea"')
    # The model sees the resumed conversation, its tool call included.
    send(to_do, "what is on it?")
    expect(assistant_messages(to_do).last).to_have_text("You said: what is on it?")
    (later,) = llm.requests_for("what is on it?")
    calls = [m for m in later.messages if m.get("tool_calls")]
    assert calls and calls[0]["tool_calls"][0]["function"]["name"] == "add_row"


def test_two_sessions_stream_at_once(make_page: Any, site: str, llm: FakeLLM) -> None:
    llm.reset()
    words = [f"t{i} " for i in range(30)]
    pages = []
    for name in ("first", "second"):
        llm.script(f"slow {name}", Text(words, delay=0.05))
        page: Page = make_page()
        page.goto(f"{site}/page?user=streamer-{name}")
        open_panel(page)
        pages.append(page)
    for page, name in zip(pages, ("first", "second"), strict=True):
        send(page, f"slow {name}")
    for page in pages:
        expect(assistant_messages(page).last).to_have_text("".join(words).strip(), timeout=10_000)
    (one,), (two,) = llm.requests_for("slow first"), llm.requests_for("slow second")
    # One worker streamed both models' answers at the same time.
    assert llm.max_active >= 2
    assert one.token_times[0] < two.token_times[-1] and two.token_times[0] < one.token_times[-1]
