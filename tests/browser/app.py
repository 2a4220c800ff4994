"""The copilot server the browser tests talk to: a scripted assistant, no API key.

What the user types decides what the handler does:

- ``call <text>``: calls the page's ``test`` function (the seed page answers it) and
  replies with the result; ``lookup <item>`` / ``explode`` call functions of host.html.
- ``xss``: replies with Markdown full of script-injection attempts.
- ``ask``: asks for the user's name; ``confirm``: asks with two action buttons.
- ``never``: calls ``never`` with a 1 s timeout (host.html's listener never answers it);
  ``absent``: calls a function no page listens for (the default 5 s timeout).
- ``buttons``: a message with an action button (not an ask); a click runs the
  ``paint`` action callback.
- ``long``: a slow stream of 200 tokens (10 s), to be stopped; ``on_stop`` is recorded
  and says so in the chat.
- anything else: a streamed reply, token by token.

System messages and stops are recorded in ``app.extensions["browser_test"]``.
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
    CopilotFunctionTimeout,
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
LONG_TOKENS = 200


@dataclass
class Recorder:
    """What the handlers saw, for the tests to assert on (they share the process)."""

    system_messages: list[str] = field(default_factory=list)
    stops: int = 0
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
        elif text == "never":
            started = time.monotonic()
            try:
                CopilotFunction("never").call(timeout=1)
            except CopilotFunctionTimeout as exc:
                Message(f"Timed out after {time.monotonic() - started:.0f} s: {exc}").send()
        elif text == "absent":
            try:
                CopilotFunction("absent").call()
            except CopilotFunctionError as exc:
                Message(f"Failed: {exc}").send()
        elif text == "buttons":
            paint = Action("paint", {"colour": "green"}, "Green")
            Message("Pick a colour.", actions=[paint]).send()
        elif text == "long":
            reply = Message("")
            for i in range(LONG_TOKENS):
                reply.stream_token(f"t{i} ")
                time.sleep(0.05)
            reply.send()
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

    @copilot.action_callback("paint")
    def paint(action: Action) -> None:
        Message(f"Painted it {action.payload['colour']}.").send()

    @copilot.on_stop
    def stopped() -> None:
        with recorder.lock:
            recorder.stops += 1
        Message("Stopped at your request.").send()

    return app
