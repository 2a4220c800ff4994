"""The assistant's pure parts: argument checks, tool schemas from Python functions, the
conversation as chat-completions messages, and what a failure tells the user."""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any, Literal

import httpx2
import openai
import pytest

from flask_copilot.core.page import ContextValue, PageContext
from flask_copilot.llm import (
    Tool,
    ToolArgumentsError,
    describe,
    history_messages,
    tool_from_function,
)
from flask_copilot.llm.conversation import page_state_message, trim
from flask_copilot.llm.tools import parse_docstring
from flask_copilot.protocol.json_schema import ArgumentChecker, check_declared_schema

# --- JSON Schema checks ------------------------------------------------------------


def test_problems_name_the_field() -> None:
    schema = {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"n": {"type": "integer"}}},
            },
        },
        "required": ["text"],
        "additionalProperties": False,
    }
    checker = ArgumentChecker(schema, run_patterns=True)
    assert checker.problems({"text": "x"}) == []
    assert checker.problems({}) == ["text: required, but missing"]
    assert checker.problems({"text": "x", "extra": 1}) == [
        "extra: not a parameter of this function"
    ]
    assert checker.problems({"text": "x", "items": [{"n": 1}, {"n": "2"}]}) == [
        "items[1].n: '2' is not of type 'integer'"
    ]


def test_browser_patterns_are_never_run_on_the_server() -> None:
    evil = {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a+)+$"}}}
    check_declared_schema(evil)
    # Catastrophic backtracking for Python's re if it ran; instant because it does not.
    assert ArgumentChecker(evil, run_patterns=False).problems({"s": "a" * 40 + "!"}) == []
    assert ArgumentChecker(evil, run_patterns=True).problems({"s": "b"}) != []


@pytest.mark.parametrize(
    ("schema", "why"),
    [
        ({"type": "array"}, "must describe an object"),
        ([], "must be a JSON Schema object"),
        ({"type": "object", "properties": {"a": {"$ref": "https://x.test/s"}}}, "only references"),
        ({"type": "object", "patternProperties": {"^a": {}}}, "patternProperties"),
        ({"type": "object", "properties": {"a": {"type": 5}}}, "not a valid JSON Schema"),
        ({"type": "object", "properties": {"a": {"minLength": -1}}}, "not a valid JSON Schema"),
    ],
)
def test_declared_schemas_that_cannot_work_are_refused(schema: Any, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_declared_schema(schema)


def test_deep_schemas_are_refused() -> None:
    schema: dict[str, Any] = {"type": "object"}
    node = schema
    for _ in range(40):
        node["properties"] = {"a": {"type": "object"}}
        node = node["properties"]["a"]
    with pytest.raises(ValueError, match="nested deeper"):
        check_declared_schema(schema)


def test_a_local_ref_that_points_nowhere_is_a_problem_not_a_crash() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}
    problems = ArgumentChecker(schema, run_patterns=False).problems({"a": 1})
    assert problems and "cannot be used" in problems[0]


# --- Python tools ------------------------------------------------------------------


class Size(enum.Enum):
    SMALL = "small"
    LARGE = "large"


@dataclasses.dataclass
class Address:
    street: str
    city: str


def order(
    item: str,
    size: Size,
    address: Address,
    gift: bool = False,
    note: str | None = None,
    speed: Literal["slow", "fast"] = "slow",
) -> dict[str, Any]:
    """Order an item.

    Delivered within a week.

    Args:
        item: What to order.
        size: How big.
        address: Where it goes,
            street and city.
        gift: Wrap it.
    """
    return {"item": item, "size": size, "address": address, "gift": gift, "note": note}


def test_a_tools_schema_comes_from_hints_and_docstring() -> None:
    tool = tool_from_function(order)
    spec = tool.openai_spec()["function"]
    assert spec["name"] == "order"
    assert spec["description"] == "Order an item.\n\nDelivered within a week."
    params = spec["parameters"]
    assert params["type"] == "object" and params["required"] == ["item", "size", "address"]
    props = params["properties"]
    assert props["item"] == {"type": "string", "description": "What to order."}
    assert props["address"]["description"] == "Where it goes, street and city."
    assert props["gift"] == {"type": "boolean", "default": False, "description": "Wrap it."}
    assert props["speed"]["enum"] == ["slow", "fast"]
    assert params["$defs"]["Size"]["enum"] == ["small", "large"]
    assert "title" not in props["item"]
    check_declared_schema(params)


