"""The copilot server the browser tests talk to: a scripted assistant, no API key.

What the user types decides what the handler does:

- ``call <text>``: calls the page's ``test`` function (the seed page answers it) and
  replies with the result; ``lookup <item>`` / ``explode`` call functions of host.html.
- ``xss``: replies with Markdown full of script-injection attempts.
- ``ask``: asks for the user's name; ``confirm``: asks with two action buttons.
- anything else: a streamed reply, token by token.

System messages are recorded in ``app.extensions["browser_test"]`` (and shown nowhere).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from flask import Flask

from flask_copilot import (
    Action,
    AskActionMessage,
    AskUserMessage,
    Copilot,
    CopilotFunction,
    CopilotFunctionError,
    Message,
    user_session,
)

#: Each attempt would set ``window.__pwned`` if anything in it ever ran.
XSS_REPLY = """\
Here is <img src=x onerror="window.__pwned='img'"> an image.

<script>window.__pwned = 'script'</script>

[click me](javascript:window.__pwned='link') and [data](data:text/html,<script>alert(1)</script>)

<a href="javascript:window.__pwned='a'">raw link</a> <svg onload="window.__pwned='svg'"></svg>

<iframe src="javascript:window.__pwned='iframe'"></iframe>

![pic](javascript:window.__pwned='md-img') ![pic2](x" onerror="window.__pwned='attr')

**bold <b onmouseover="window.__pwned='b'">hover</b>** `<script>window.__pwned='code'</script>`
"""

STREAMED_WORDS = ["Streaming ", "a ", "reply, ", "**word** ", "by ", "word."]


@dataclass
class Recorder:
    """What the handlers saw, for the tests to assert on (they share the process)."""

    system_messages: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_system(self, content: str) -> None:
        with self.lock:
            self.system_messages.append(content)

    def wait_for_system(self, content: str, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if content in self.system_messages:
                    return True
            time.sleep(0.02)
        return False


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["COPILOT_ASYNC_MODE"] = "threading"
    app.config["COPILOT_FUNCTION_TIMEOUT"] = 5
    app.config["COPILOT_ASK_TIMEOUT"] = 10
    copilot = Copilot(app)
    recorder = Recorder()
    app.extensions["browser_test"] = recorder

    @copilot.on_message
    def answer(msg: Message) -> None:
        if msg.type == "system_message":
            recorder.add_system(msg.content)
            user_session.set("context", msg.content)
            return
        text = msg.content.strip()
        if text.startswith("call "):
            result = CopilotFunction("test", {"msg": text[5:]}).call()
            Message(f"The page answered: {result}").send()
        elif text.startswith("lookup "):
            found = CopilotFunction("lookup", {"item": text[7:]}).call()
            Message(f"{found['item']}: {found['stock']} in stock").send()
        elif text == "explode":
            try:
                CopilotFunction("explode").call()
            except CopilotFunctionError as exc:
                Message(f"Error from the page: {exc}").send()
        elif text == "xss":
            Message(XSS_REPLY).send()
        elif text == "context":
            Message(f"Context: {user_session.get('context')}").send()
        elif text == "ask":
            reply = AskUserMessage("What is your **name**?", timeout=10).send()
            Message(f"Hello, {reply['output'] if reply else 'nobody'}!").send()
        elif text == "confirm":
            actions = [Action("yes", {"go": True}, "Yes, go"), Action("no", {}, "No")]
            chosen = AskActionMessage("Shall I go ahead?", actions, timeout=10).send()
            Message(f"You chose {chosen['label'] if chosen else 'nothing'}.").send()
        else:
            reply = Message("")
            for word in STREAMED_WORDS:
                reply.stream_token(word)
                time.sleep(0.04)  # slow enough for the browser to see each token land
            reply.send()

    return app
