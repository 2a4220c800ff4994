"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests: ``/v1/chat/completions``
with ``stream: true`` (server-sent events), scripted per test, recording every request.

.. code-block:: python

    with FakeLLM() as llm:
        llm.script("add milk", ToolCalls([("add_row", {"text": "milk"})]), Text("Added."))
        # … point an OpenAI client at llm.base_url, chat …
        assert llm.requests[-1].body["messages"][-1]["role"] == "tool"

A request's script is chosen by the content of the last user message it carries, so a
tool-calling conversation (several requests for one user message) takes the scripted
answers in order, and concurrent conversations do not interfere. Unscripted requests get
``You said: <text>``. Each answer can stream slowly, fail with an HTTP status, or stall;
the server notices when the client closes the connection (``Record.disconnected``).
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: No answer streams or stalls longer than this (a bound for every test).
MAX_SECONDS = 30.0


@dataclass
class Record:
    """One request as the server saw it."""

    path: str
    #: Lower-case names.
    headers: dict[str, str]
    body: dict[str, Any]
    started: float
    finished: float | None = None
    #: The client closed the connection before the answer was complete.
    disconnected: bool = False
    #: When the server wrote each streamed text token (monotonic clock).
    token_times: list[float] = field(default_factory=list)

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.body.get("messages", [])
        return messages

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.body.get("tools") or []]


class Answer:
    """What the server answers one request with."""

    def serve(self, handler: _Handler, record: Record) -> None:
        raise NotImplementedError


@dataclass
class Text(Answer):
    """Stream ``text`` (a string, split into words, or a list of tokens), ``delay``
    seconds between tokens."""

    text: str | list[str]
    delay: float = 0.0

    def tokens(self) -> list[str]:
        if isinstance(self.text, list):
            return self.text
        words = self.text.split(" ")
        return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]

    def serve(self, handler: _Handler, record: Record) -> None:
        handler.start_stream()
        for token in self.tokens():
            if self.delay:
                handler.pause(self.delay, record)
            handler.chunk({"content": token}, record=record)
        handler.chunk({}, finish="stop")
        handler.done()


