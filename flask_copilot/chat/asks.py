"""Asks: show a question and block until the user answers (text, or an action button)."""

from __future__ import annotations

from typing import Any, Protocol

from ..core.session import ChatSession
from ..errors import AskTimeout
from .actions import Action
from .context import checkpoint
from .messages import Message
from .waits import SessionGone, WaitTimeout, live_session, open_wait, wait_for_answer


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
        session = live_session(type(self).__name__)
        timeout = session.settings.ask_timeout if self.timeout is None else self.timeout
        question = Message(self.content, author=self.author, actions=self.actions).send()
        answer, reason = wait_for_answer_to(session, question, self.kind, timeout)
        if reason != "answered" and self.raise_on_timeout:
            raise AskTimeout(
                f"No answer within {timeout:g} s."
                if reason == "timeout"
                else "The user left before answering."
            )
        return answer


class Question(Protocol):
    """What an ask waits on: a message (or step) already shown, with its actions."""

    id: str
    actions: list[Any]

    def to_wire(self) -> dict[str, Any]: ...


def wait_for_answer_to(
    session: ChatSession, question: Question, kind: str, timeout: float
) -> tuple[dict[str, Any] | None, str]:
    """Wait for the user to answer ``question`` (``kind`` ``text``: the next typed
    message; ``action``: one of its action buttons), then take its buttons away.

    Returns ``(answer, reason)``: reason ``answered``, ``timeout`` or ``cancelled``
    (the session ended or the page left); raises the stop signal when the user pressed
    stop.
    """
    wait = open_wait(
        session,
        "ask",
        ask_kind=kind,
        action_ids=frozenset(action.id for action in question.actions),
    )
    reason = "answered"
    try:
        session.emit(
            "ask",
            {"askId": wait.id, "kind": kind, "messageId": question.id, "timeout": timeout},
        )
        try:
            wait_for_answer(session, wait, timeout)
        except WaitTimeout:
            reason = "timeout"
            return None, reason
        except SessionGone:
            reason = "cancelled"
            return None, reason
        except BaseException:  # stop
            reason = "stopped"
            raise
    finally:
        session.close_wait(wait.id)
        if not session.ended:
            session.emit("ask_end", {"askId": wait.id, "reason": reason})
        if question.actions:
            session.forget_actions(question.id)
            question.actions = []
            if not session.ended:  # not .update(): it would re-raise a stop here
                session.emit("update_message", {"message": question.to_wire()})
    answer: dict[str, Any] | None = wait.value
    return answer, reason


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
