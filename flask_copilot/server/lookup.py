"""Find a live chat session from a plain Flask view, on any worker:
``init_ws_context(WebsocketSession.get_by_id(session_id))``."""

from __future__ import annotations

from typing import Any

from ..core.session import BaseSession
from ..errors import SessionNotFound
from ..files import FileService
from ..user import User
from .cluster import Cluster, SessionRecord
from .state import get_state

#: Marks a push that the owner records (persists) instead of sending.
RECORD_PREFIX = "record:"


class RemoteSession(BaseSession):
    """A session held by another process: events are pushed to its owner, which numbers
    and sends them."""

    interactive = True

    def __init__(
        self, record: SessionRecord, cluster: Cluster, assistant_name: str, files: FileService
    ) -> None:
        user = record.user
        super().__init__(
            session_id=record.session_id,
            client_type=record.client_type,
            user=User(user["identifier"], user.get("displayName"), user.get("metadata") or {})
            if user
            else None,
            thread_id=record.thread_id,
            files=files,
        )
        self.assistant_name = assistant_name
        self._record = record
        self._cluster = cluster

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        if not self._cluster.push(self._record, event, payload):
            raise SessionNotFound(f"The chat session {self.id!r} has ended.")

    def record(self, event: str, payload: dict[str, Any]) -> None:
        """What is persisted but not sent (elements' records) goes to the owner too,
        whose observer stores it."""
        if not self._cluster.push(self._record, RECORD_PREFIX + event, payload):
            raise SessionNotFound(f"The chat session {self.id!r} has ended.")


class WebsocketSession:
    """Look up live chat sessions (the name the seeds' API uses)."""

    @staticmethod
    def get_by_id(session_id: str) -> BaseSession:
        """The live session ``session_id``, on this worker or another one (with
        ``COPILOT_MESSAGE_QUEUE``). Raises :class:`SessionNotFound` (a 404 in views)."""
        state = get_state()
        local = state.registry.get(session_id)
        if local is not None and not local.ended:
            return local
        record = state.cluster.lookup(session_id)
        if record is not None and record.node != state.cluster.node:
            return RemoteSession(record, state.cluster, state.config.assistant_name, state.files)
        raise SessionNotFound(f"No live chat session {session_id!r}.")
