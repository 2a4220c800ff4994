"""``CopilotFunction``: call a JavaScript function of the host page and wait for its answer."""

from __future__ import annotations

import json
from typing import Any

from ..core.session import ChatSession
from ..errors import CopilotFunctionError, CopilotFunctionTimeout
from .context import checkpoint, require_session
from .waits import SessionGone, WaitTimeout, open_wait, wait_for_answer


class CopilotFunction:
    """A function of the host page: ``CopilotFunction("add_row", {"name": "x"}).call()``.

    The widget fires a ``copilot-call-fn`` (and ``chainlit-call-fn``) window event; the
    page's listener answers through ``callback(value)``, a Promise, or an Error.
    """

    def __init__(self, name: str, args: dict[str, Any] | None = None) -> None:
        self.name = name
        self.args = dict(args or {})

    def call(self, timeout: float | None = None) -> Any:
        """The page's answer. Raises :class:`CopilotFunctionTimeout` after ``timeout``
        seconds (default ``COPILOT_FUNCTION_TIMEOUT``) and :class:`CopilotFunctionError`
        when the page reports an error, has no listener, is not a copilot widget, or
        is gone."""
        checkpoint()
        session = require_session()
        if not isinstance(session, ChatSession):
            raise CopilotFunctionError(
                f"Cannot call {self.name!r}: no page is connected (HTTP context)."
            )
        if session.client_type != "copilot":
            raise CopilotFunctionError(
                f"Cannot call {self.name!r}: the client is {session.client_type!r}, "
                "not the embedded copilot widget."
            )
        try:
            json.dumps(self.args, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"CopilotFunction args must be JSON: {exc}") from None
        timeout = session.settings.function_timeout if timeout is None else timeout
        wait = open_wait(session, "call_fn")
        try:
            session.emit(
                "call_fn",
                {"callId": wait.id, "name": self.name, "args": self.args, "timeout": timeout},
            )
            try:
                wait_for_answer(session, wait, timeout)
            except WaitTimeout:
                session.emit("call_fn_cancel", {"callId": wait.id, "reason": "timeout"})
                raise CopilotFunctionTimeout(
                    f"The page did not answer {self.name!r} within {timeout:g} s."
                ) from None
            except SessionGone as gone:
                raise CopilotFunctionError(f"Cannot call {self.name!r}: {gone.why}.") from None
            except BaseException:  # stop
                session.emit("call_fn_cancel", {"callId": wait.id, "reason": "stopped"})
                raise
        finally:
            session.close_wait(wait.id)
            session.record(
                "call_fn_done",
                {
                    "callId": wait.id,
                    "name": self.name,
                    "args": self.args,
                    "value": wait.value,
                    "error": wait.error if wait.done else "no answer",
                },
            )
        if wait.error is not None:
            raise CopilotFunctionError(f"The page's {self.name!r} failed: {wait.error}")
        return wait.value
