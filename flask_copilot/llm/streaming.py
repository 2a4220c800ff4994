"""Reading one streamed model turn: text into the chat as it comes, tool calls
assembled from their deltas, and a stop that closes the HTTP stream at once.

The SDK sends the request (auth, retries, status errors as ``openai`` exceptions);
the stream's server-sent events are read here from the SDK's own response
(``stream.response``) and decoded with ``json.loads``. Building the SDK's typed chunk
object for every token cost about 110 µs, eight times the JSON decode, and was most of
a worker's CPU while streaming (``bench/assistant_bench.py``).
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import openai

from ..chat.context import checkpoint, on_stop
from ..chat.messages import Message


@dataclass
class ToolCallRequest:
    id: str
    name: str
    arguments: str = ""


@dataclass
class ModelTurn:
    """What the model produced in one request."""

    text: str = ""
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    #: The chat message its text was streamed into (None when it wrote no text).
    message: Message | None = None
    finish_reason: str | None = None


def interrupt(stream: Any) -> None:
    """Close the stream's connection from another thread or greenlet (the stop button):
    ``shutdown`` wakes a read blocked on the socket and sends the server a FIN at once,
    which ``close`` from outside the reading thread would not do. Never blocks."""
    response = getattr(stream, "response", None)
    extensions = getattr(response, "extensions", None) or {}
    network = extensions.get("network_stream")
    sock = None
    with contextlib.suppress(Exception):  # another HTTP stack: nothing to interrupt
        sock = network.get_extra_info("socket") if network is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _kind_of(exc: BaseException) -> str | None:
    """``timeout`` or ``transport`` for the HTTP client's own errors (httpx, or httpx2
    in newer SDKs: the same class names), else None."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "TimeoutException" in names:
        return "timeout"
    if "RequestError" in names or "StreamError" in names:
        return "transport"
    return None


def server_sent_data(response: Any) -> Iterator[str]:
    """The ``data`` of each server-sent event of ``response``, until ``[DONE]``. The
    HTTP client's errors come out as the SDK's (``APITimeoutError``,
    ``APIConnectionError``), as they do from its own stream reader."""
    lines: list[str] = []
    try:
        for line in response.iter_lines():
            if line:
                if line.startswith(":"):
                    continue  # a comment (keep-alive)
                name, _, value = line.partition(":")
                if name == "data":
                    lines.append(value[1:] if value.startswith(" ") else value)
                continue
            if lines:
                data, lines = "\n".join(lines), []
                if data.startswith("[DONE]"):
                    return
                yield data
        if lines and not lines[0].startswith("[DONE]"):
            yield "\n".join(lines)
    except Exception as exc:
        kind = _kind_of(exc)
        if kind == "timeout":
            raise openai.APITimeoutError(request=response.request) from exc
        if kind == "transport":
            raise openai.APIConnectionError(request=response.request) from exc
        raise


def chunks(response: Any) -> Iterator[dict[str, Any]]:
    """The stream's chunks, as dicts; an error the endpoint sends mid-stream raises
    ``openai.APIError``."""
    for data in server_sent_data(response):
        try:
            chunk = json.loads(data)
        except ValueError:
            raise openai.APIError(
                f"the endpoint sent something that is not JSON: {data[:200]!r}",
                request=response.request,
                body=None,
            ) from None
        if not isinstance(chunk, dict):
            continue
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise openai.APIError(
                str(message or "An error occurred during streaming"),
                request=response.request,
                body=error,
            )
        yield chunk


def read_turn(stream: Any, author: str | None) -> ModelTurn:
    """Stream the text of ``stream`` (an SDK stream of chat-completion chunks) into a
    new chat message and collect its tool calls. A stop interrupts the read, even a
    stalled one."""
    turn = ModelTurn()
    calls: dict[int, ToolCallRequest] = {}
    with stream, on_stop(lambda: interrupt(stream)):
        try:
            _read(stream.response, turn, calls, author)
            checkpoint()  # a stop can also end a stream quietly (an HTTP/1.0 body ends at EOF)
        except BaseException:
            if turn.message is not None:
                turn.message.end_stream()  # what came so far stays in the chat
            raise
    for position, index in enumerate(sorted(calls)):
        call = calls[index]
        call.id = call.id or f"call_{position}"
        turn.tool_calls.append(call)
    return turn


def _read(
    response: Any, turn: ModelTurn, calls: dict[int, ToolCallRequest], author: str | None
) -> None:
    for chunk in chunks(response):
        checkpoint()
        choices = chunk.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            continue  # e.g. a final usage chunk
        choice = choices[0]
        delta = choice.get("delta") or {}
        token = delta.get("content")
        if token and isinstance(token, str):
            if turn.message is None:
                turn.message = Message("", author=author)
            turn.message.stream_token(token)
            turn.text += token
        for delta_call in delta.get("tool_calls") or []:
            index = delta_call.get("index")
            if not isinstance(index, int):  # some servers leave it out: a new id, a new call
                index = len(calls) if delta_call.get("id") or not calls else max(calls)
            call = calls.get(index)
            if call is None:
                call = calls[index] = ToolCallRequest(id="", name="")
            if delta_call.get("id"):
                call.id = str(delta_call["id"])
            function = delta_call.get("function") or {}
            if function.get("name") and not call.name:
                call.name = str(function["name"])
            if function.get("arguments"):
                call.arguments += str(function["arguments"])
        if choice.get("finish_reason"):
            turn.finish_reason = str(choice["finish_reason"])
