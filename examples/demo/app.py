"""The demo: a small to-do list app with the copilot embedded.

Run it with ``scripts/demo.sh`` (or ``flask-copilot run examples.demo.app:app``) and open
http://127.0.0.1:8000/. The page is rendered by Jinja and embeds the widget with one
script tag. It declares its functions with ``registerCopilotFunction`` (``add_row``,
``highlight_row``, ``set_done``, ``filter_rows``, and ``remove_row``, which the user
must approve) and shares its rows, its filter and the clicked row with
``setCopilotContext`` (``static/todos.js``). Whatever the copilot does, the page's own
code does it, through the same HTTP API its buttons use.

- With ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` set (any OpenAI-compatible server;
  ``OPENAI_MODEL``, default ``gpt-4o-mini``), a model answers: ``flask_copilot.llm``'s
  :class:`Assistant`, offered the page's functions and one Python tool.
- Without, a scripted assistant understands a few phrases
  (``examples/demo/assistant.py``) and calls the same page functions with
  ``CopilotFunction(...).call()``.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from flask import Flask, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from flask_copilot import (
    Copilot,
    CopilotFunction,
    CopilotFunctionDeclined,
    CopilotFunctionError,
    CopilotFunctionTimeout,
    Message,
    context,
)

from .assistant import HELP, Command, parse

GREETING = "Hi! I'm the demo copilot. " + HELP
MODEL_GREETING = (
    "Hi! I can read this to-do list and work it for you: add, tick off, filter, "
    "highlight or remove rows (I ask before removing). What shall we do?"
)
INSTRUCTIONS = """\
You are the copilot of a to-do list web page. You see the list as the page shares it
(rows, filter, the row the user clicked) and you change it only by calling the page's
functions. Row numbers are the ones shown in the # column. Answer briefly."""


@dataclass
class Todo:
    id: int
    title: str
    done: bool = False


class TodoList:
    """The app's data: in memory, shared by everyone using this process."""

    def __init__(self, titles: list[str]) -> None:
        self._lock = threading.Lock()
        self._todos: list[Todo] = []
        self._next_id = 1
        for title in titles:
            self.add(title)

    def all(self) -> list[Todo]:
        with self._lock:
            return list(self._todos)

    def add(self, title: str) -> Todo:
        with self._lock:
            todo = Todo(self._next_id, title)
            self._next_id += 1
            self._todos.append(todo)
            return todo

    def update(self, todo_id: int, done: bool) -> Todo | None:
        with self._lock:
            for todo in self._todos:
                if todo.id == todo_id:
                    todo.done = done
                    return todo
        return None

    def remove(self, todo_id: int) -> bool:
        with self._lock:
            before = len(self._todos)
            self._todos = [t for t in self._todos if t.id != todo_id]
            return len(self._todos) < before


