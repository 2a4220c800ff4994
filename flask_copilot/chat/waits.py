"""Waiting for the browser: a function call's result or the user's answer.

Every wait ends: with the answer, at its timeout, when the user presses stop, when the
session ends, or when the page has been gone longer than ``COPILOT_DISCONNECT_GRACE``
(a short blip survives: the request is replayed when the widget reconnects).
"""

from __future__ import annotations

import time
from typing import Any

from ..core.session import ChatSession, PendingWait, new_id
from ..errors import CopilotError
from .context import checkpoint, require_session


class WaitTimeout(Exception):
    """The wait's own timeout passed."""


class SessionGone(Exception):
    """The session ended, or its page has been gone past the grace period."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def live_session(what: str) -> ChatSession:
    session = require_session()
    if not isinstance(session, ChatSession):
        raise CopilotError(
            f"{what} needs a live chat session (this is an HTTP context: nobody to ask)."
        )
    return session


def wait_for_answer(session: ChatSession, wait: PendingWait, timeout: float) -> None:
    """Block (cooperatively) until ``wait`` is answered; raise ``WaitTimeout``/``SessionGone``, or
    the stop signal when the user pressed stop."""
    grace = session.settings.disconnect_grace
    deadline = time.monotonic() + timeout
    while True:
        wait.event.clear()  # a wake-up signal only: the state below is the truth
        if wait.done:
            return
        checkpoint()
        if session.ended:
            raise SessionGone("the chat session ended")
        now = time.monotonic()
        if now >= deadline:
            raise WaitTimeout()
        limit = deadline
        detached_at = session.detached_at
        if detached_at is not None:
            if now >= detached_at + grace:
                raise SessionGone("the page disconnected")
            limit = min(limit, detached_at + grace)
        wait.event.wait(limit - now)


def open_wait(session: ChatSession, kind: str, **fields: Any) -> PendingWait:
    """Register a wait of ``kind`` on ``session``; close it with ``session.close_wait``."""
    wait = PendingWait(kind=kind, id=new_id(), event=session.create_event(), **fields)
    return session.open_wait(wait)