def test_tool_arguments_are_checked_then_made_python() -> None:
    tool = tool_from_function(order)
    prepared = tool.prepare(
        {"item": "lamp", "size": "large", "address": {"street": "1 Main", "city": "Oslo"}}
    )
    assert prepared["size"] is Size.LARGE
    assert prepared["address"] == Address("1 Main", "Oslo")
    result = tool({"item": "lamp", "size": "small", "address": {"street": "s", "city": "c"}})
    assert result["size"] is Size.SMALL
    with pytest.raises(ToolArgumentsError, match="size: 'huge' is not one of"):
        tool.prepare({"item": "lamp", "size": "huge", "address": {"street": "s", "city": "c"}})
    with pytest.raises(ToolArgumentsError, match="item: required"):
        tool.prepare({"size": "small", "address": {"street": "s", "city": "c"}})


def test_tool_options_and_bad_functions() -> None:
    def f(x: int) -> int:
        """:param x: a number"""
        return x

    tool = tool_from_function(f, name="double-it", description="Doubles.", confirm=True)
    assert isinstance(tool, Tool) and tool.confirm
    assert tool.openai_spec()["function"]["description"] == "Doubles."
    assert tool.parameters["properties"]["x"]["description"] == "a number"
    with pytest.raises(ValueError, match="tool name"):
        tool_from_function(f, name="no spaces allowed")

    def star(*args: int) -> None: ...

    with pytest.raises(TypeError, match=r"\*args"):
        tool_from_function(star)


def test_docstrings_google_and_sphinx() -> None:
    summary, params = parse_docstring(
        "Find things.\n\nArgs:\n    query (str): What.\n        More.\n"
        "    n: How many.\n\nReturns:\n    list"
    )
    assert summary == "Find things." and params == {"query": "What. More.", "n": "How many."}
    summary, params = parse_docstring("Find.\n\n:param query: What.\n:returns: list")
    assert summary == "Find." and params == {"query": "What."}


# --- the conversation --------------------------------------------------------------


def wire(id: str, type: str, content: str = "", **extra: Any) -> dict[str, Any]:
    return {"id": id, "type": type, "content": content, "isError": False, "metadata": {}, **extra}


def tool_step(id: str, name: str, call: str, output: str, *, error: bool = False) -> dict[str, Any]:
    return wire(
        id,
        "step",
        output,
        author=name,
        isError=error,
        metadata={"toolCallId": call},
        step={"kind": "tool", "input": '{"a": 1}', "status": "error" if error else "done"},
    )


def test_history_gives_the_model_its_own_tool_calls_back() -> None:
    history = [
        wire("1", "assistant_message", "Hi!"),
        wire("2", "user_message", "add a"),
        wire("3", "assistant_message", "Sure."),
        tool_step("4", "add_row", "c1", '{"row": 1}'),
        tool_step("5", "add_row", "c2", "boom", error=True),
        wire("6", "assistant_message", "One worked."),
        wire("7", "assistant_message", "Sorry", isError=True),
        wire("8", "step", "x", step={"kind": "run", "input": None, "status": "done"}),
        wire("9", "system_message", "row 2 selected"),
        wire("10", "user_message", "and now?"),
    ]
    messages = history_messages(history)
    assert messages[0] == {"role": "assistant", "content": "Hi!"}
    assert messages[2]["content"] == "Sure." and [c["id"] for c in messages[2]["tool_calls"]] == [
        "c1",
        "c2",
    ]
    assert messages[3] == {"role": "tool", "tool_call_id": "c1", "content": '{"row": 1}'}
    assert messages[4] == {"role": "tool", "tool_call_id": "c2", "content": '{"error": "boom"}'}
    assert messages[5] == {"role": "assistant", "content": "One worked."}
    assert messages[6] == {"role": "system", "content": "A note from the page: row 2 selected"}
    assert messages[7] == {"role": "user", "content": "and now?"}
    assert len(messages) == 8
    # Trimmed, it starts at a user message: never a tool result without its call.
    assert trim(messages, 5) == [{"role": "user", "content": "and now?"}]
    assert trim(messages, 7) == messages[1:]
    assert trim(messages, 0) == []


