"""The assistant (``flask_copilot.llm``) over a real local OpenAI-compatible server
(``tests/fake_llm.py``), through the real protocol (threading; the other modes and the
browser are in ``tests/browser/test_assistant.py``)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from flask_copilot import User, create_jwt
from flask_copilot.testing import CopilotTestClient, LiveServer
from tests.fake_llm import Error, FakeLLM, Record, Stall, Text, ToolCalls

ADD_ROW = {
    "name": "add_row",
    "description": "Add a row to the to-do list",
    "parameters": {
        "type": "object",
        "properties": {"text": {"type": "string", "minLength": 1}},
        "required": ["text"],
        "additionalProperties": False,
    },
}
REMOVE_ROW = {
    "name": "remove_row",
    "description": "Remove a row",
    "parameters": {"type": "object", "properties": {"row": {"type": "integer"}}},
    "confirm": True,
}


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture(scope="module")
def app(llm: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    from tests.apps import assistant_app

    database = tmp_path_factory.mktemp("assistant") / "copilot.sqlite3"
    saved = dict(os.environ)
    os.environ.update(
        OPENAI_BASE_URL=llm.base_url,
        COPILOT_DATABASE_URL=f"sqlite:///{database}",
        ASSISTANT_TIMEOUT="1.5",
        ASSISTANT_MAX_ROUNDS="3",
        ASSISTANT_FUNCTION_TIMEOUT="0.5",
    )
    try:
        return assistant_app.create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def server(app: Flask) -> Iterator[str]:
    with LiveServer(app) as live:
        yield live.url


def token(app: Flask, name: str = "ann") -> str:
    with app.app_context():
        return create_jwt(User(name))


class Page:
    """What a page's declared functions did (the test client answers for the page)."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def add_row(self, args: dict[str, Any]) -> Any:
        self.calls.append(("add_row", args))
        self.rows.append(args["text"])
        return {"row": len(self.rows), "text": args["text"]}

    def remove_row(self, args: dict[str, Any]) -> Any:
        self.calls.append(("remove_row", args))
        return {"removed": self.rows.pop(args["row"] - 1)}

    def functions(self) -> dict[str, Any]:
        return {"add_row": self.add_row, "remove_row": self.remove_row}


@pytest.fixture
def page() -> Page:
    return Page()


@pytest.fixture
def client(app: Flask, server: str, llm: FakeLLM, page: Page) -> Iterator[CopilotTestClient]:
    llm.reset()
    with CopilotTestClient(
        server, access_token=token(app), page_functions=page.functions()
    ) as test_client:
        ack = test_client.declare(
            [ADD_ROW, REMOVE_ROW], {"rows": page.rows}, url="http://shop.test/list", title="List"
        )
        assert ack == {"ok": True}
        yield test_client
        assert test_client.protocol_violations == []


def tool_results(record: Record) -> list[dict[str, Any]]:
    return [m for m in record.messages if m["role"] == "tool"]


# --- the loop ------------------------------------------------------------------------


def test_a_page_function_round_trip_with_the_page_state(
    client: CopilotTestClient, llm: FakeLLM, page: Page
) -> None:
    llm.script(
        "add milk", ToolCalls([("add_row", {"text": "milk"})], text="On it."), Text("Added milk.")
    )
    reply = client.chat("add milk")
    assert reply.text == "On it.\nAdded milk."
    assert page.rows == ["milk"]
    first, second = llm.requests_for("add milk")
    # The model was offered the page's function with its schema, and the Python tools.
    offered = {t["function"]["name"]: t["function"] for t in first.body["tools"]}
    assert offered["add_row"]["parameters"] == ADD_ROW["parameters"]
    assert {"price", "wipe", "explode", "add_row", "remove_row"} <= set(offered)
    assert first.body["stream"] is True and first.body["model"] == "fake-model"
    system = [m["content"] for m in first.messages if m["role"] == "system"]
    assert system[0] == "You help people use the to-do page."
    assert "URL: http://shop.test/list" in system[1] and "Title: List" in system[1]
    assert first.messages[-1] == {"role": "user", "content": "add milk"}
    # The result went back to the model, after its call.
    assert second.messages[-2]["tool_calls"][0]["function"]["name"] == "add_row"
    assert json.loads(tool_results(second)[0]["content"]) == {"row": 1, "text": "milk"}
    # The call showed as a step: name, arguments, result, done; under the user message.
    (step,) = reply.steps
    assert step["type"] == "step" and step["author"] == "add_row"
    assert step["step"]["status"] == "done" and step["step"]["kind"] == "tool"
    assert json.loads(step["step"]["input"]) == {"text": "milk"}
    assert json.loads(step["content"]) == {"row": 1, "text": "milk"}
    assert step["parentId"] == reply.message_id


