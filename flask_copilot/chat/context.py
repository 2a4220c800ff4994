"""``context`` and ``user_session``: the current chat session, wherever a handler runs.

Handlers run on greenlets or threads; each has its own ``contextvars`` context, so a
ContextVar set by the runner is seen only by that handler. Plain Flask views that call
``init_ws_context``/``init_http_context`` (``server/contexts.py``) keep the session on
``flask.g`` instead, which
Flask discards at the end of the request (a ContextVar set there would leak into the
next request served by the same gthread worker thread).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import g, has_app_context

from ..core.session import BaseSession, TaskState
from ..errors import NoContextError, StopRequested

_current_session: ContextVar[BaseSession | None] = ContextVar("flask_copilot_session", default=None)
_current_task: ContextVar[TaskState | None] = ContextVar("flask_copilot_task", default=None)
_G_KEY = "_flask_copilot_session"

_NO_CONTEXT = (
    "No copilot context here. Copilot calls work inside @copilot handlers; in a plain "
    "Flask view call init_http_context() or init_ws_context(session) first."
)


def current_session() -> BaseSession | None:
    session = _current_session.get()
    if session is None and has_app_context():
        session = g.get(_G_KEY)
    return session


def require_session() -> BaseSession:
    session = current_session()
    if session is None:
        raise NoContextError(_NO_CONTEXT)
    return session


def checkpoint() -> None:
    """Raise :class:`StopRequested` if the user stopped the running handler."""
    task = _current_task.get()
    if task is not None and task.stop_requested:
        raise StopRequested()


def current_task() -> TaskState | None:
    """The running handler's task (None outside a stoppable handler)."""
    return _current_task.get()


@contextmanager
def on_stop(wake: Callable[[], None]) -> Iterator[None]:
    """While the block runs, a stop calls ``wake`` (from the socket's thread or
    greenlet): to interrupt something that is not a framework call, such as a blocked
    read of a model's HTTP stream. ``wake`` must not block."""
    task = _current_task.get()
    if task is None:
        yield
        return
    task.wakers.append(wake)
    try:
        if task.stop_requested:
            wake()
        yield
    finally:
        task.wakers.remove(wake)


def bind(session: BaseSession, task: TaskState | None) -> tuple[Any, Any]:
    """Make ``session`` (and ``task``) current for this greenlet/thread."""
    return _current_session.set(session), _current_task.set(task)


def unbind(tokens: tuple[Any, Any]) -> None:
    session_token, task_token = tokens
    _current_session.reset(session_token)
    _current_task.reset(task_token)


def bind_to_request(session: BaseSession) -> None:
    """Make ``session`` current for the rest of this Flask request (plain views)."""
    if has_app_context():
        setattr(g, _G_KEY, session)
    else:
        _current_session.set(session)


class _Context:
    """``context.session`` is the chat session of the running handler."""

    @property
    def session(self) -> BaseSession:
        return require_session()


class _UserSession:
    """A dict per chat session: ``user_session.get(key, default)`` / ``.set(key, value)``.

    A few keys describe the session itself and are read-only: ``id``, ``user``,
    ``client_type``, ``thread_id``, ``chat_profile``.
    """

    _RESERVED = ("id", "user", "client_type", "thread_id", "chat_profile")

    def get(self, key: str, default: Any = None) -> Any:
        session = require_session()
        if key in self._RESERVED:
            return getattr(session, key)
        return session.user_session.get(key, default)

    def set(self, key: str, value: Any) -> None:
        if key in self._RESERVED:
            raise KeyError(f"user_session[{key!r}] is read-only (it describes the session)")
        require_session().user_session[key] = value


context = _Context()
user_session = _UserSession()
