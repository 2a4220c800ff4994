"""The app the end-to-end tests talk to, in every async mode.

Served in-process (threading) or by gunicorn (``tests.apps.chat_app:create_app()``,
mode from ``COPILOT_ASYNC_MODE``). Messages are commands: ``echo X``, ``stream N BUSY``…
"""

from __future__ import annotations

import os
import time

from flask import Flask, jsonify

from flask_copilot import Copilot, ErrorMessage, Message, context, user_session

copilot = Copilot()
ENDED: list[str] = []
STOPPED: list[str] = []


def spin(seconds: float) -> None:
    """Burn CPU without ever yielding: the worst case for a cooperative hub."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


@copilot.on_chat_start
def start() -> None:
    user_session.set("count", 0)
    Message("Welcome!").send()


@copilot.on_message
def on_message(msg: Message) -> None:
    if msg.type == "system_message":
        user_session.set("page_context", msg.content)
        return
    command, _, arg = msg.content.partition(" ")
    count = user_session.get("count", 0) + 1
    user_session.set("count", count)
    if command == "stream":
        n, busy = arg.split()
        reply = Message("")
        for i in range(int(n)):
            spin(float(busy))
            reply.stream_token(f"t{i} ")
        reply.send()
    elif command == "update":
        reply = Message("version 1").send()
        reply.content = "version 2"
        reply.update()
    elif command == "remove":
        Message("temporary").send().remove()
        Message("removed").send()
    elif command == "crash":
        raise ValueError("boom")
    elif command == "sleep":
        time.sleep(float(arg))
        Message(f"slept {arg}").send()
    elif command == "context":
        Message(f"context: {user_session.get('page_context')}").send()
    elif command == "count":
        Message(f"count: {count}").send()
    elif command == "whoami":
        Message(f"{context.session.client_type} {context.session.id}").send()
    elif command == "error":
        ErrorMessage("a handled problem").send()
    else:
        Message(f"You said: {msg.content}").send()


@copilot.on_stop
def stopped() -> None:
    STOPPED.append(context.session.id)


@copilot.on_chat_end
def ended() -> None:
    ENDED.append(context.session.id)


def create_app(mode: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["COPILOT_ASYNC_MODE"] = mode or os.environ.get("COPILOT_ASYNC_MODE", "threading")
    app.config["COPILOT_MAX_MESSAGE_CHARS"] = 2000
    copilot.init_app(app)

    @app.get("/test/ended")
    def ended_sessions():  # type: ignore[no-untyped-def]
        return jsonify(ended=ENDED, stopped=STOPPED)

    return app