def test_bad_arguments_are_refused_before_the_page_sees_them(
    client: CopilotTestClient, llm: FakeLLM, page: Page
) -> None:
    llm.script(
        "add five",
        ToolCalls([("add_row", {"text": 5, "colour": "red"})]),
        Text("Sorry, that failed."),
    )
    reply = client.chat("add five")
    assert page.calls == []  # never reached the page
    assert not any(e.name == "call_fn" for e in reply.events)
    (step,) = reply.steps
    assert step["step"]["status"] == "error" and step["isError"]
    assert "text: 5 is not of type 'string'" in step["content"]
    assert "colour: not a parameter" in step["content"]
    error = json.loads(tool_results(llm.requests_for("add five")[1])[0]["content"])["error"]
    assert "text: 5 is not of type 'string'" in error
    assert reply.text == "Sorry, that failed."


def test_parallel_tool_calls_run_in_the_models_order(
    client: CopilotTestClient, llm: FakeLLM, page: Page
) -> None:
    calls: list[tuple[str, dict[str, Any] | str]] = [
        ("add_row", {"text": "a"}),
        ("price", {"item": "a", "currency": "USD"}),
        ("add_row", {"text": "b"}),
    ]
    llm.script("three", ToolCalls(calls, pieces=4), Text("Three done."))
    reply = client.chat("three")
    assert page.rows == ["a", "b"]
    assert [s["author"] for s in reply.steps] == ["add_row", "price", "add_row"]
    results = [json.loads(m["content"]) for m in tool_results(llm.requests_for("three")[1])]
    assert results == [
        {"row": 1, "text": "a"},
        {"item": "a", "price": 3, "currency": "USD"},
        {"row": 2, "text": "b"},
    ]
    ids = [m["tool_call_id"] for m in tool_results(llm.requests_for("three")[1])]
    assert len(set(ids)) == 3


def test_a_page_function_with_confirm_waits_for_allow(
    client: CopilotTestClient, llm: FakeLLM, page: Page
) -> None:
    page.rows[:] = ["milk", "eggs"]
    llm.script("drop eggs", ToolCalls([("remove_row", {"row": 2})]), Text("Removed."))
    message_id = client.send("drop eggs")
    ask = client.wait_for("ask")
    assert ask["kind"] == "action"
    step = client.messages[ask["messageId"]]
    assert step["type"] == "step" and json.loads(step["step"]["input"]) == {"row": 2}
    assert [a["label"] for a in step["actions"]] == ["Allow", "Deny"]
    assert page.calls == []  # nothing runs before the click
    allow = next(a for a in step["actions"] if a["label"] == "Allow")
    assert client.click(allow["id"]) == {"ok": True}
    reply = client.wait_reply(message_id)
    call = next(e.payload for e in reply.events if e.name == "call_fn")
    assert call["approvalId"] == allow["id"]  # the widget runs it only with this click
    assert page.rows == ["milk"] and reply.text == "Removed."
    assert client.messages[ask["messageId"]]["actions"] == []  # buttons gone


