"""The two servers the benchmarks start under gunicorn: ours and the bare floor.

    gunicorn -k gevent -w 1 'bench.apps:make_copilot()'   # COPILOT_ASYNC_MODE=gevent
    gunicorn -k gevent -w 1 'bench.apps:make_floor()'

Both read the async mode from ``COPILOT_ASYNC_MODE`` (it must match the worker class).
``make_upload_floor`` is the floor of ``bench/upload_bench.py`` (see there).

Ours (``make_copilot``): ``Copilot(app)`` with one ``@copilot.on_message`` handler.
Persistence is off (``COPILOT_DATABASE_URL = None``: the floor stores nothing either)
unless ``BENCH_STORE=default``, which keeps the extension's default (a SQLite file in
the instance folder, ``BENCH_INSTANCE``: a temporary folder of the run). The client
drives the handler by the message's text:

- anything else: ``Message(content).send()`` — one reply message (the round trip).
- ``stream N``: one ``Message`` streamed as N ``stream_token`` calls, never sleeping,
  then ``send()``. The first token is ``time.monotonic()`` taken just before its
  ``stream_token`` call (CLOCK_MONOTONIC is one clock for every process of the
  machine), so the client can tell how long a token took from ``stream_token`` to it.
- ``call``: ``CopilotFunction("echo", {...}).call()``, timed around ``.call()`` on the
  server; the reply's content is that time in seconds.

The floor (``make_floor``): a bare ``SocketIO(app, async_mode=mode)`` with
Flask-SocketIO's defaults (``async_handlers=True``: each event handled in a new
thread/greenlet, as our runner also runs each message's handler on a task of its own):

- ``msg`` → ``emit('reply', data)`` to the sender: receive one event, send one back.
- ``stream {id, n}`` → n ``emit('token')`` (``socketio.sleep(0)`` after each under
  gevent/eventlet, as our ``stream_token`` does, so tokens leave as produced), then
  ``emit('reply')``; the first token carries its ``time.monotonic()`` like ours.
- ``callfn {id}`` → ``socketio.call('call_fn', {...}, to=sid)`` (an ack round trip to
  the page), timed like ours, then ``emit('reply', {id, dt})``.
- ``msg5 {id, content}`` ("floor-5", the same packets as our protocol, none of our
  work): emit an echo ``new_message`` (a message object shaped like ours), start a
  background task, return the ack ``{ok, id}``; the task emits ``task_start``, the
  reply ``new_message`` and ``reply`` (standing in for ``task_end``). Five packets out
  per message, like ours, so "ours ÷ floor-5" is the cost of our code alone.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask, request

CALL_ARGS = {"row": 7, "text": "hello from the server"}


def _mode() -> str:
    return os.environ.get("COPILOT_ASYNC_MODE", "threading")


def make_copilot() -> Flask:
    from flask_copilot import Copilot, CopilotFunction, Message

    instance = os.environ.get("BENCH_INSTANCE") or None
    app = Flask("bench_copilot", instance_path=instance)
    app.config["COPILOT_ASYNC_MODE"] = _mode()
    if os.environ.get("BENCH_STORE", "off") == "default":
        if instance is None:
            raise RuntimeError("BENCH_STORE=default needs BENCH_INSTANCE (a scratch folder)")
        app.config["COPILOT_DATABASE_URL"] = "default"
    else:
        app.config["COPILOT_DATABASE_URL"] = None
    # Every bench client comes from 127.0.0.1, thousands of them at once.
    app.config["COPILOT_MAX_SESSIONS_PER_ADDRESS"] = None
    if os.environ.get("BENCH_UPLOAD_MB"):  # bench/upload_bench.py: files go to BENCH_INSTANCE
        app.config["COPILOT_MAX_UPLOAD_MB"] = float(os.environ["BENCH_UPLOAD_MB"])
        app.config["COPILOT_MAX_FILES"] = 1
    copilot = Copilot(app)

    @copilot.on_message
    def answer(msg: Message) -> None:
        content = msg.content
        if content.startswith("stream "):
            count = int(content[7:])
            reply = Message("")
            reply.stream_token(f"{time.monotonic():.6f}")
            for _ in range(count - 1):
                reply.stream_token(" tok")
            reply.send()
        elif content == "call":
            started = time.perf_counter()
            CopilotFunction("echo", CALL_ARGS).call()
            Message(f"{time.perf_counter() - started:.6f}").send()
        else:
            Message(content).send()

    @app.get("/health")
    def health() -> Any:
        return {"ok": True}

    return app


def make_assistant() -> Flask:
    """Ours with ``flask_copilot.llm``: every message is answered by ``Assistant.reply``
    from the model endpoint at ``BENCH_LLM_URL`` (``tests/fake_llm.py`` streaming a
    fixed number of tokens). Persistence off, as in ``make_copilot``."""
    from openai import OpenAI

    from flask_copilot import Copilot, Message
    from flask_copilot.llm import Assistant

    app = Flask("bench_assistant")
    app.config["COPILOT_ASYNC_MODE"] = _mode()
    app.config["COPILOT_DATABASE_URL"] = None
    copilot = Copilot(app)
    client = OpenAI(base_url=os.environ["BENCH_LLM_URL"], api_key="bench", max_retries=0)
    assistant = Assistant(client, model="bench-model", instructions=SDK_INSTRUCTIONS)

    @copilot.on_message
    def answer(msg: Message) -> None:
        assistant.reply(msg)

    @app.get("/health")
    def health() -> Any:
        return {"ok": True}

    return app


#: What both the assistant and the direct SDK client of the benchmark send as the system
#: prompt (bench/assistant_bench.py).
SDK_INSTRUCTIONS = "You are a benchmark. Answer with many tokens."


def _wire_message(message_id: str, content: str, kind: str) -> dict[str, Any]:
    """A message object with the fields (and about the size) of ours on the wire."""
    return {
        "id": message_id,
        "threadId": "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f",
        "type": kind,
        "author": "Assistant" if kind == "assistant_message" else "User",
        "content": content,
        "createdAt": "2026-11-24T10:00:00.000+00:00",
        "streaming": False,
        "isError": False,
        "parentId": None,
        "metadata": {},
        "actions": [],
        "elements": [],
    }


def make_floor() -> Flask:
    from flask_socketio import SocketIO, emit

    mode = _mode()
    app = Flask("bench_floor")
    socketio = SocketIO(app, async_mode=mode)
    cooperative = mode in ("gevent", "eventlet")

    @socketio.on("msg")
    def on_msg(data: Any) -> None:
        emit("reply", data)

    def reply5(sid: str, message_id: str, content: str) -> None:
        socketio.emit("task_start", {"seq": 2, "messageId": message_id}, to=sid)
        socketio.emit(
            "new_message",
            {"seq": 3, "message": _wire_message(message_id + "r", content, "assistant_message")},
            to=sid,
        )
        socketio.emit("reply", {"seq": 4, "id": message_id}, to=sid)

    @socketio.on("msg5")
    def on_msg5(data: Any) -> Any:
        message_id = str(data["id"])
        emit(
            "new_message",
            {"seq": 1, "message": _wire_message(message_id, data["content"], "user_message")},
        )
        socketio.start_background_task(reply5, request.sid, message_id, data["content"])  # type: ignore[attr-defined]
        return {"ok": True, "id": message_id}

    @socketio.on("stream")
    def on_stream(data: Any) -> None:
        message_id = data["id"]
        emit("token", {"id": message_id, "token": f"{time.monotonic():.6f}"})
        if cooperative:
            socketio.sleep(0)
        for _ in range(int(data["n"]) - 1):
            emit("token", {"id": message_id, "token": " tok"})
            if cooperative:
                socketio.sleep(0)
        emit("reply", {"id": message_id})

    @socketio.on("callfn")
    def on_callfn(data: Any) -> None:
        sid = request.sid  # type: ignore[attr-defined]
        started = time.perf_counter()
        socketio.call("call_fn", CALL_ARGS, to=sid, timeout=10)
        emit("reply", {"id": data["id"], "dt": time.perf_counter() - started})

    @app.get("/health")
    def health() -> Any:
        return {"ok": True}

    return app


def make_upload_floor() -> Flask:
    """The floor of ``bench/upload_bench.py``: a bare Flask upload view. Werkzeug's form
    parser spools each file to a temporary file (past 500 KB), then ``save()`` copies it
    into ``BENCH_INSTANCE``."""
    import uuid

    folder = os.environ["BENCH_INSTANCE"]
    app = Flask("bench_upload_floor")

    @app.post("/upload")
    def upload() -> Any:
        stored = request.files["file"]
        path = os.path.join(folder, uuid.uuid4().hex)
        stored.save(path)
        return {"size": os.path.getsize(path)}, 201

    @app.get("/health")
    def health() -> Any:
        return {"ok": True}

    return app
