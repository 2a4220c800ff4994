"""The demo: a small to-do list app with the copilot embedded. No API key needed.

Run it with ``scripts/demo.sh`` (or ``flask-copilot run examples.demo.app:app``) and open
http://127.0.0.1:8000/. The page is rendered by Jinja and embeds the widget with one
script tag. It registers page functions (``add_row``, ``highlight_row``, ``set_done``,
``filter_rows``, ``remove_row``) in a ``copilot-call-fn`` listener, and pushes the row
the user clicks as a ``system_message``. The assistant below understands a few phrases
(``examples/demo/assistant.py``) and acts through those page functions with
``CopilotFunction(...).call()``, the way it would act for a real user: the page's own
code changes the list, through the same HTTP API its buttons use.

With ``OPENAI_API_KEY`` (and optionally ``OPENAI_BASE_URL``, ``OPENAI_MODEL``) set,
anything the phrases do not cover is answered by that model, streamed.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from flask import Flask, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from flask_copilot import (
    Action,
    AskActionMessage,
    Copilot,
    CopilotFunction,
    CopilotFunctionError,
    CopilotFunctionTimeout,
    Message,
    user_session,
)

from . import llm
from .assistant import HELP, Command, parse

GREETING = "Hi! I'm the demo copilot. " + HELP


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


def create_app(async_mode: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["COPILOT_ASYNC_MODE"] = async_mode or os.environ.get(
        "COPILOT_ASYNC_MODE", "threading"
    )
    app.config["COPILOT_FUNCTION_TIMEOUT"] = 10
    copilot = Copilot(app)
    todos = TodoList(["Buy coffee beans", "Water the plants", "Call the plumber"])
    app.extensions["demo_todos"] = todos

    # ---- the app itself ---------------------------------------------------------

    @app.get("/")
    def index() -> str:
        return render_template("index.html", todos=todos.all())

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
        Message(GREETING).send()

    @copilot.on_message
    def answer(msg: Message) -> None:
        if msg.type == "system_message":
            user_session.set("selection", msg.content)  # context pushed by the page
            return
        command = parse(msg.content)
        if command is None:
            chat(msg.content)
            return
        try:
            carry_out(command)
        except CopilotFunctionTimeout:
            Message("The page did not answer in time. Is the tab still open?").send()
        except CopilotFunctionError as exc:
            Message(f"That did not work: {exc}").send()

    return app


def page_function(name: str, **args: Any) -> Any:
    """Call one of the page's functions (its ``copilot-call-fn`` listener)."""
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
        confirm_and_remove(args["row"])
    elif command.name == "selection":
        selection = user_session.get("selection")
        Message(
            f"You selected {selection}." if selection else "Nothing yet: click a row first."
        ).send()


def confirm_and_remove(number: int) -> None:
    row = page_function("highlight_row", row=number)
    actions = [Action("remove", {"row": number}, "Remove it"), Action("keep", {}, "Keep it")]
    chosen = AskActionMessage(
        f"Remove row {number}, **{row['title']}**?", actions, timeout=60
    ).send()
    if chosen is None:
        Message("No answer, so I kept it.").send()
    elif chosen["name"] == "remove":
        page_function("remove_row", row=number)
        Message(f"Removed **{row['title']}**.").send()
    else:
        Message("Kept it.").send()


def chat(text: str) -> None:
    """Anything the phrases do not cover: the model if one is configured, else help."""
    reply = Message("")
    if llm.configured():
        rows = page_function("list_rows")
        system = (
            "You are the copilot of a to-do list web page. The list, as JSON: "
            f"{rows}. The row the user last clicked: {user_session.get('selection')}. "
            "You cannot change the list yourself: when the user wants a change, tell "
            "them the phrase to type. Phrases: " + HELP
        )
        history: list[dict[str, str]] = user_session.get("history", [])
        history = [*history, {"role": "user", "content": text}][-10:]
        answer = ""
        for token in llm.stream_chat([{"role": "system", "content": system}, *history]):
            answer += token
            reply.stream_token(token)
        user_session.set("history", [*history, {"role": "assistant", "content": answer}])
    else:
        text = f"I'm a scripted demo (no model configured), so I only know a few phrases. {HELP}"
        for word in text.split(" "):
            time.sleep(0.02)  # a scripted "model", streaming word by word
            reply.stream_token(word + " ")
    reply.send()


app = create_app()
