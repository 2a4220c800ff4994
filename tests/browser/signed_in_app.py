"""A site with its own login (a plain Flask session) whose Jinja page embeds the copilot
with ``{{ copilot_widget() }}``: the widget gets a token for whoever is logged in.

Conversations are stored (``COPILOT_DATABASE_URL``, or the ``database_url`` argument),
so signed-in users have history and feedback. Runs in-process (``create_app(url)``) or
as a server process: ``python -m flask_copilot run "tests.browser.signed_in_app:create_app()"``.

- ``/login/<name>`` signs ``name`` in and goes to ``/``; ``/logout`` signs out.
- The assistant greets, answers ``Noted for <identifier>: <text>``, and welcomes a resumed
  conversation back; ``/test/feedback`` lists the feedback it received.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify, redirect, render_template_string, session

from flask_copilot import Copilot, Feedback, Message, User, context

SECRET = "browser-signed-in-secret-0123456789-abcdef"
GREETING = "How can I help?"

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Signed-in site</title></head>
<body>
  <h1>{{ "Hello, " ~ session["user"] if session.get("user") else "Logged out" }}</h1>
  {{ copilot_widget() }}
</body>
</html>
"""


def create_app(
    database_url: str | None = None, *, auth: str | None = None, shared_secret: bool = True
) -> Flask:
    """``auth``: ``COPILOT_AUTH`` (default: required, as an identity loader implies);
    ``shared_secret=False``: no ``COPILOT_AUTH_SECRET``, tokens are signed with a key
    derived from ``SECRET_KEY``."""
    app = Flask(__name__)
    # Fixed, so a login cookie stays valid across a server restart.
    app.secret_key = "browser-tests-signed-in-site"
    app.config["COPILOT_ASYNC_MODE"] = "threading"
    if shared_secret:
        app.config["COPILOT_AUTH_SECRET"] = SECRET
    if auth:
        app.config["COPILOT_AUTH"] = auth
    app.config["COPILOT_DATABASE_URL"] = database_url or os.environ["COPILOT_DATABASE_URL"]
    copilot = Copilot(app)
    received: list[dict[str, Any]] = []

    @copilot.identity_loader
    def logged_in_user() -> User | None:
        name = session.get("user")
        return User(name) if name else None

    @copilot.on_chat_start
    def start() -> None:
        Message(GREETING).send()

    @copilot.on_chat_resume
    def resume(thread: dict[str, Any]) -> None:
        Message(f"Welcome back to '{thread['name']}'.").send()

    @copilot.on_message
    def answer(msg: Message) -> None:
        user = context.session.user
        Message(f"Noted for {user.identifier if user else 'nobody'}: {msg.content}").send()

    @copilot.on_feedback
    def collect(feedback: Feedback) -> None:
        received.append(
            {"message": feedback.message_id, "value": feedback.value, "comment": feedback.comment}
        )

    @app.get("/")
    def home() -> str:
        return render_template_string(PAGE)

    @app.get("/login/<name>")
    def login(name: str) -> Any:
        session["user"] = name
        return redirect("/")

    @app.get("/logout")
    def logout() -> Any:
        session.pop("user", None)
        return redirect("/")

    @app.get("/test/feedback")
    def feedback_seen() -> Any:
        return jsonify(received)

    return app
