"""Messages: ``Message``, ``ErrorMessage``, streaming, update and remove."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from ..core.session import new_id
from ..protocol.schemas import MESSAGE_TYPES
from .context import checkpoint, require_session
from .elements import Element, publish


class WireObject(Protocol):
    def to_wire(self) -> dict[str, Any]: ...


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _as_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, (dict, list)):
        return "```json\n" + json.dumps(content, indent=2, default=str) + "\n```"
    return str(content)


class Message:
    """A chat message. Inside a handler: ``Message("Hi").send()``.

    Every method is a *framework call*: when the user pressed stop, it raises the stop
    signal instead of sending (the framework then calls ``on_stop``).
    """

    is_error = False

    def __init__(
        self,
        content: Any = "",
        author: str | None = None,
        elements: Iterable[Element] | None = None,
        actions: Iterable[WireObject] | None = None,
        type: str = "assistant_message",
        *,
        id: str | None = None,
        parent_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if type not in MESSAGE_TYPES:
            raise ValueError(f"Message type must be one of {MESSAGE_TYPES}, got {type!r}")
        self.id = id or new_id()
        self.content = _as_text(content)
        self.author = author
        self.type = type
        self.elements = list(elements or [])
        self.actions = list(actions or [])
        self.parent_id = parent_id
        self.metadata = dict(metadata or {})
        self.created_at = _utc_now()
        self.thread_id: str | None = None
        self._streaming = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type} id={self.id} content={self.content[:40]!r}>"

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "threadId": self.thread_id,
            "type": self.type,
            "author": self.author or "",
            "content": self.content,
            "createdAt": self.created_at,
            "streaming": self._streaming,
            "isError": self.is_error,
            "parentId": self.parent_id,
            "metadata": self.metadata,
            "actions": [action.to_wire() for action in self.actions],
            "elements": [element.to_wire() for element in self.elements],
        }

    def _bind(self) -> Any:
        checkpoint()
        session = require_session()
        self.thread_id = session.thread_id
        if self.author is None:
            self.author = session.assistant_name
        return session

    def _prepare_elements(self, session: Any) -> None:
        self.elements = [element.under(self.id) for element in self.elements]
        for element in self.elements:
            element.prepare(session)

    def _publish_elements(self, session: Any) -> None:
        if self.elements:
            publish(session, self.id, self.elements)

    def send(self) -> Message:
        """Show the message (or, after streaming, finalise it), with its elements."""
        session = self._bind()
        self._streaming = False
        if self.actions:
            for action in self.actions:
                action.for_id = self.id  # type: ignore[attr-defined]
            session.remember_actions(self.actions, self.id)
        self._prepare_elements(session)
        session.emit("new_message", {"message": self.to_wire()})
        self._publish_elements(session)
        return self

    def update(self) -> Message:
        """Replace the shown message with this one's current content."""
        session = self._bind()
        self._streaming = False
        self._prepare_elements(session)
        session.emit("update_message", {"message": self.to_wire()})
        self._publish_elements(session)
        return self

    def remove(self) -> None:
        session = self._bind()
        session.emit("delete_message", {"id": self.id})

    def stream_token(self, token: str, is_sequence: bool = False) -> None:
        """Append ``token`` (or, with ``is_sequence``, replace the content) and push it
        to the widget now; finish with :meth:`send` or :meth:`update`."""
        session = self._bind()
        token = str(token)
        self.content = token if is_sequence else self.content + token
        if not self._streaming:
            self._streaming = True
            self._prepare_elements(session)
            session.emit("stream_start", {"message": self.to_wire()})
        else:
            session.emit("stream_token", {"id": self.id, "token": token, "isSequence": is_sequence})

    def end_stream(self) -> None:
        """Finish a stream that was cut short (by a stop or an error) with the text so
        far. Unlike the other methods it works after a stop: it is what stopping does."""
        if not self._streaming:
            return
        session = require_session()
        self._streaming = False
        if not getattr(session, "ended", False):
            session.emit("update_message", {"message": self.to_wire()})


class ErrorMessage(Message):
    """A message the widget shows as an error."""

    is_error = True

    def __init__(self, content: Any = "", author: str | None = None, **kwargs: Any) -> None:
        super().__init__(content, author, **kwargs)