def test_page_state_message() -> None:
    assert page_state_message(PageContext()) is None
    page = PageContext({"rows": ContextValue([1, 2], "The rows")}, url="https://x.test", title="X")
    message = page_state_message(page)
    assert message is not None and message["role"] == "system"
    assert "URL: https://x.test" in message["content"] and "rows (The rows):" in message["content"]


# --- reading a stream ---------------------------------------------------------------


class Lines:
    """Stands in for the SDK's HTTP response: its lines, then perhaps an error."""

    def __init__(self, lines: list[str], error: Exception | None = None) -> None:
        self.lines, self.error = lines, error
        self.request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")

    def iter_lines(self) -> Any:
        yield from self.lines
        if self.error is not None:
            raise self.error


def test_server_sent_events_are_read_as_the_spec_says() -> None:
    from flask_copilot.llm.streaming import server_sent_data

    lines = [
        ": keep-alive",
        "",
        "event: chunk",
        'data: {"a":',
        "data: 1}",
        "",
        "id: 7",
        "data: x",
        "",
        "data: [DONE]",
        "",
        "data: after",
    ]
    assert list(server_sent_data(Lines(lines))) == ['{"a":\n1}', "x"]
    assert list(server_sent_data(Lines(["data: tail"]))) == ["tail"]


def test_stream_errors_become_the_sdks() -> None:
    from flask_copilot.llm.streaming import chunks

    with pytest.raises(openai.APITimeoutError):
        list(chunks(Lines(['data: {"choices": []}', ""], httpx2.ReadTimeout("slow"))))
    with pytest.raises(openai.APIConnectionError):
        list(chunks(Lines([], httpx2.RemoteProtocolError("peer closed"))))
    with pytest.raises(openai.APIError, match="overloaded"):
        list(chunks(Lines(['data: {"error": {"message": "overloaded"}}', ""])))
    with pytest.raises(openai.APIError, match="not JSON"):
        list(chunks(Lines(["data: {oops", ""])))


def test_tool_call_deltas_without_an_index() -> None:
    from flask_copilot.llm.streaming import ModelTurn, ToolCallRequest, _read

    def delta(**fields: Any) -> str:
        return "data: " + json.dumps({"choices": [{"delta": {"tool_calls": [fields]}}]})

    lines = [
        delta(id="a", function={"name": "f", "arguments": '{"x"'}),
        "",
        delta(function={"arguments": ": 1}"}),
        "",
        delta(id="b", function={"name": "g", "arguments": "{}"}),
        "",
    ]
    turn, calls = ModelTurn(), {}
    _read(Lines(lines), turn, calls, None)
    assert list(calls.values()) == [
        ToolCallRequest("a", "f", '{"x": 1}'),
        ToolCallRequest("b", "g", "{}"),
    ]


# --- failures ----------------------------------------------------------------------


def status_error(status: int, message: str, code: str | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx2.Response(status, request=request, json={"error": {"message": message}})
    body = {"message": message, "code": code}
    classes = {
        401: openai.AuthenticationError,
        429: openai.RateLimitError,
        400: openai.BadRequestError,
    }
    cls = classes.get(
        status, openai.InternalServerError if status >= 500 else openai.APIStatusError
    )
    return cls(message, response=response, body=body)


@pytest.mark.parametrize(
    ("status", "message", "says"),
    [
        (401, "bad key", "credentials"),
        (403, "forbidden", "credentials"),
        (429, "slow down", "too many requests"),
        (500, "oops", "had a problem"),
        (503, "overloaded", "had a problem"),
        (404, "no such model", "not available"),
        (400, "maximum context length is 4096 tokens", "too long"),
        (400, "bad temperature", "could not answer"),
    ],
)
def test_failures_become_short_messages(status: int, message: str, says: str) -> None:
    failure = describe(status_error(status, message))
    assert failure is not None and says in failure.message and message in failure.detail


def test_other_exceptions_are_not_the_models() -> None:
    assert describe(RuntimeError("bug")) is None
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    assert "too long" in describe(openai.APITimeoutError(request=request)).message  # type: ignore[union-attr]
    assert "could not reach" in describe(openai.APIConnectionError(request=request)).message  # type: ignore[union-attr]
