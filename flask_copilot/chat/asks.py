"""Asks: show a question and block until the user answers (text, or an action button)."""

from __future__ import annotations

from typing import Any

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
        wait = open_wait(
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
                wait_for_answer(session, wait, timeout)
            except WaitTimeout:
                reason = "timeout"
                if self.raise_on_timeout:
                    raise AskTimeout(f"No answer within {timeout:g} s.") from None
                return None
            except SessionGone:
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
