"""An app with persistence and signed-in users: history, resume and feedback."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify

from flask_copilot import (
    Copilot,
    Feedback,
    Message,
    User,
    context,
    init_http_context,
)

SECRET = "history-secret-0123456789-0123456789-0123"
copilot = Copilot()
FEEDBACK: list[dict[str, Any]] = []


@copilot.on_chat_start
def start() -> None:
    Message("How can I help?").send()


@copilot.on_chat_resume
def resume(thread: dict[str, Any]) -> None:
    Message(f"Welcome back to '{thread['name']}' ({len(thread['messages'])} messages)").send()


@copilot.on_message
def answer(msg: Message) -> None:
    if msg.content == "crash":
        raise RuntimeError("the handler fell over")
    Message(f"Noted: {msg.content}").send()


@copilot.on_feedback
def collect(feedback: Feedback) -> None:
    FEEDBACK.append(
        {
            "message": feedback.message_id,
            "value": feedback.value,
            "comment": feedback.comment,
            "session": context.session.id,
        }
    )


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["COPILOT_AUTH_SECRET"] = SECRET
    app.config["COPILOT_DATABASE_URL"] = database_url or os.environ["COPILOT_TEST_DATABASE_URL"]
    copilot.init_app(app)

    @app.get("/test/feedback")
    def feedback_seen():  # type: ignore[no-untyped-def]
        return jsonify(FEEDBACK)

    @app.post("/test/note/<thread_id>")
    def note(thread_id: str):  # type: ignore[no-untyped-def]
        init_http_context(user=User("alice"), thread_id=thread_id)
        Message("Written from a plain view").send()
        return jsonify(ok=True)

    return app
