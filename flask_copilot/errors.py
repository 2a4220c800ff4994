"""Exceptions of the public API, and the internal stop signal."""

from __future__ import annotations


class CopilotError(Exception):
    """Base class of the errors flask_copilot raises on purpose."""


class NoContextError(CopilotError, RuntimeError):
    """A context-bound call (``Message.send()``, ``user_session``) ran outside any
    copilot context."""


class CopilotFunctionError(CopilotError):
    """The host page answered a function call with an error, had no listener, or the
    session cannot take function calls (not a copilot client, disconnected)."""


class CopilotFunctionDeclined(CopilotFunctionError):
    """The user did not approve a call of a function declared with ``confirm`` (a click
    on Deny, no answer in time, or the user left)."""


class CopilotFunctionTimeout(CopilotError, TimeoutError):
    """The host page did not answer a function call in time."""


class AskTimeout(CopilotError, TimeoutError):
    """The user did not answer an ask in time (only with ``raise_on_timeout=True``)."""


class SessionNotFound(CopilotError, LookupError):
    """No live chat session has this id."""


class StopRequested(BaseException):
    """Raised inside a handler at its next framework call after the user pressed stop.

    A ``BaseException`` so that a handler's ``except Exception`` does not swallow it;
    the framework catches it and calls ``on_stop``.
    """
