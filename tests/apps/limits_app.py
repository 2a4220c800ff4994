"""An echo copilot for limit tests, served by gunicorn: replies are as large as the
messages (so the replay buffer fills with both), ``pid`` names the worker."""

from __future__ import annotations

import os

from flask import Flask

from flask_copilot import Copilot, Message

copilot = Copilot()


@copilot.on_message
def echo(msg: Message) -> None:
    if msg.content == "pid":
        Message(str(os.getpid())).send()
    else:
        Message(f"You said: {msg.content}").send()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["COPILOT_MAX_MESSAGE_CHARS"] = 100_000
    for key in ("COPILOT_REPLAY_BUFFER_BYTES", "COPILOT_REPLAY_BUFFER"):
        if key in os.environ:
            app.config[key] = int(os.environ[key])
    copilot.init_app(app)  # COPILOT_DATABASE_URL from the environment
    return app