def test_a_refusal_goes_back_to_the_model(
    client: CopilotTestClient, llm: FakeLLM, page: Page
) -> None:
    page.rows[:] = ["milk"]
    llm.script("drop it", ToolCalls([("remove_row", {"row": 1})]), Text("Kept it."))
    message_id = client.send("drop it")
    ask = client.wait_for("ask")
    deny = next(a for a in client.messages[ask["messageId"]]["actions"] if a["label"] == "Deny")
    client.click(deny["id"])
    reply = client.wait_reply(message_id)
    assert page.calls == [] and page.rows == ["milk"]
    assert not any(e.name == "call_fn" for e in reply.events)
    assert reply.steps[0]["step"]["status"] == "error"
    assert "declined" in reply.steps[0]["content"]
    result = json.loads(tool_results(llm.requests_for("drop it")[1])[0]["content"])
    assert "declined" in result["error"]


def test_a_python_tool_with_confirm_asks_too(
    app: Flask, client: CopilotTestClient, llm: FakeLLM, server: str
) -> None:
    from tests.apps.assistant_app import WIPED

    llm.script(
        "wipe all",
        ToolCalls([("wipe", {"reason": "spring cleaning"})]),
        Text("Wiped."),
        ToolCalls([("wipe", {"reason": "again"})]),
        Text("Not wiped."),
    )
    message_id = client.send("wipe all")
    ask = client.wait_for("ask")
    allow = next(a for a in client.messages[ask["messageId"]]["actions"] if a["name"] == "allow")
    client.click(allow["id"])
    assert client.wait_reply(message_id).text == "Wiped."
    assert WIPED[-1] == "spring cleaning"
    mark = len(client.events)
    message_id = client.send("wipe all")
    ask = client.wait_for("ask", after=mark)
    deny = next(a for a in client.messages[ask["messageId"]]["actions"] if a["name"] == "deny")
    client.click(deny["id"])
    reply = client.wait_reply(message_id)
    assert WIPED[-1] == "spring cleaning" and reply.text == "Not wiped."
    assert "declined" in json.loads(tool_results(llm.requests[-1])[-1]["content"])["error"]


