"""An app as the README writes it: no ``COPILOT_ASYNC_MODE``; the server it runs under
decides. Logs flask_copilot's INFO lines (a real app would configure logging too).

``mode`` answers the async mode the copilot runs in, ``sleep S`` blocks with
``time.sleep``, anything else is echoed.
"""

from __future__ import annotations

import logging
import time

from flask import Flask

from flask_copilot import Copilot, Message
from flask_copilot.server.state import get_state

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

app = Flask(__name__)
copilot = Copilot(app)


@copilot.on_message
def answer(msg: Message) -> None:
    command, _, arg = msg.content.partition(" ")
    if command == "mode":
        Message(get_state(app).runtime.async_mode).send()
    elif command == "sleep":
        time.sleep(float(arg))
        Message(f"slept {arg}").send()
    else:
        Message(f"You said: {msg.content}").send()
