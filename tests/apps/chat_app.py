"""The app the end-to-end tests talk to, in every async mode.

Served in-process (threading) or by gunicorn (``tests.apps.chat_app:create_app()``,
mode from ``COPILOT_ASYNC_MODE``). Messages are commands: ``echo X``, ``stream N BUSY``…
"""

from __future__ import annotations

import json
import os
import time

from flask import Flask, jsonify

from flask_copilot import (
    Action,
    AskActionMessage,
    AskUserMessage,
    Copilot,
    CopilotFunction,
    CopilotFunctionError,
    CopilotFunctionTimeout,
    ErrorMessage,
    Message,
    WebsocketSession,
    context,
    init_ws_context,
    user_session,
)

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
    elif command == "pid":
        Message(str(os.getpid())).send()
    elif command == "hold":
        # Under gevent/eventlet: occupy this worker process for ``arg`` seconds (no
        # greenlet of it runs, so it accepts no connection) after saying so.
        Message("holding").send()
        spin(float(arg))
        Message("released").send()
    elif command == "whoami":
        Message(f"{context.session.client_type} {context.session.id}").send()
    elif command == "error":
        ErrorMessage("a handled problem").send()
    elif command in ("call", "callfast", "calltwice"):
        name, _, args = arg.partition(" ")
        timeout = 0.5 if command == "callfast" else None
        calls = 2 if command == "calltwice" else 1
        for i in range(calls):
            try:
                result = CopilotFunction(name, json.loads(args or "{}")).call(timeout=timeout)
                Message(f"page said: {json.dumps(result)}").send()
            except CopilotFunctionTimeout as exc:
                Message(f"function timeout: {exc}").send()
            except CopilotFunctionError as exc:
                Message(f"function error: {exc}").send()
            args = json.dumps({"call": i + 2})
    elif command == "ask":
        answer = AskUserMessage("What's your name?", timeout=0.5 if arg == "fast" else None).send()
        Message(f"hello {answer['content']}" if answer else "no answer").send()
    elif command == "choose":
        choices = [Action("pick", {"v": 1}, "One"), Action("pick", {"v": 2}, "Two")]
        picked = AskActionMessage(
            "Pick one", choices, timeout=0.5 if arg == "fast" else None
        ).send()
        Message(f"picked {picked['payload']['v']}" if picked else "no choice").send()
    elif command == "buttons":
        buttons = [Action("greet", {"who": "world"}, "Greet"), Action("unhandled", {}, "Nope")]
        Message("Press a button", actions=buttons).send()
    elif command == "longstream":
        reply = Message("")
        for i in range(300):
            time.sleep(0.01)
            reply.stream_token(f"{i} ")
        reply.send()
    else:
        Message(f"You said: {msg.content}").send()


@copilot.action_callback("greet")
def greet(action: Action) -> None:
    Message(f"hello {action.payload['who']}").send()


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
    app.config["COPILOT_DISCONNECT_GRACE"] = 0.5
    copilot.init_app(app)

    @app.get("/test/push/<session_id>")
    def push(session_id: str):  # type: ignore[no-untyped-def]
        init_ws_context(WebsocketSession.get_by_id(session_id))
        Message(f"pushed by {os.getpid()}").send()
        return jsonify(pid=os.getpid())

    @app.get("/test/ended")
    def ended_sessions():  # type: ignore[no-untyped-def]
        return jsonify(ended=ENDED, stopped=STOPPED)

    return app