def make_assistant() -> Any:
    """The model-backed assistant, when an endpoint is configured (else ``None``)."""
    if not (os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")):
        return None
    from openai import OpenAI

    from flask_copilot.llm import Assistant

    client = OpenAI(
        # Local servers (Ollama, vLLM, llama.cpp…) take any key.
        api_key=os.environ.get("OPENAI_API_KEY") or "unused",
        base_url=os.environ.get("OPENAI_BASE_URL") or None,
    )
    assistant = Assistant(
        client=client,
        model=os.environ.get("OPENAI_MODEL", "gpt-4o-mini"),
        instructions=INSTRUCTIONS,
    )

    @assistant.tool
    def todays_date() -> str:
        """Today's date (ISO 8601), for questions about deadlines."""
        return date.today().isoformat()

    return assistant


def create_app(async_mode: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["COPILOT_ASYNC_MODE"] = async_mode or os.environ.get(
        "COPILOT_ASYNC_MODE", "threading"
    )
    app.config["COPILOT_FUNCTION_TIMEOUT"] = 10
    copilot = Copilot(app)
    todos = TodoList(["Buy coffee beans", "Water the plants", "Call the plumber"])
    app.extensions["demo_todos"] = todos
    assistant = make_assistant()

    # ---- the app itself ---------------------------------------------------------

    @app.get("/")
    def index() -> str:
        return render_template("index.html", todos=todos.all(), with_model=assistant is not None)

    @app.get("/favicon.ico")
    def favicon() -> ResponseReturnValue:
        # For clients that ask without reading the page's <link rel="icon">.
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.post("/api/todos")
    def add_todo() -> ResponseReturnValue:
        title = str((request.get_json(silent=True) or {}).get("title", "")).strip()
        if not title or len(title) > 200:
            return jsonify(error="a title of 1–200 characters is needed"), 400
        return jsonify(asdict(todos.add(title))), 201

    @app.patch("/api/todos/<int:todo_id>")
    def update_todo(todo_id: int) -> ResponseReturnValue:
        done = bool((request.get_json(silent=True) or {}).get("done"))
        todo = todos.update(todo_id, done)
        if todo is None:
            abort(404)
        return jsonify(asdict(todo))

    @app.delete("/api/todos/<int:todo_id>")
    def delete_todo(todo_id: int) -> ResponseReturnValue:
        if not todos.remove(todo_id):
            abort(404)
        return "", 204

    # ---- the copilot ------------------------------------------------------------

    @copilot.on_chat_start
    def greet() -> None:
        Message(MODEL_GREETING if assistant is not None else GREETING).send()

    @copilot.on_message
    def answer(msg: Message) -> None:
        if msg.type != "user_message":
            return  # context the page pushed; the model gets it with the conversation
        if assistant is not None:
            assistant.reply(msg)
            return
        command = parse(msg.content)
        if command is None:
            scripted_help()
            return
        try:
            carry_out(command)
        except CopilotFunctionDeclined:
            Message("All right, I left it as it is.").send()
        except CopilotFunctionTimeout:
            Message("The page did not answer in time. Is the tab still open?").send()
        except CopilotFunctionError as exc:
            Message(f"That did not work: {exc}").send()

    return app


def page_function(name: str, **args: Any) -> Any:
    """Call one of the functions the page declared (``registerCopilotFunction``)."""
    return CopilotFunction(name, args).call()


def carry_out(command: Command) -> None:
    args = command.args
    if command.name == "help":
        Message(HELP).send()
    elif command.name == "add":
        row = page_function("add_row", title=args["title"])
        Message(f"Added **{row['title']}** as row {row['row']}.").send()
    elif command.name == "highlight":
        row = page_function("highlight_row", row=args["row"])
        Message(f"Here is row {row['row']}: **{row['title']}**.").send()
    elif command.name in ("done", "undo"):
        done = command.name == "done"
        row = page_function("set_done", row=args["row"], done=done)
        verb = "Ticked off" if done else "Reopened"
        Message(f"{verb} **{row['title']}**.").send()
    elif command.name == "filter":
        shown = page_function("filter_rows", query=args["query"])
        Message(
            f"Showing {shown['shown']} of {shown['total']} rows matching “{args['query']}”. "
            "Say **show all** to see everything again."
        ).send()
    elif command.name == "show_all":
        shown = page_function("filter_rows", query="")
        Message(f"Showing all {shown['total']} rows.").send()
    elif command.name == "remove":
        # remove_row is declared with confirm: the user approves it in the chat first.
        row = page_function("remove_row", row=args["row"])
        Message(f"Removed **{row['title']}**.").send()
    elif command.name == "selection":
        page = context.session.page_context
        selected = page.get("selected_row")
        if not selected:
            Message("Nothing yet: click a row first.").send()
            return
        state = "done" if selected["done"] else "open"
        Message(f"You selected row {selected['row']}, “{selected['title']}” ({state}).").send()


def scripted_help() -> None:
    """Anything the phrases do not cover, without a model: the help text, streamed."""
    reply = Message("")
    text = f"I'm a scripted demo (no model configured), so I only know a few phrases. {HELP}"
    for word in text.split(" "):
        time.sleep(0.02)  # a scripted "model", streaming word by word
        reply.stream_token(word + " ")
    reply.send()


app = create_app()
