"""Writes what a session shows into the store, as it is shown.

One observer of every session event: a message is persisted when it is sent, updated
or finished streaming, and deleted when removed; a function call is kept as a
``function_call`` record. The user's own message is written before its handler is
queued, so a crash never loses what the user typed. A store failure is logged and
never breaks the chat.

The store is opened on first use, not at ``init_app``: importing an app (``flask
--help``, a test collecting it, a gunicorn master) must not create a database file.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from ..core.session import BaseSession, ChatSession
from ..store import MessageRecord, Store, StoreError

logger = logging.getLogger("flask_copilot")

#: Writes a chat holds back before the user's first message (a greeting, page context).
MAX_HELD_BACK = 100

#: Events that change what the user sees, and so what is stored.
#: (``stream_start`` is not: a stream is written once, when it is finished.)
_MESSAGE_EVENTS = ("new_message", "update_message")


class Persister:
    def __init__(self, open_store: Callable[[], Store]) -> None:
        self._open = open_store
        self._store: Store | None = None
        self._opening = threading.Lock()

    @property
    def store(self) -> Store:
        """The store, opened (schema created or upgraded) the first time it is needed.
        Raises :class:`StoreError` when it cannot be opened; the next use tries again."""
        store = self._store
        if store is None:
            with self._opening:
                if self._store is None:
                    self._store = self._open()
                store = self._store
        return store

    def after_fork(self) -> None:
        if self._store is not None:
            self._store.after_fork()

    def __call__(self, session: BaseSession, event: str, payload: dict[str, Any]) -> None:
        if session.thread_id is None:
            return
        if isinstance(session, ChatSession) and session.unstored is not None:
            if not _is_user_message(event, payload):
                if len(session.unstored) < MAX_HELD_BACK:
                    session.unstored.append((event, payload))
                return
            held, session.unstored = session.unstored, None
            for held_event, held_payload in held:
                self._write(session, held_event, held_payload)
        self._write(session, event, payload)

    def _write(self, session: BaseSession, event: str, payload: dict[str, Any]) -> None:
        assert session.thread_id is not None
        owner = session.user.identifier if session.user else None
        try:
            if event in _MESSAGE_EVENTS:
                record = MessageRecord.from_wire(payload["message"])
                self.store.upsert_message(session.thread_id, record, owner=owner)
            elif event == "delete_message":
                self.store.delete_message(payload["id"], owner=owner, thread_id=session.thread_id)
            elif event in ("call_fn", "call_fn_done"):
                # Written when the call starts (a crash mid-wait keeps it), then again
                # with its outcome.
                metadata: dict[str, Any] = {"args": payload["args"]}
                if event == "call_fn_done":
                    metadata["result"] = _jsonable(payload.get("value"))
                    metadata["error"] = payload.get("error")
                record = MessageRecord(
                    id=payload["callId"],
                    type="function_call",
                    content=payload["name"],
                    metadata=metadata,
                )
                self.store.upsert_message(session.thread_id, record, owner=owner)
        except StoreError:
            logger.exception("could not persist %s of session %s", event, session.id)


def _is_user_message(event: str, payload: dict[str, Any]) -> bool:
    return event == "new_message" and payload["message"]["type"] == "user_message"


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)
