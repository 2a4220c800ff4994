"""``Step``: show the work behind an answer (a tool call, a search, a sub-task) as a
compact, collapsible part of the chat, as Chainlit's ``cl.Step`` does.

A step is a message of type ``step``: sent with ``new_message`` when it starts
(``status: running``), ``update_message`` when it ends (``done`` or ``error``), stored
and resumed like any message. It nests under its ``parent_id``: by default the step
it is opened in, or else the message the handler answers.

.. code-block:: python

    with Step("search", type="tool") as step:
        step.input = {"query": query}
        step.output = search(query)

    @step(type="tool")            # the function's arguments are the input,
    def lookup(sku: str) -> dict: # its return value the output
        ...
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

from ..core.session import new_id
from ..errors import StopRequested
from ..protocol.schemas import STEP_TYPE
from .context import checkpoint, current_task, require_session

F = TypeVar("F", bound=Callable[..., Any])

#: Longest input or output a step shows and stores; the rest is cut (what a tool
#: returns to a model is not cut: only its display).
MAX_STEP_CHARS = 20_000

#: Ids of the steps open in this handler, innermost last.
_open_steps: ContextVar[tuple[str, ...]] = ContextVar("flask_copilot_open_steps", default=())


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _cut(text: str) -> str:
    if len(text) <= MAX_STEP_CHARS:
        return text
    return text[:MAX_STEP_CHARS] + f"\n… ({len(text) - MAX_STEP_CHARS} more characters)"


def as_text(value: Any) -> tuple[str, bool]:
    """``value`` as text, and whether it is JSON (dicts, lists and the like)."""
    if value is None:
        return "", False
    if isinstance(value, str):
        return value, False
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str), True
    except (TypeError, ValueError):
        return str(value), False


class Step:
    """A step of the work behind an answer, shown in the chat as it runs.

    Use it as a context manager (``with Step("search", type="tool") as s:``; set
    ``s.input`` and ``s.output``), or as a decorator (``@Step(type="tool")``, or the
    :func:`step` shorthand). Leaving the block marks it ``done``, or ``error`` when an
    exception leaves it (the exception goes on).

    ``type`` is the kind of step (Chainlit's: ``tool``, ``run``, ``llm``,
    ``retrieval``, ``embedding``, ``rerank``…). Every method is a framework call: after
    the user pressed stop it raises the stop signal.
    """

    def __init__(
        self,
        name: str | None = None,
        type: str = "run",
        *,
        id: str | None = None,
        parent_id: str | None = None,
        language: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.id = id or new_id()
        self.name = name
        self.type = type
        self.parent_id = parent_id
        self.language = language
        self.metadata = dict(metadata or {})
        self.input: Any = None
        self.output: Any = None
        #: ``running`` until the step ends, then ``done`` or ``error``.
        self.status = "running"
        #: Buttons under the step (an approval asks with them).
        self.actions: list[Any] = []
        self.created_at = _utc_now()
        self.start: str | None = None
        self.end: str | None = None
        self.thread_id: str | None = None
        self._streamed: str | None = None
        self._shown = False
        self._context_token: Any = None

    def __repr__(self) -> str:
        return f"<Step {self.type} {self.name!r} {self.status} id={self.id}>"

    @property
    def is_error(self) -> bool:
        return self.status == "error"

    # --- wire ----------------------------------------------------------------------

    def to_wire(self) -> dict[str, Any]:
        input_text, input_json = as_text(self.input)
        if self._streamed is not None and self.output is None:
            output_text, output_json = self._streamed, False
        else:
            output_text, output_json = as_text(self.output)
        language = self.language or ("json" if input_json or output_json else None)
        return {
            "id": self.id,
            "threadId": self.thread_id,
            "type": STEP_TYPE,
            "author": self.name or "",
            "content": _cut(output_text),
            "createdAt": self.created_at,
            "streaming": self._streamed is not None and self.status == "running",
            "isError": self.is_error,
            "parentId": self.parent_id,
            "metadata": self.metadata,
            "actions": [action.to_wire() for action in self.actions],
            "elements": [],
            "step": {
                "kind": self.type,
                "input": _cut(input_text) if self.input is not None else None,
                "status": self.status,
                "language": language,
                "start": self.start,
                "end": self.end,
            },
        }

    def _bind(self) -> Any:
        checkpoint()
        return self._prepare()

    def _prepare(self) -> Any:
        session = require_session()
        self.thread_id = session.thread_id
        if self.name is None:
            self.name = self.type
        if self.parent_id is None:
            opened = _open_steps.get()
            task = current_task()
            self.parent_id = opened[-1] if opened else (task.message_id if task else None)
        return session

    # --- sending -------------------------------------------------------------------

    def send(self) -> Step:
        """Show the step (``running``), or show it again as it is now."""
        session = self._bind()
        if self.start is None:
            self.start = _utc_now()
        if self.actions:
            for action in self.actions:
                action.for_id = self.id
            session.remember_actions(self.actions, self.id)
        session.emit(
            "update_message" if self._shown else "new_message", {"message": self.to_wire()}
        )
        self._shown = True
        return self

    def update(self) -> Step:
        """Show the step's current input, output, status and actions."""
        return self.send()

    def remove(self) -> None:
        session = self._bind()
        session.emit("delete_message", {"id": self.id})

    def stream_token(self, token: str, is_sequence: bool = False) -> None:
        """Append ``token`` to the output (or replace it, with ``is_sequence``) and push
        it to the widget now."""
        session = self._bind()
        token = str(token)
        if not self._shown:
            self.send()
        first = self._streamed is None
        self._streamed = token if is_sequence or first else self._streamed + token  # type: ignore[operator]
        if first:
            session.emit("stream_start", {"message": self.to_wire()})
        else:
            session.emit("stream_token", {"id": self.id, "token": token, "isSequence": is_sequence})

    def finish(self, *, error: str | None = None) -> None:
        """End the step: ``done``, or ``error`` with ``error`` as its output (when it
        has none). Safe after a stop (it sends without the stop check)."""
        self.status = "error" if error is not None else "done"
        if error is not None and self.output is None and not self._streamed:
            self.output = error
        if self.output is None and self._streamed is not None:
            self.output = self._streamed
        self.end = _utc_now()
        session = self._prepare()
        if getattr(session, "ended", False):
            return
        if self.start is None:
            self.start = self.end
        event = "update_message" if self._shown else "new_message"
        session.emit(event, {"message": self.to_wire()})
        self._shown = True

    # --- context manager and decorator ---------------------------------------------

    def __enter__(self) -> Step:
        self.send()
        self._context_token = _open_steps.set((*_open_steps.get(), self.id))
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if self._context_token is not None:
            _open_steps.reset(self._context_token)
            self._context_token = None
        if exc is None:
            self.finish()
        elif isinstance(exc, StopRequested):
            self.finish(error="Stopped.")
        else:
            self.finish(error=f"{type(exc).__name__}: {exc}")

    def __call__(self, function: F) -> F:
        """Decorate ``function``: each call runs in a fresh copy of this step, with the
        call's arguments as input and its return value as output."""
        template = self

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Step(
                template.name or function.__name__,
                template.type,
                language=template.language,
                metadata=template.metadata,
            ) as running:
                running.input = _call_arguments(function, args, kwargs)
                result = function(*args, **kwargs)
                running.output = result
                return result

        return wrapper  # type: ignore[return-value]


def _call_arguments(function: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return {"args": list(args), **kwargs}
    return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}


@overload
def step(function: F) -> F: ...
@overload
def step(
    function: None = None,
    *,
    name: str | None = None,
    type: str = "run",
    language: str | None = None,
) -> Callable[[F], F]: ...
def step(
    function: F | None = None,
    *,
    name: str | None = None,
    type: str = "run",
    language: str | None = None,
) -> Any:
    """Decorator: ``@step`` or ``@step(type="tool", name=...)`` shows each call of the
    function as a :class:`Step` (Chainlit's ``@cl.step``)."""
    decorator = Step(name, type, language=language)
    return decorator(function) if function is not None else decorator
