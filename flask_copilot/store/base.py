"""The persistence interface: plain records and the :class:`Store` protocol.

Isolation lives here, in the API, not in the callers: every method that touches a thread
or what is in it takes ``owner``, the acting user's identifier, and acts only on threads
whose owner is exactly that user. A thread or message of another user is reported like
one that does not exist (``None``, ``[]``, ``False`` or :class:`NotFound`), so ids
cannot be probed.

Anonymous users (``owner=None``) have no identity to prove ownership later, so their
threads are *write-only* through this API: the runtime may create them and add, update
and remove what is in them (passing the id of the session's own, server-made thread),
but they are never listed, read back, renamed or deleted here. Operations that name
only a message (``delete_message``, feedback) need ``thread_id=`` when ``owner`` is
``None``, so one anonymous session cannot reach another's messages by id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


def utc_now() -> datetime:
    return datetime.now(UTC)


class StoreError(Exception):
    """Base class of everything the store raises on purpose; a failing database (down,
    locked past the busy timeout, broken schema) is reported as a plain StoreError."""


class NotFound(StoreError, LookupError):
    """The thread or message does not exist, or belongs to another user (deliberately
    indistinguishable)."""


class StoreConfigError(StoreError, ValueError):
    """``COPILOT_DATABASE_URL`` is not usable; the message says why."""


class SchemaVersionError(StoreError):
    """The database was written by a newer flask_copilot than this one."""


@dataclass(frozen=True)
class UserRecord:
    identifier: str
    display_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True)
class ThreadRecord:
    id: str
    #: The owner's identifier; ``None`` for an anonymous thread.
    owner: str | None
    #: The title: the first user message (shortened), until renamed.
    name: str | None
    created_at: datetime
    #: Last activity: bumped by every message written to the thread.
    updated_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ThreadPage:
    threads: list[ThreadRecord]
    #: Pass as ``before_cursor`` for the next (older) page; ``None`` on the last page.
    next_cursor: str | None


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        moment = datetime.fromisoformat(value)
    else:
        return utc_now()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class MessageRecord:
    """Every step the user sees: user, assistant and system messages, asks, steps
    (``type`` is free text; the runtime's types are ``user_message``,
    ``assistant_message``, ``system_message`` and ``step``)."""

    id: str
    type: str
    content: str
    author: str = ""
    created_at: datetime = field(default_factory=utc_now)
    is_error: bool = False
    parent_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: The actions' wire form (``Action.to_wire()``), kept so a resumed thread shows them.
    actions: list[dict[str, Any]] = field(default_factory=list)
    #: A step's details (the wire's ``StepBody``: kind, input, status, times), or None.
    step: dict[str, Any] | None = None
    #: Set by the store on what it returns; ignored on writes (the argument wins).
    thread_id: str | None = None
    #: The chat session that accepted a user's message (``None`` for everything else).
    #: Written on insert only.
    session_id: str | None = None
    #: When the handler of this message finished (whatever it did), or when it needed
    #: none. A user message accepted by a session that is gone, with no ``handled_at``,
    #: was never answered. Written on insert, then by :meth:`Store.mark_handled`.
    handled_at: datetime | None = None

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> MessageRecord:
        """From ``Message.to_wire()`` (elements are stored separately, see
        :meth:`Store.add_element`)."""
        return cls(
            id=str(wire["id"]),
            type=str(wire.get("type") or "assistant_message"),
            content=str(wire.get("content") or ""),
            author=str(wire.get("author") or ""),
            created_at=_parse_time(wire.get("createdAt")),
            is_error=bool(wire.get("isError", False)),
            parent_id=wire.get("parentId"),
            metadata=dict(wire.get("metadata") or {}),
            actions=[dict(action) for action in wire.get("actions") or []],
            step=dict(wire["step"]) if wire.get("step") else None,
        )

    def to_wire(self, elements: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
        """The ``MessageBody`` shape of the protocol, for replaying a resumed thread."""
        wire: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "type": self.type,
            "author": self.author,
            "content": self.content,
            "createdAt": self.created_at.isoformat(timespec="milliseconds"),
            "streaming": False,
            "isError": self.is_error,
            "parentId": self.parent_id,
            "metadata": self.metadata,
            "actions": self.actions,
            "elements": [dict(element) for element in elements],
        }
        if self.step is not None:
            wire["step"] = self.step
        return wire


@dataclass(frozen=True)
class ElementRecord:
    """What is known about a file or media element; the bytes live elsewhere (``url``
    or ``path``)."""

    id: str
    name: str
    mime: str | None = None
    size: int | None = None
    url: str | None = None
    path: str | None = None
    #: ``inline``, ``side`` or ``page``.
    display: str = "inline"
    message_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utc_now)
    #: Set by the store on what it returns; ignored on writes.
    thread_id: str | None = None


@dataclass(frozen=True)
class FeedbackRecord:
    id: str
    message_id: str
    thread_id: str
    owner: str | None
    #: 1 = thumbs up, 0 = thumbs down.
    value: int
    comment: str | None
    updated_at: datetime


class Store(Protocol):
    """Persistence of users, threads, messages, elements and feedback.

    Every method is one short transaction; none is held while a handler runs.
    Implementations are safe to call from many threads or greenlets at once.
    """

    # --- users ----------------------------------------------------------------------

    def upsert_user(
        self,
        identifier: str,
        *,
        display_name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> UserRecord:
        """Create the user or refresh its display name and metadata."""
        ...

    def get_user(self, identifier: str) -> UserRecord | None: ...

    # --- threads --------------------------------------------------------------------

    def create_thread(
        self,
        *,
        owner: str | None,
        thread_id: str | None = None,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ThreadRecord:
        """Create a thread (idempotent for the same owner and id). Pass only
        server-made ids. Raises :class:`NotFound` when ``thread_id`` is another
        user's. (:meth:`upsert_message` also creates its thread on first use.)"""
        ...

    def get_thread(self, thread_id: str, *, owner: str | None) -> ThreadRecord | None:
        """The thread if ``owner`` owns it; ``None`` otherwise (always for anonymous)."""
        ...

    def list_threads(
        self, owner: str | None, *, limit: int = 20, before_cursor: str | None = None
    ) -> ThreadPage:
        """The owner's threads, most recently active first, ``limit`` (1–100) per page.
        Raises ``ValueError`` for a cursor this store did not make."""
        ...

    def rename_thread(self, thread_id: str, name: str, *, owner: str | None) -> bool: ...

    def delete_thread(self, thread_id: str, *, owner: str | None) -> bool:
        """Delete the thread with its messages, elements and feedback."""
        ...

    # --- messages -------------------------------------------------------------------

    def upsert_message(
        self, thread_id: str, message: MessageRecord, *, owner: str | None
    ) -> MessageRecord:
        """Insert the message, or update it by id (content, author, type, error flag,
        parent, metadata, actions; never its thread or creation time). Creates the
        thread for ``owner`` if it does not exist yet; the first ``user_message`` names
        it. Raises :class:`NotFound` when the thread, or an existing message with this
        id, belongs to someone else."""
        ...

    def delete_message(
        self, message_id: str, *, owner: str | None, thread_id: str | None = None
    ) -> bool: ...

    def mark_handled(
        self, message_id: str, *, owner: str | None, thread_id: str | None = None
    ) -> bool:
        """Record that the handler of the message finished (once: a later call changes
        nothing). False when there is no such message of this owner, or it was marked
        already."""
        ...

    def thread_messages(self, thread_id: str, *, owner: str | None) -> list[MessageRecord]:
        """The thread's messages in chat order (creation time, then write order);
        ``[]`` when the thread is not the owner's."""
        ...

    # --- feedback -------------------------------------------------------------------

    def set_feedback(
        self,
        message_id: str,
        value: int,
        *,
        owner: str | None,
        comment: str | None = None,
        thread_id: str | None = None,
    ) -> FeedbackRecord:
        """Give or change the feedback on a message of one of the owner's threads (one
        per message: only the thread's owner can give it). Raises :class:`NotFound`
        otherwise, ``ValueError`` when ``value`` is not 0 or 1."""
        ...

    def get_feedback(
        self, message_id: str, *, owner: str | None, thread_id: str | None = None
    ) -> FeedbackRecord | None: ...

    def delete_feedback(
        self, message_id: str, *, owner: str | None, thread_id: str | None = None
    ) -> bool: ...

    def thread_feedback(self, thread_id: str, *, owner: str | None) -> list[FeedbackRecord]: ...

    # --- elements -------------------------------------------------------------------

    def add_element(
        self, thread_id: str, element: ElementRecord, *, owner: str | None
    ) -> ElementRecord:
        """Record an element's metadata (insert, or update by id). Raises
        :class:`NotFound` when the thread, its ``message_id`` or an existing element
        with this id is not in the owner's thread."""
        ...

    def get_element(self, element_id: str, *, owner: str | None) -> ElementRecord | None: ...

    def delete_element(
        self, element_id: str, *, owner: str | None, thread_id: str | None = None
    ) -> bool:
        """Delete an element's record (not its bytes) in one of the owner's threads (or,
        anonymous, in ``thread_id``)."""
        ...

    def thread_elements(self, thread_id: str, *, owner: str | None) -> list[ElementRecord]: ...

    # --- lifetime -------------------------------------------------------------------

    def close(self) -> None:
        """Release the connections. The store is unusable afterwards."""
        ...

    def after_fork(self) -> None:
        """Called in a child process after a fork: forget the parent's connections."""
        ...
