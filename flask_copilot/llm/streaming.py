"""Reading one streamed model turn: text into the chat as it comes, tool calls
assembled from their deltas, and a stop that closes the HTTP stream at once."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass, field
from typing import Any

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


def read_turn(stream: Any, author: str | None) -> ModelTurn:
    """Stream the text of ``stream`` (chat-completion chunks) into a new chat message
    and collect its tool calls. A stop interrupts the read, even a stalled one."""
    turn = ModelTurn()
    calls: dict[int, ToolCallRequest] = {}
    with stream, on_stop(lambda: interrupt(stream)):
        try:
            _read(stream, turn, calls, author)
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
    stream: Any, turn: ModelTurn, calls: dict[int, ToolCallRequest], author: str | None
) -> None:
    for chunk in stream:
        checkpoint()
        choices = getattr(chunk, "choices", None) or []
        if not choices:
            continue  # e.g. a final usage chunk
        choice = choices[0]
        delta = choice.delta
        token = getattr(delta, "content", None)
        if token:
            if turn.message is None:
                turn.message = Message("", author=author)
            turn.message.stream_token(token)
            turn.text += token
        for delta_call in getattr(delta, "tool_calls", None) or []:
            index = delta_call.index if delta_call.index is not None else len(calls)
            call = calls.get(index)
            if call is None:
                call = calls[index] = ToolCallRequest(id="", name="")
            if delta_call.id:
                call.id = delta_call.id
            function = delta_call.function
            if function is not None:
                if function.name and not call.name:
                    call.name = function.name
                if function.arguments:
                    call.arguments += function.arguments
        if choice.finish_reason:
            turn.finish_reason = choice.finish_reason
