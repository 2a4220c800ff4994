"""Asks: show a question and block until the user answers (text, an action button, or
files)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..core.session import ChatSession, PendingWait
from ..errors import AskTimeout
from ..files import UploadGrant, UploadLimits, normalise_accept
from .actions import Action
from .context import checkpoint
from .elements import File
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

    def _limits(self, session: ChatSession) -> UploadLimits | None:
        return None

    def _ask_fields(self, session: ChatSession, wait: PendingWait) -> dict[str, Any]:
        """What the ``ask`` event carries beyond the basics."""
        return {}

    def send(self) -> Any:
        """Show the question and block until it is answered; ``None`` on timeout."""
        checkpoint()
        session = live_session(type(self).__name__)
        timeout = session.settings.ask_timeout if self.timeout is None else self.timeout
        question = Message(self.content, author=self.author, actions=self.actions).send()
        answer, reason = wait_for_answer_to(
            session,
            question,
            self.kind,
            timeout,
            limits=self._limits(session),
            fields=lambda wait: self._ask_fields(session, wait),
        )
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
    session: ChatSession,
    question: Question,
    kind: str,
    timeout: float,
    *,
    limits: UploadLimits | None = None,
    fields: Callable[[PendingWait], dict[str, Any]] | None = None,
) -> tuple[Any, str]:
    """Wait for the user to answer ``question`` (``kind`` ``text``: the next typed
    message; ``action``: one of its action buttons; ``file``: the next message with
    files, within ``limits``), then take its buttons away. ``fields`` adds to the
    ``ask`` event (given the wait).

    Returns ``(answer, reason)``: reason ``answered``, ``timeout`` or ``cancelled``
    (the session ended or the page left); raises the stop signal when the user pressed
    stop.
    """
    wait = open_wait(
        session,
        "ask",
        ask_kind=kind,
        action_ids=frozenset(action.id for action in question.actions),
        limits=limits,
    )
    reason = "answered"
    try:
        extra = fields(wait) if fields is not None else {}
        session.emit(
            "ask",
            {
                "askId": wait.id,
                "kind": kind,
                "messageId": question.id,
                "timeout": timeout,
                **extra,
            },
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
    return wait.value, reason


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

    def send(self) -> dict[str, Any] | None:
        """Show the question and block until the user answers; ``None`` on timeout."""
        answer: dict[str, Any] | None = super().send()
        return answer


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

    def send(self) -> dict[str, Any] | None:
        """Show the buttons and block until one is clicked; ``None`` on timeout."""
        answer: dict[str, Any] | None = super().send()
        return answer


class AskFileMessage(_Ask):
    """Ask the user for files and block until they are uploaded.

    ``accept``: MIME types and extensions (``["image/*", "application/pdf", ".csv"]``,
    or the seeds' ``{"text/plain": [".txt"]}``); checked against the files' sniffed
    content, not only their names. ``max_size_mb`` (default ``COPILOT_MAX_UPLOAD_MB``)
    and ``max_files`` bound the answer; these limits replace the global ones for this
    ask. ``send()`` returns the uploaded :class:`File` elements, or ``None`` on timeout
    (``raise_on_timeout=True`` raises :class:`AskTimeout`).
    """

    kind = "file"

    def __init__(
        self,
        content: str,
        accept: list[str] | dict[str, list[str]] | None = None,
        max_size_mb: float | None = None,
        max_files: int = 1,
        author: str | None = None,
        timeout: float | None = 90,
        raise_on_timeout: bool = False,
    ) -> None:
        if max_files < 1:
            raise ValueError("max_files must be at least 1")
        if max_size_mb is not None and max_size_mb <= 0:
            raise ValueError("max_size_mb must be positive")
        super().__init__(content, author=author, timeout=timeout, raise_on_timeout=raise_on_timeout)
        self.accept = normalise_accept(accept)
        self.max_size_mb = max_size_mb
        self.max_files = max_files

    def _limits(self, session: ChatSession) -> UploadLimits:
        files = session.files
        default = files.limits.max_bytes if files is not None else 20 * 1024 * 1024
        max_bytes = default if self.max_size_mb is None else int(self.max_size_mb * 1024 * 1024)
        return UploadLimits(self.accept, max_bytes, self.max_files)

    def _ask_fields(self, session: ChatSession, wait: PendingWait) -> dict[str, Any]:
        limits: UploadLimits = wait.limits
        token = None
        if session.files is not None and session.thread_id is not None:
            grant = UploadGrant(
                session_id=session.id,
                thread_id=session.thread_id,
                owner=session.user.identifier if session.user else None,
                ask_id=wait.id,
                limits=limits,
            )
            token = session.files.signer.grant_upload(grant)
        return {
            "accept": list(limits.accept),
            "maxSizeMb": round(limits.max_bytes / (1024 * 1024), 3),
            "maxFiles": limits.max_files,
            "uploadToken": token,
        }

    def send(self) -> list[File] | None:
        """Show the question and block until files are uploaded; ``None`` on timeout."""
        answer: list[File] | None = super().send()
        return answer