def test_a_failing_tool_is_shown_and_told_to_the_model(
    client: CopilotTestClient, llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    llm.script(
        "explode",
        ToolCalls([("explode", {}), ("nope", {}), ("price", "{not json")]),
        Text("Three failures."),
    )
    reply = client.chat("explode")
    assert [s["step"]["status"] for s in reply.steps] == ["error"] * 3
    assert "RuntimeError: the tool blew up" in reply.steps[0]["content"]
    errors = [json.loads(m["content"])["error"] for m in tool_results(llm.requests[-1])]
    assert "the tool blew up" in errors[0]
    assert "no tool named 'nope'" in errors[1]
    assert "JSON object" in errors[2]
    assert reply.text == "Three failures."
    assert "tool explode failed" in caplog.text and "RuntimeError" in caplog.text


def test_a_page_function_that_does_not_answer_times_out_and_the_model_is_told(
    app: Flask, server: str, llm: FakeLLM
) -> None:
    llm.reset()
    llm.script("add slowly", ToolCalls([("add_row", {"text": "x"})]), Text("The page is slow."))
    with CopilotTestClient(server, access_token=token(app), answer_calls=False) as silent:
        silent.declare([ADD_ROW])
        started = time.monotonic()
        reply = silent.chat("add slowly")
    assert time.monotonic() - started < 3
    (shown,) = reply.steps
    assert shown["step"]["status"] == "error"
    assert "did not answer 'add_row' within 0.5 s" in shown["content"]
    assert any(e.name == "call_fn_cancel" for e in reply.events)
    result = json.loads(tool_results(llm.requests_for("add slowly")[1])[0]["content"])
    assert "within 0.5 s" in result["error"]
    assert reply.text == "The page is slow."


def test_the_loop_is_bounded(client: CopilotTestClient, llm: FakeLLM) -> None:
    again = ToolCalls([("price", {"item": "x"})])
    llm.script("loop", again, again, again, Text("Enough."))
    reply = client.chat("loop")
    requests = llm.requests_for("loop")
    assert len(requests) == 4  # max_tool_rounds = 3, then one request that must answer
    assert requests[-1].body["tool_choice"] == "none"
    assert len(reply.steps) == 3 and reply.text == "Enough."
    # An endpoint that calls tools anyway gets no more rounds, and the user is told.
    llm.script("loop again", again, again, again, again)
    reply = client.chat("loop again")
    assert len(llm.requests_for("loop again")) == 4 and len(reply.steps) == 3
    assert "needs more steps" in reply.text


def test_the_conversation_carries_over_turns_with_its_tool_calls(
    client: CopilotTestClient, llm: FakeLLM
) -> None:
    llm.script("add tea", ToolCalls([("add_row", {"text": "tea"})]), Text("Added tea."))
    client.chat("add tea")
    client.send("note for the page", type="system_message")
    client.chat("what did you add?")
    (later,) = llm.requests_for("what did you add?")
    roles = [m["role"] for m in later.messages]
    assert roles[:1] == ["system"] and roles[-1] == "user"
    history = later.messages[1:-2]
    assert history[0] == {"role": "user", "content": "add tea"}
    assert history[1]["tool_calls"][0]["function"] == {
        "name": "add_row",
        "arguments": '{\n  "text": "tea"\n}',
    }
    assert history[2]["role"] == "tool" and json.loads(history[2]["content"])["text"] == "tea"
    assert history[3] == {"role": "assistant", "content": "Added tea."}
    assert history[4] == {"role": "system", "content": "A note from the page: note for the page"}
    # The page's state sits just before the latest user message.
    assert later.messages[-2]["content"].startswith("The user is looking at a web page")


def test_a_message_typed_during_an_answer_is_answered_after_it(
    client: CopilotTestClient, llm: FakeLLM
) -> None:
    llm.script("first question", Text([f"t{i} " for i in range(10)], delay=0.03))
    first = client.send("first question")
    client.wait_for("stream_start")
    second = client.send("second question")  # shown while the first answer streams
    client.wait_reply(first)
    client.wait_reply(second)
    (request,) = llm.requests_for("second question")
    conversation = [m for m in request.messages if m["role"] != "system"]
    assert conversation == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "".join(f"t{i} " for i in range(10))},
        {"role": "user", "content": "second question"},
    ]


# --- failures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (Error(401, "Incorrect API key provided"), "refused its credentials"),
        (Error(429, "Rate limit reached"), "too many requests"),
        (Error(500, "The server had an error"), "had a problem answering"),
        (
            Error(
                400, "This model's maximum context length is 8192 tokens", "context_length_exceeded"
            ),
            "too long for the AI model",
        ),
        (Error(400, "prompt is too long: 300000 tokens > 200000 maximum"), "too long"),
        (Stall(["Partial "]), "took too long"),
    ],
)
def test_a_model_failure_is_a_short_message_and_the_chat_goes_on(
    client: CopilotTestClient,
    llm: FakeLLM,
    caplog: pytest.LogCaptureFixture,
    answer: Any,
    says: str,
) -> None:
    llm.script("fail now", answer)
    reply = client.chat("fail now")
    assert len(reply.errors) == 1 and says in reply.errors[0]["content"]
    if isinstance(answer, Error):
        assert answer.message in caplog.text  # the detail is in the log
        assert "Traceback" not in caplog.text
    else:
        assert reply.messages[0]["content"] == "Partial "  # what came stays
        llm.wait_for(lambda: llm.requests[-1].disconnected)
    assert client.chat("hello again").text == "You said: hello again"


def test_stop_closes_the_models_http_stream_at_once(
    client: CopilotTestClient, llm: FakeLLM
) -> None:
    llm.script("stall", Stall(["Thinking "]))
    message_id = client.send("stall")
    client.wait_for("stream_start")
    started = time.monotonic()
    assert client.stop() == {"ok": True, "stopped": True}
    llm.wait_for(lambda: llm.requests[-1].disconnected, timeout=3)
    assert time.monotonic() - started < 1.0  # not the 1.5 s read timeout
    reply = client.wait_reply(message_id)
    assert not reply.errors and not any(m["streaming"] for m in client.messages.values())
    assert client.chat("after").text == "You said: after"


