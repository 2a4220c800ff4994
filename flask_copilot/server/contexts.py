"""Copilot contexts for plain Flask views: push into a live chat, or write to a thread."""

from __future__ import annotations

from ..chat.context import bind_to_request
from ..core.session import BaseSession, HTTPSession, new_id
from ..user import User
from .state import get_state


def init_ws_context(session: BaseSession) -> BaseSession:
    """Push later copilot calls in this view into the live chat ``session``.

    Get the session with ``WebsocketSession.get_by_id(session_id)``.
    """
    if not isinstance(session, BaseSession):
        raise TypeError(f"init_ws_context needs a session, got {type(session).__name__}")
    bind_to_request(session)
    return session


def init_http_context(user: User | None = None, thread_id: str | None = None) -> BaseSession:
    """A context for plain Flask views: ``Message.send()`` pushes nothing and fails not;
    with persistence on, what is sent is stored in ``thread_id`` (a new thread when
    not given) for ``user``."""
    state = get_state()
    session = HTTPSession(
        session_id=new_id(),
        client_type="http",
        user=user,
        thread_id=thread_id or new_id(),
        observer=state.persister,
        files=state.files,
    )
    bind_to_request(session)
    return session