@dataclass
class ToolCalls(Answer):
    """Stream tool calls, each ``(name, arguments)`` (a dict, or raw text), their
    arguments cut into ``pieces`` deltas, after optional ``text``."""

    calls: list[tuple[str, dict[str, Any] | str]]
    text: str = ""
    pieces: int = 3

    def serve(self, handler: _Handler, record: Record) -> None:
        handler.start_stream()
        if self.text:
            handler.chunk({"content": self.text}, record=record)
        for index, (name, arguments) in enumerate(self.calls):
            raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
            call_id = f"call_{record.started:.6f}_{index}".replace(".", "")
            handler.chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": ""},
                        }
                    ]
                }
            )
            size = max(1, -(-len(raw) // self.pieces))
            for start in range(0, len(raw), size):
                piece = raw[start : start + size]
                handler.chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        handler.chunk({}, finish="tool_calls")
        handler.done()


@dataclass
class Error(Answer):
    """Fail with HTTP ``status`` and an OpenAI-style error body."""

    status: int
    message: str = "scripted failure"
    code: str | None = None

    def serve(self, handler: _Handler, record: Record) -> None:
        body = {"error": {"message": self.message, "type": "test_error", "code": self.code}}
        data = json.dumps(body).encode()
        handler.send_response(self.status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


@dataclass
class Stall(Answer):
    """Stream ``tokens``, then send nothing more until the client gives up (or
    ``MAX_SECONDS``)."""

    tokens: list[str] = field(default_factory=list)

    def serve(self, handler: _Handler, record: Record) -> None:
        handler.start_stream()
        for token in self.tokens:
            handler.chunk({"content": token}, record=record)
        handler.pause(MAX_SECONDS, record)


Script = Answer | Callable[[Record], Answer]


class _Gone(Exception):
    """The client closed the connection."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        headers = {key.lower(): value for key, value in self.headers.items()}
        record = Record(self.path, headers, body, time.monotonic())
        fake = self.server.fake
        fake._begin(record)
        try:
            if not self.path.endswith("/chat/completions"):
                Error(404, f"no route {self.path}").serve(self, record)
                return
            self._model = body.get("model", "fake")
            answer = fake._answer_for(record)
            if not body.get("stream"):
                self._complete(answer, record)
            else:
                answer.serve(self, record)
        except _Gone:
            record.disconnected = True
        except (BrokenPipeError, ConnectionResetError):
            record.disconnected = True
        finally:
            fake._end(record)

    def _complete(self, answer: Answer, record: Record) -> None:
        """A non-streamed answer (``stream: false``), for clients that ask for one."""
        text = "".join(answer.tokens()) if isinstance(answer, Text) else ""
        if isinstance(answer, Error):
            answer.serve(self, record)
            return
        data = json.dumps(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self._model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # --- streaming helpers used by the answers -----------------------------------

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self._sent_role = False

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def chunk(
        self, delta: dict[str, Any], *, finish: str | None = None, record: Record | None = None
    ) -> None:
        if not self._sent_role:
            delta = {"role": "assistant", **delta}
            self._sent_role = True
        payload = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self._model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        self._write(f"data: {json.dumps(payload)}\n\n".encode())
        if record is not None and "content" in delta:
            record.token_times.append(time.monotonic())

    def done(self) -> None:
        self._write(b"data: [DONE]\n\n")

    def pause(self, seconds: float, record: Record) -> None:
        """Wait ``seconds``, but notice at once when the client closes the connection."""
        deadline = time.monotonic() + seconds
        sock = self.connection
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            readable, _, _ = select.select([sock], [], [], min(remaining, 0.05))
            if readable:
                try:
                    peeked = sock.recv(1, socket.MSG_PEEK)
                except OSError:
                    raise _Gone() from None
                if not peeked:
                    raise _Gone()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 50 clients connecting at once (the benchmark)
    fake: FakeLLM


class FakeLLM:
    """The server; a context manager that starts and stops it (by shutting it down)."""

    def __init__(self, *, default: Answer | None = None, port: int = 0) -> None:
        """``default``: the answer to unscripted requests (else ``You said: <text>``)."""
        self.default = default
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.fake = self
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/v1"
        self.requests: list[Record] = []
        self.max_active = 0
        self._active = 0
        self._scripts: dict[str, list[Script]] = {}
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def script(self, user_text: str, *answers: Script) -> None:
        """Answer the next requests whose last user message is ``user_text`` with
        ``answers``, in order (an answer may be a function of the request)."""
        with self._condition:
            self._scripts[user_text] = list(answers)

    def reset(self) -> None:
        with self._condition:
            self._scripts.clear()
            self.requests.clear()
            self.max_active = 0

    @staticmethod
    def last_user_text(record: Record) -> str:
        for message in reversed(record.messages):
            if message.get("role") == "user":
                content = message.get("content")
                return content if isinstance(content, str) else json.dumps(content)
        return ""

    def _answer_for(self, record: Record) -> Answer:
        text = self.last_user_text(record)
        with self._condition:
            queue = self._scripts.get(text)
            script = queue.pop(0) if queue else None
        if script is None:
            return self.default or Text(f"You said: {text}")
        return script(record) if callable(script) and not isinstance(script, Answer) else script  # type: ignore[return-value]

    def _begin(self, record: Record) -> None:
        with self._condition:
            self.requests.append(record)
            self._active += 1
            self.max_active = max(self.max_active, self._active)
            self._condition.notify_all()

    def _end(self, record: Record) -> None:
        with self._condition:
            record.finished = time.monotonic()
            self._active -= 1
            self._condition.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Block until ``predicate()`` holds (checked on every request start and end),
        or raise ``TimeoutError``."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the fake model server never got there")
                self._condition.wait(min(remaining, 0.1))

    def requests_for(self, user_text: str) -> list[Record]:
        with self._condition:
            return [r for r in self.requests if self.last_user_text(r) == user_text]

    def __iter__(self) -> Iterator[Record]:
        with self._condition:
            return iter(list(self.requests))


def main() -> None:
    """``python -m tests.fake_llm --tokens N [--delay S]``: serve until stopped, every
    request answered with N streamed tokens (the benchmarks' model endpoint). Prints
    ``listening <base url>`` once it serves."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between tokens")
    options = parser.parse_args()
    answer = Text([" tok"] * options.tokens, delay=options.delay)
    with FakeLLM(default=answer) as fake:
        print(f"listening {fake.base_url}", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        stop.wait(3600)  # a bound: an hour at most


if __name__ == "__main__":
    main()