def test_a_resumed_thread_is_the_models_history(app: Flask, server: str, llm: FakeLLM) -> None:
    llm.reset()
    user = token(app, "resumer")
    with CopilotTestClient(server, access_token=user) as first:
        first.chat("remember the word kiwi")
        thread_id = first.session_info["threadId"] if first.session_info else None
        first.end_session()
    with CopilotTestClient(server, access_token=user) as second:
        second.disconnect()
        second.connect(auth={"clientType": "copilot", "accessToken": user, "threadId": thread_id})
        assert second.session_info and second.session_info["resumedThread"]
        second.chat("which word?")
    (later,) = llm.requests_for("which word?")
    assert {"role": "user", "content": "remember the word kiwi"} in later.messages
    assert {"role": "assistant", "content": "You said: remember the word kiwi"} in later.messages


def test_page_state_is_validated_and_bounded(client: CopilotTestClient) -> None:
    refused = client.declare([{"name": "bad name!", "parameters": {"type": "object"}}])
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_event"
    assert "functions.0.name" in refused["error"]["message"]
    schema = {"type": "object", "properties": {"x": {"type": "strin"}}}
    refused = client.declare([{"name": "f", "parameters": schema}])
    assert "not a valid JSON Schema" in refused["error"]["message"]
    remote = {"type": "object", "properties": {"x": {"$ref": "https://evil.test/s"}}}
    refused = client.declare([{"name": "f", "parameters": remote}])
    assert "only references inside the schema" in refused["error"]["message"]
    refused = client.declare([ADD_ROW, ADD_ROW])
    assert "declared twice: add_row" in refused["error"]["message"]
    refused = client.declare([], {"big": "x" * 70_000})
    assert refused["error"]["code"] == "too_large"
    assert "COPILOT_MAX_PAGE_STATE_BYTES" in refused["error"]["message"]
    # The session goes on, with the last state it accepted.
    assert client.chat("still here?").text == "You said: still here?"


def test_persisted_steps_come_back_on_resume(app: Flask, server: str, llm: FakeLLM) -> None:
    llm.reset()
    user = token(app, "stepper")
    page = Page()
    llm.script("add jam", ToolCalls([("add_row", {"text": "jam"})]), Text("Added jam."))
    with CopilotTestClient(server, access_token=user, page_functions=page.functions()) as first:
        first.declare([ADD_ROW])
        shown = first.chat("add jam").steps[0]
        thread_id = first.session_info["threadId"] if first.session_info else None
    with CopilotTestClient(server, access_token=user) as again:
        again.disconnect()
        again.connect(auth={"clientType": "copilot", "accessToken": user, "threadId": thread_id})
        again.wait_for("new_message", lambda p: p["message"]["id"] == shown["id"])
        resumed = again.messages[shown["id"]]
    for key in ("type", "author", "content", "parentId", "step", "isError"):
        assert resumed[key] == shown[key], key


def test_two_sessions_stream_at_once(app: Flask, server: str, llm: FakeLLM) -> None:
    llm.reset()
    slow = [f"w{i} " for i in range(12)]
    llm.script("slow one", Text(slow, delay=0.05))
    llm.script("slow two", Text(slow, delay=0.05))
    with (
        CopilotTestClient(server, access_token=token(app, "a")) as one,
        CopilotTestClient(server, access_token=token(app, "b")) as two,
    ):
        ids = one.send("slow one"), two.send("slow two")
        replies = one.wait_reply(ids[0]), two.wait_reply(ids[1])
    assert llm.max_active == 2
    spans = [(r.tokens[0].received_at, r.tokens[-1].received_at) for r in replies]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]  # they overlap
    assert all(r.text == "".join(slow) for r in replies)
