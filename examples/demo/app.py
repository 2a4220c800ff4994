"""The demo: a small host page with the copilot embedded. No API key needed.

Run it with ``scripts/demo.sh`` (or ``flask-copilot run examples.demo.app:app``) and open
http://127.0.0.1:8000/.
"""

from __future__ import annotations

import os
import time

from flask import Flask, render_template

from flask_copilot import Copilot, Message, user_session

app = Flask(__name__)
app.config["COPILOT_ASYNC_MODE"] = os.environ.get("COPILOT_ASYNC_MODE", "threading")
copilot = Copilot(app)


@app.get("/")
def index() -> str:
    return render_template("index.html")


@copilot.on_chat_start
def greet() -> None:
    Message(
        "Hi! I'm the demo copilot. Select a row in the table and ask me about it, "
        "or just say hello."
    ).send()


@copilot.on_message
def answer(msg: Message) -> None:
    if msg.type == "system_message":
        user_session.set("selection", msg.content)  # context pushed by the page
        return
    selection = user_session.get("selection")
    text = f"You said **{msg.content}**."
    if selection:
        text += f" On the page you selected: *{selection}*."
    reply = Message("")
    for word in text.split(" "):
        time.sleep(0.03)  # a scripted "model", streaming word by word
        reply.stream_token(word + " ")
    reply.send()
