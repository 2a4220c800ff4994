"""The assistant's end-to-end app: ``Assistant`` over a local OpenAI-compatible server
(``tests/fake_llm.py``, at ``OPENAI_BASE_URL``), in any async mode.

Served by gunicorn (``tests.apps.assistant_app:create_app()``, mode from
``COPILOT_ASYNC_MODE``). Conversations are stored (``COPILOT_DATABASE_URL``) for
signed-in users, so steps can be seen again after a resume.

- ``/page?user=ann``: a to-do page that signs ``ann`` in, embeds the copilot, declares
  ``add_row``, ``set_done`` and ``remove_row`` (``confirm: true``) with
  ``registerCopilotFunction`` and shares its rows with ``setCopilotContext``.
- Python tools: ``price`` (plain), ``wipe`` (``confirm=True``), ``explode`` (raises).
- ``/test/state``: what the Python tools did (the tests read it from another process).
"""

from __future__ import annotations

import os
from typing import Any, Literal

from flask import Flask, jsonify, render_template_string, request, session
from openai import OpenAI

from flask_copilot import Copilot, Message, User
from flask_copilot.llm import Assistant

SECRET = "assistant-tests-secret-0123456789-abcdef"

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>To-do (assistant tests)</title></head>
<body>
  <h1>To-do</h1>
  <ol id="rows"></ol>
  {{ copilot_widget() }}
  <script>
    const rows = [];
    window.pageCalls = [];
    function show() {
      const list = document.getElementById("rows");
      list.replaceChildren(...rows.map((r) => {
        const li = document.createElement("li");
        li.textContent = r.text + (r.done ? " (done)" : "");
        return li;
      }));
      setCopilotContext("rows", rows, { description: "The rows of the to-do list, in order" });
    }
    registerCopilotFunction({
      name: "add_row",
      description: "Add a row to the to-do list",
      parameters: {
        type: "object",
        properties: { text: { type: "string", minLength: 1, pattern: "^[^<>]*$" } },
        required: ["text"],
        additionalProperties: false,
      },
      handler: ({ text }) => {
        pageCalls.push(["add_row", text]);
        rows.push({ text, done: false });
        show();
        return { row: rows.length, text };
      },
    });
    registerCopilotFunction({
      name: "set_done",
      description: "Tick a row off (1-based row number)",
      parameters: {
        type: "object",
        properties: { row: { type: "integer", minimum: 1 }, done: { type: "boolean" } },
        required: ["row", "done"],
      },
      handler: async ({ row, done }) => {
        pageCalls.push(["set_done", row]);
        if (!rows[row - 1]) throw new Error("there is no row " + row);
        rows[row - 1].done = done;
        show();
        return { row, done };
      },
    });
    registerCopilotFunction({
      name: "remove_row",
      description: "Remove a row (1-based row number)",
      parameters: { type: "object", properties: { row: { type: "integer" } }, required: ["row"] },
      confirm: true,
      handler: ({ row }) => {
        pageCalls.push(["remove_row", row]);
        const [gone] = rows.splice(row - 1, 1);
        show();
        return { removed: gone ? gone.text : null };
      },
    });
    show();
  </script>
</body>
</html>
"""

WIPED: list[str] = []


def create_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "assistant-tests-site"
    app.config["COPILOT_ASYNC_MODE"] = os.environ.get("COPILOT_ASYNC_MODE", "threading")
    app.config["COPILOT_AUTH_SECRET"] = SECRET
    app.config["COPILOT_DATABASE_URL"] = os.environ.get("COPILOT_DATABASE_URL")
    app.config["COPILOT_FUNCTION_TIMEOUT"] = 5
    app.config["COPILOT_ASK_TIMEOUT"] = 10
    copilot = Copilot(app)

    client = OpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key="test-key", max_retries=0)
    assistant = Assistant(
        client=client,
        model="fake-model",
        instructions="You help people use the to-do page.",
        timeout=float(os.environ.get("ASSISTANT_TIMEOUT", "2")),
        max_tool_rounds=int(os.environ.get("ASSISTANT_MAX_ROUNDS", "4")),
        function_timeout=float(os.environ.get("ASSISTANT_FUNCTION_TIMEOUT", "5")),
    )

    @assistant.tool
    def price(item: str, currency: Literal["EUR", "USD"] = "EUR") -> dict[str, Any]:
        """What an item costs.

        Args:
            item: The item's name.
            currency: The currency of the answer.
        """
        return {"item": item, "price": 3, "currency": currency}

    @assistant.tool(confirm=True)
    def wipe(reason: str) -> str:
        """Delete every stored list.

        Args:
            reason: Why.
        """
        WIPED.append(reason)
        return "wiped"

    @assistant.tool
    def explode() -> None:
        """A tool that always fails."""
        raise RuntimeError("the tool blew up")

    @copilot.identity_loader
    def signed_in() -> User | None:
        name = session.get("user")
        return User(name) if name else None

    @copilot.on_message
    def answer(msg: Message) -> None:
        if msg.type == "user_message":
            assistant.reply(msg)

    @app.get("/page")
    def page() -> str:
        session["user"] = request.args.get("user", "ann")
        return render_template_string(PAGE)

    @app.get("/test/state")
    def state() -> Any:
        return jsonify(wiped=WIPED)

    return app
