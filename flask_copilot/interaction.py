"""Blocking interactions with the browser: function calls into the page, asks, actions.

Every wait ends: with the answer, at its timeout, when the user presses stop, when the
session ends, or when the page has been gone longer than ``COPILOT_DISCONNECT_GRACE``
(a short blip survives: the request is replayed when the widget reconnects).
"""

from __future__ import annotations

import json
import time
from typing import Any

from .context import checkpoint, require_session
from .errors import AskTimeout, CopilotError, CopilotFunctionError, CopilotFunctionTimeout
from .messages import Message
from .session import ChatSession, PendingWait, new_id
from .state import get_state


class _Timeout(Exception):
    pass


class _Gone(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _live_session(what: str) -> ChatSession:
    session = require_session()
    if not isinstance(session, ChatSession):
        raise CopilotError(
            f"{what} needs a live chat session (this is an HTTP context: nobody to ask)."
        )
    return session


def _wait(session: ChatSession, wait: PendingWait, timeout: float) -> None:
    """Block (cooperatively) until ``wait`` is answered; raise ``_Timeout``/``_Gone``, or
    the stop signal when the user pressed stop."""
    grace = get_state().config.disconnect_grace
    deadline = time.monotonic() + timeout
    while True:
        wait.event.clear()  # a wake-up signal only: the state below is the truth
        if wait.done:
            return
        checkpoint()
        if session.ended:
            raise _Gone("the chat session ended")
        now = time.monotonic()
        if now >= deadline:
            raise _Timeout()
        limit = deadline
        detached_at = session.detached_at
        if detached_at is not None:
            if now >= detached_at + grace:
                raise _Gone("the page disconnected")
            limit = min(limit, detached_at + grace)
        wait.event.wait(limit - now)


def _open(session: ChatSession, kind: str, **fields: Any) -> PendingWait:
    event = get_state().runtime.create_event()
    return session.open_wait(PendingWait(kind=kind, id=new_id(), event=event, **fields))


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
        timeout = get_state().config.function_timeout if timeout is None else timeout
        wait = _open(session, "call_fn")
        try:
            session.emit(
                "call_fn",
                {"callId": wait.id, "name": self.name, "args": self.args, "timeout": timeout},
            )
            try:
                _wait(session, wait, timeout)
            except _Timeout:
                session.emit("call_fn_cancel", {"callId": wait.id, "reason": "timeout"})
                raise CopilotFunctionTimeout(
                    f"The page did not answer {self.name!r} within {timeout:g} s."
                ) from None
            except _Gone as gone:
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


class Action:
    """A button under a message; a click runs ``@copilot.action_callback(name)`` (or
    answers an :class:`AskActionMessage`)."""

    def __init__(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        label: str = "",
        tooltip: str = "",
    ) -> None:
        self.id = new_id()
        self.name = name
        self.payload = dict(payload or {})
        self.label = label or name
        self.tooltip = tooltip
        self.for_id: str | None = None

    def __repr__(self) -> str:
        return f"<Action {self.name} label={self.label!r}>"

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Action:
        """Rebuild an action another process showed (its callback is found by name)."""
        action = cls(
            data["name"], data.get("payload"), data.get("label", ""), data.get("tooltip", "")
        )
        action.id = data["id"]
        action.for_id = data.get("forId")
        return action

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "tooltip": self.tooltip,
            "payload": self.payload,
            "forId": self.for_id,
        }


class _Ask:
    kind = "text"

    def __init__(
        self,
        content: str,
        *,
        author: str | None = None,
        timeout: float | None = None,
        raise_on_timeout: bool = False,
        actions: list[Action] | None = None,
    ) -> None:
        self.content = content
        self.author = author
        self.timeout = timeout
        self.raise_on_timeout = raise_on_timeout
        self.actions = list(actions or [])

    def send(self) -> dict[str, Any] | None:
        """Show the question and block until it is answered; ``None`` on timeout."""
        checkpoint()
        session = _live_session(type(self).__name__)
        timeout = get_state().config.ask_timeout if self.timeout is None else self.timeout
        question = Message(self.content, author=self.author, actions=self.actions).send()
        wait = _open(
            session,
            "ask",
            ask_kind=self.kind,
            action_ids=frozenset(action.id for action in self.actions),
        )
        reason = "answered"
        try:
            session.emit(
                "ask",
                {"askId": wait.id, "kind": self.kind, "messageId": question.id, "timeout": timeout},
            )
            try:
                _wait(session, wait, timeout)
            except _Timeout:
                reason = "timeout"
                if self.raise_on_timeout:
                    raise AskTimeout(f"No answer within {timeout:g} s.") from None
                return None
            except _Gone:
                reason = "cancelled"
                if self.raise_on_timeout:
                    raise AskTimeout("The user left before answering.") from None
                return None
            except BaseException:  # stop
                reason = "stopped"
                raise
        finally:
            session.close_wait(wait.id)
            if not session.ended:
                session.emit("ask_end", {"askId": wait.id, "reason": reason})
            if self.actions:
                session.forget_actions(question.id)
                question.actions = []
                if not session.ended:  # not .update(): it would re-raise a stop here
                    session.emit("update_message", {"message": question.to_wire()})
        answer: dict[str, Any] | None = wait.value
        return answer


class AskUserMessage(_Ask):
    """Ask a question and block until the user types the answer.

    ``send()`` returns ``{"content", "output", "id", "author"}`` (``output`` as in the
    seeds' API), or ``None`` on timeout (``raise_on_timeout=True`` raises
    :class:`AskTimeout`). Default timeout: ``COPILOT_ASK_TIMEOUT``.
    """

    kind = "text"

    def __init__(
        self,
        content: str,
        author: str | None = None,
        timeout: float | None = None,
        raise_on_timeout: bool = False,
    ) -> None:
        super().__init__(content, author=author, timeout=timeout, raise_on_timeout=raise_on_timeout)


class AskActionMessage(_Ask):
    """Show ``actions`` under a question and block until the user clicks one.

    ``send()`` returns the chosen action as ``{"id", "name", "label", "payload"}``, or
    ``None`` on timeout (``raise_on_timeout=True`` raises :class:`AskTimeout`).
    """

    kind = "action"

    def __init__(
        self,
        content: str,
        actions: list[Action],
        author: str | None = None,
        timeout: float | None = None,
        raise_on_timeout: bool = False,
    ) -> None:
        if not actions:
            raise ValueError("AskActionMessage needs at least one Action")
        super().__init__(
            content,
            author=author,
            timeout=timeout,
            raise_on_timeout=raise_on_timeout,
            actions=actions,
        )
