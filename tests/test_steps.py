"""``Step`` (context manager and decorator), page function calls as steps, and what the
page declares and shares, as a handler sees them: over the real protocol, with the
default store (so steps are stored and come back on resume)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flask_copilot import (
    Copilot,
    CopilotFunction,
    CopilotFunctionError,
    Message,
    Step,
    User,
    context,
    create_jwt,
    step,
)
from flask_copilot.testing import CopilotTestClient, LiveServer

SECRET = "steps-tests-secret-0123456789-abcdefgh"
SEEN: dict[str, Any] = {}


@step(type="tool")
def lookup(sku: str, count: int = 1) -> dict[str, Any]:
    return {"sku": sku, "stock": 7 * count}


@step
def plain() -> str:
    return "plain result"


def create_app(database: Path) -> Flask:
    app = Flask(__name__)
    app.config["COPILOT_ASYNC_MODE"] = "threading"
    app.config["COPILOT_AUTH_SECRET"] = SECRET
    app.config["COPILOT_DATABASE_URL"] = f"sqlite:///{database}"
    app.config["COPILOT_FUNCTION_TIMEOUT"] = 2
    copilot = Copilot(app)

    @copilot.on_message
    def answer(msg: Message) -> None:
        text = msg.content
        if text == "nested":
            with Step("plan", type="run") as outer:
                outer.input = "the question"
                with Step("search", type="retrieval") as inner:
                    inner.input = {"q": "kiwi"}
                    inner.output = ["kiwi is a fruit"]
                lookup("K-1", count=2)
                outer.output = "planned"
            Message("Done.").send()
        elif text == "fails":
            try:
                with Step("risky", type="tool"):
                    raise ValueError("no stock data")
            except ValueError:
                Message("It failed.").send()
        elif text == "streams":
            with Step("think", type="llm") as thinking:
                for token in ["a", "b", "c"]:
                    thinking.stream_token(token)
            plain()
        elif text == "slow step":
            with Step("wait", type="tool"):
                for _ in range(100):
                    Message("tick").stream_token(".")
                    time.sleep(0.05)
        elif text == "call bad":
            try:
                CopilotFunction("add_row", {"text": ["not", "text"]}).call()
            except CopilotFunctionError as exc:
                Message(f"refused: {exc}").send()
        elif text == "page":
            session = context.session
            SEEN["functions"] = dict(session.page_functions)
            SEEN["context"] = session.page_context
            Message("seen").send()

    return app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(tmp_path_factory.mktemp("steps") / "copilot.sqlite3")


@pytest.fixture(scope="module")
def server(app: Flask) -> Iterator[str]:
    with LiveServer(app) as live:
        yield live.url


def token(app: Flask, name: str) -> str:
    with app.app_context():
        return create_jwt(User(name))


@pytest.fixture
def client(app: Flask, server: str) -> Iterator[CopilotTestClient]:
    with CopilotTestClient(server, access_token=token(app, "ann")) as test_client:
        yield test_client
        assert test_client.protocol_violations == []


def test_steps_nest_and_show_input_output_and_status(client: CopilotTestClient) -> None:
    reply = client.chat("nested")
    plan, search, look = reply.steps
    assert plan["parentId"] == reply.message_id  # under the message it answers
    assert search["parentId"] == plan["id"] and look["parentId"] == plan["id"]
    assert (plan["author"], plan["step"]["kind"], plan["step"]["input"]) == (
        "plan",
        "run",
        "the question",
    )
    assert plan["content"] == "planned" and plan["step"]["status"] == "done"
    assert json.loads(search["step"]["input"]) == {"q": "kiwi"}
    assert json.loads(search["content"]) == ["kiwi is a fruit"]
    assert search["step"]["language"] == "json"
    # The decorator: the call's arguments are the input, its return value the output.
    assert look["author"] == "lookup" and look["step"]["kind"] == "tool"
    assert json.loads(look["step"]["input"]) == {"sku": "K-1", "count": 2}
    assert json.loads(look["content"]) == {"sku": "K-1", "stock": 14}
    for shown in reply.steps:
        assert shown["step"]["start"] and shown["step"]["end"]
    # Shown running first, then done.
    first = next(
        e.payload["message"]
        for e in reply.events
        if e.name == "new_message" and e.payload["message"]["id"] == plan["id"]
    )
    assert first["step"]["status"] == "running" and first["step"]["end"] is None
    assert reply.text == "Done."


def test_an_exception_marks_the_step_failed_and_goes_on(client: CopilotTestClient) -> None:
    reply = client.chat("fails")
    (risky,) = reply.steps
    assert risky["step"]["status"] == "error" and risky["isError"]
    assert risky["content"] == "ValueError: no stock data"
    assert reply.text == "It failed."


def test_a_step_streams_its_output(client: CopilotTestClient) -> None:
    reply = client.chat("streams")
    think, plain_step = reply.steps
    assert think["content"] == "abc" and think["step"]["status"] == "done"
    assert not think["streaming"]
    assert [e.payload.get("token") for e in reply.events if e.name == "stream_token"][:2] == [
        "b",
        "c",
    ]
    assert plain_step["author"] == "plain" and plain_step["step"]["kind"] == "run"
    assert plain_step["content"] == "plain result"


def test_stop_inside_a_step_marks_it_stopped(client: CopilotTestClient) -> None:
    message_id = client.send("slow step")
    client.wait_for("stream_start")
    client.stop()
    reply = client.wait_reply(message_id)
    (wait,) = reply.steps
    assert wait["step"]["status"] == "error" and wait["content"] == "Stopped."


def test_page_state_reaches_the_handler(client: CopilotTestClient) -> None:
    function = {
        "name": "add_row",
        "description": "Add a row",
        "parameters": {"type": "object", "properties": {"text": {"type": "string"}}},
        "confirm": True,
    }
    ack = client.call(
        "page_state",
        {
            "functions": [function],
            "context": {"rows": {"value": ["milk"], "description": "Rows on screen"}},
            "url": "https://shop.test/cart",
            "title": "Cart",
        },
    )
    assert ack == {"ok": True}
    assert client.chat("page").text == "seen"
    declared = SEEN["functions"]["add_row"]
    assert (declared.name, declared.description, declared.confirm) == ("add_row", "Add a row", True)
    assert declared.parameters == function["parameters"]
    page = SEEN["context"]
    assert page["rows"] == ["milk"] and page.describe("rows") == "Rows on screen"
    assert (page.url, page.title) == ("https://shop.test/cart", "Cart")
    assert "rows (Rows on screen):" in page.as_text()
    # Each page_state replaces the last one.
    assert client.declare([], {}) == {"ok": True}
    client.chat("page")
    assert SEEN["functions"] == {} and len(SEEN["context"]) == 0


def test_copilot_function_checks_declared_arguments(client: CopilotTestClient) -> None:
    client.declare(
        [
            {
                "name": "add_row",
                "parameters": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}},
                    "required": ["text"],
                },
            }
        ]
    )
    reply = client.chat("call bad")
    assert reply.text.startswith("refused: Invalid arguments for 'add_row': text: ")
    assert "is not of type 'string'" in reply.text
    assert not any(e.name == "call_fn" for e in reply.events)
    (shown,) = reply.steps
    assert shown["author"] == "add_row" and shown["step"]["status"] == "error"


def test_steps_are_stored_and_resumed(app: Flask, server: str) -> None:
    user = token(app, "bob")
    with CopilotTestClient(server, access_token=user) as first:
        shown = first.chat("nested").steps
        thread_id = first.session_info["threadId"] if first.session_info else None
    with CopilotTestClient(server, access_token=user) as again:
        again.disconnect()
        again.connect(auth={"clientType": "copilot", "accessToken": user, "threadId": thread_id})
        for original in shown:
            again.wait_for("new_message", lambda p, i=original["id"]: p["message"]["id"] == i)
            resumed = again.messages[original["id"]]
            for key in ("type", "author", "content", "parentId", "step", "isError"):
                assert resumed[key] == original[key], key
        assert again.protocol_violations == []


def test_a_step_cut_off_by_a_dead_process_shows_as_interrupted(app: Flask, server: str) -> None:
    from flask_copilot.store import MessageRecord

    user = token(app, "carol")
    with CopilotTestClient(server, access_token=user) as first:
        first.chat("fails")
        thread_id = first.session_info["threadId"] if first.session_info else None
    assert thread_id
    running = {"kind": "tool", "input": "{}", "status": "running", "start": None, "end": None}
    allow = {"id": "a1", "name": "allow", "label": "Allow", "tooltip": "", "payload": {}}
    store = app.extensions["copilot"].persister.store
    store.upsert_message(
        thread_id,
        MessageRecord(
            id="cut-off",
            type="step",
            content="",
            author="remove_row",
            step=running,
            actions=[{**allow, "forId": "cut-off"}],
        ),
        owner="carol",
    )
    with CopilotTestClient(server, access_token=user) as again:
        again.disconnect()
        again.connect(auth={"clientType": "copilot", "accessToken": user, "threadId": thread_id})
        again.wait_for("new_message", lambda p: p["message"]["id"] == "cut-off")
        shown = again.messages["cut-off"]
        assert again.protocol_violations == []
    assert shown["step"]["status"] == "error" and shown["isError"]
    assert shown["content"] == "Interrupted." and shown["actions"] == []


def test_a_step_outside_any_handler_needs_a_context() -> None:
    from flask_copilot import NoContextError

    with pytest.raises(NoContextError):
        Step("x").send()


def test_steps_in_threads_keep_their_own_nesting() -> None:
    """The open-step stack is a ContextVar: a thread started inside a step does not
    inherit it by accident."""
    from flask_copilot.chat import steps as steps_module

    seen: list[tuple[str, ...]] = []
    token = steps_module._open_steps.set(("outer",))
    try:
        thread = threading.Thread(target=lambda: seen.append(steps_module._open_steps.get()))
        thread.start()
        thread.join(5)
    finally:
        steps_module._open_steps.reset(token)
    assert seen == [()]
