"""``CopilotFunction``: call a JavaScript function of the host page and wait for its answer."""

from __future__ import annotations

import json
from typing import Any

from ..core.page import PageFunction
from ..core.session import ChatSession
from ..errors import (
    CopilotFunctionDeclined,
    CopilotFunctionError,
    CopilotFunctionTimeout,
    StopRequested,
)
from ..protocol.json_schema import ArgumentChecker
from .approval import ask_approval
from .context import checkpoint, require_session
from .steps import Step
from .waits import SessionGone, WaitTimeout, open_wait, wait_for_answer


def check_arguments(function: PageFunction, args: dict[str, Any]) -> None:
    """Raise :class:`CopilotFunctionError` naming each field of ``args`` that does not
    fit the schema the page declared for ``function``."""
    # The schema came from a browser: its regular expressions are not run here (the
    # widget checks them before the page's handler runs).
    problems = ArgumentChecker(function.parameters, run_patterns=False).problems(args)
    if problems:
        raise CopilotFunctionError(
            f"Invalid arguments for {function.name!r}: {'; '.join(problems)}"
        )


class CopilotFunction:
    """A function of the host page: ``CopilotFunction("add_row", {"text": "x"}).call()``.

    A function the page declared (``registerCopilotFunction``) runs the page's handler,
    after its arguments were checked against the declared schema, here and again in the
    widget; one declared with ``confirm`` first asks the user (Allow / Deny). Any other
    name fires a ``copilot-call-fn`` (and ``chainlit-call-fn``) window event; the page's
    listener answers through ``callback(value)``, a Promise, or an Error.

    Each call shows in the chat as a step (name, arguments, result or error).
    """

    def __init__(self, name: str, args: dict[str, Any] | None = None) -> None:
        self.name = name
        self.args = dict(args or {})

    def call(self, timeout: float | None = None, *, step: Step | None = None) -> Any:
        """The page's answer.

        Raises :class:`CopilotFunctionTimeout` after ``timeout`` seconds (default
        ``COPILOT_FUNCTION_TIMEOUT``), :class:`CopilotFunctionDeclined` when the user
        does not approve a ``confirm`` function, and :class:`CopilotFunctionError` when
        the arguments do not fit the declared schema, the page reports an error, has no
        listener, is not a copilot widget, or is gone. ``step``: the step to show the
        call as (default: a new ``tool`` step named after the function).
        """
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
        shown = step if step is not None else Step(self.name, "tool")
        shown.input = self.args
        shown.send()
        try:
            value = self._call(session, shown, timeout)
        except StopRequested:
            shown.finish(error="Stopped.")
            raise
        except CopilotFunctionError as exc:
            shown.finish(error=str(exc))
            raise
        except CopilotFunctionTimeout as exc:
            shown.finish(error=str(exc))
            raise
        shown.output = value
        shown.finish()
        return value

    def _call(self, session: ChatSession, step: Step, timeout: float | None) -> Any:
        declared = session.page_functions.get(self.name)
        approval_id = None
        if declared is not None:
            check_arguments(declared, self.args)
            if declared.confirm:
                approval = ask_approval(step)
                step.actions = []
                if not approval.approved:
                    raise CopilotFunctionDeclined(approval.reason)
                approval_id = approval.action_id
        timeout = session.settings.function_timeout if timeout is None else timeout
        wait = open_wait(session, "call_fn")
        try:
            call: dict[str, Any] = {
                "callId": wait.id,
                "name": self.name,
                "args": self.args,
                "timeout": timeout,
            }
            if approval_id is not None:
                call["approvalId"] = approval_id
            session.emit("call_fn", call)
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
        if wait.error is not None:
            raise CopilotFunctionError(f"The page's {self.name!r} failed: {wait.error}")
        return wait.value
