"""A copilot for failover tests: signed-in users, persistence (``COPILOT_TEST_DATABASE_URL``)
and, under gunicorn, several workers over Redis (``COPILOT_MESSAGE_QUEUE``).

Messages: ``pid`` names the worker; ``gated TEXT`` answers ``Done: TEXT`` once the file
``COPILOT_TEST_GATE`` exists (so a test can kill the worker while the handler runs);
anything else is noted. A browser signs in at ``/login/<name>``; ``/`` embeds the widget
with ``{{ copilot_widget() }}``.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask, redirect, render_template_string, session

from flask_copilot import Copilot, Message, User

SECRET = "failover-secret-0123456789-0123456789-0123"
GATE_TIMEOUT = 60.0
copilot = Copilot()

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Failover</title></head>
<body><h1>Failover</h1>{{ copilot_widget() }}</body></html>
"""


@copilot.identity_loader
def logged_in_user() -> User | None:
    name = session.get("user")
    return User(name) if name else None


@copilot.on_chat_start
def start() -> None:
    Message("How can I help?").send()


@copilot.on_chat_resume
def resume(thread: dict[str, Any]) -> None:
    Message(f"Welcome back ({len(thread['messages'])} messages)").send()


@copilot.on_message
def answer(msg: Message) -> None:
    command, _, rest = msg.content.partition(" ")
    if command == "pid":
        Message(str(os.getpid())).send()
    elif command == "gated":
        gate = os.environ["COPILOT_TEST_GATE"]
        deadline = time.monotonic() + GATE_TIMEOUT
        while not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.05)  # cooperative: gunicorn's gevent worker patches time
        Message(f"Done: {rest}").send()
    else:
        Message(f"Noted: {msg.content}").send()


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.secret_key = "failover-tests-site"
    app.config["COPILOT_AUTH_SECRET"] = SECRET
    app.config["COPILOT_DATABASE_URL"] = database_url or os.environ["COPILOT_TEST_DATABASE_URL"]
    copilot.init_app(app)

    @app.get("/")
    def home() -> str:
        return render_template_string(PAGE)

    @app.get("/login/<name>")
    def login(name: str) -> Any:
        session["user"] = name
        return redirect("/")

    return app
