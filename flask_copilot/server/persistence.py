"""Writes what a session shows into the store, as it is shown.

One observer of every session event: a message is persisted when it is sent, updated
or finished streaming, and deleted when removed; its elements' records (the bytes are
in the file storage) when they are shown, linked to message and thread. Steps (tool
calls, page function calls, any ``Step``) are messages of type ``step``, stored the
same way. A handler's ``task_end`` marks the message it handled. A store failure there
is logged and never breaks the chat.

What a *client* sends is different: :meth:`Persister.accept` stores it before it is
acknowledged, and raises when it cannot, so a message is never acknowledged (nor its
``clientId`` remembered) without being stored. With the ``session_id`` that accepted it
and the ``handled_at`` its handler's end writes, the store can tell which messages were
accepted by a process that died before answering them.

The store is opened on first use, not at ``init_app``: importing an app (``flask
--help``, a test collecting it, a gunicorn master) must not create a database file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..core.session import BaseSession, ChatSession, approx_size
from ..protocol.text import storable, storable_json
from ..store import ElementRecord, MessageRecord, NotFound, Store, StoreError
from ..store.base import utc_now

logger = logging.getLogger("flask_copilot")

#: Writes a chat holds back before the user's first message (a greeting, page context).
MAX_HELD_BACK = 100

#: Elements of messages not stored yet (a stream not finished) wait, at most this many.
MAX_WAITING_ELEMENTS = 200

#: Events that change what the user sees, and so what is stored.
#: (``stream_start`` is not: a stream is written once, when it is finished.)
_MESSAGE_EVENTS = ("new_message", "update_message")
#: Events that become writes (the others are only sent).
_WRITTEN = (
    *_MESSAGE_EVENTS,
    "delete_message",
    "call_fn",
    "call_fn_done",
    "elements",
    "delete_element",
)


class Persister:
    def __init__(self, open_store: Callable[[], Store]) -> None:
        self._open = open_store
        self._store: Store | None = None
        self._opening = threading.Lock()
        #: (thread, message) -> element records waiting for their message's first write.
        self._waiting: dict[tuple[str, str], list[ElementRecord]] = {}

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
                if event in _WRITTEN:
                    self._hold_back(session, event, payload)
                return
            self._flush_held_back(session)
        self._write(session, event, payload)

    def accept(self, session: ChatSession, message: dict[str, Any], *, handled: bool) -> None:
        """Store a message the client sent (the ``MessageBody`` of its echo) before it is
        acknowledged. ``handled``: no handler will run for it (it answers an ask).

        Raises :class:`StoreError` when it cannot be stored. Page context
        (``system_message``) of a chat nobody wrote in yet is held back, like the
        greeting: a chat without a user message is not stored.
        """
        if session.thread_id is None:
            return
        if session.unstored is not None:
            if message["type"] != "user_message":
                self._hold_back(session, "new_message", {"message": message})
                return
            self._flush_held_back(session)
        record = replace(
            _record(message), session_id=session.id, handled_at=utc_now() if handled else None
        )
        self.store.upsert_message(session.thread_id, record, owner=_owner(session))

    def _flush_held_back(self, session: ChatSession) -> None:
        held, session.unstored = session.unstored or [], None
        for event, payload in held:
            self._write(session, event, payload)

    def _hold_back(self, session: ChatSession, event: str, payload: dict[str, Any]) -> None:
        held = session.unstored
        assert held is not None
        # Bounded in count and bytes: page context is the client's to send.
        budget = session.settings.replay_bytes
        if len(held) < MAX_HELD_BACK and sum(approx_size(p) for _, p in held) < budget:
            held.append((event, payload))

    def _write(self, session: BaseSession, event: str, payload: dict[str, Any]) -> None:
        assert session.thread_id is not None
        owner = _owner(session)
        try:
            if event in _MESSAGE_EVENTS:
                record = _record(payload["message"])
                self.store.upsert_message(session.thread_id, record, owner=owner)
                for element in self._waiting.pop((session.thread_id, record.id), []):
                    self.store.add_element(session.thread_id, element, owner=owner)
            elif event == "elements":
                for form in payload["elements"]:
                    self._add_element(session.thread_id, ElementRecord(**form), owner)
            elif event == "delete_element":
                self.store.delete_element(payload["id"], owner=owner, thread_id=session.thread_id)
            elif event == "delete_message":
                self.store.delete_message(payload["id"], owner=owner, thread_id=session.thread_id)
            elif event == "task_end" and _handles_a_message(session, payload):
                self.store.mark_handled(
                    payload["messageId"], owner=owner, thread_id=session.thread_id
                )
        except StoreError:
            logger.exception("could not persist %s of session %s", event, session.id)

    def _add_element(self, thread_id: str, element: ElementRecord, owner: str | None) -> None:
        try:
            self.store.add_element(thread_id, element, owner=owner)
        except NotFound:
            if element.message_id is None:
                raise
            # Its message is not stored yet (still streaming): write it after the message.
            slot = (thread_id, element.message_id)
            if slot in self._waiting or len(self._waiting) < MAX_WAITING_ELEMENTS:
                self._waiting.setdefault(slot, []).append(element)
            else:
                logger.warning("dropped element %s: its message was never stored", element.id)


def _is_user_message(event: str, payload: dict[str, Any]) -> bool:
    return event == "new_message" and payload["message"]["type"] == "user_message"


def _owner(session: BaseSession) -> str | None:
    return session.user.identifier if session.user else None


def _record(wire: dict[str, Any]) -> MessageRecord:
    """The stored form of a message: what a handler made may hold text a database
    cannot keep (lone surrogates, NUL); it is stored with U+FFFD there instead."""
    record = MessageRecord.from_wire(wire)
    return replace(
        record,
        content=storable(record.content),
        author=storable(record.author),
        metadata=storable_json(record.metadata),
        actions=storable_json(record.actions),
        step=storable_json(record.step) if record.step is not None else None,
    )


def _handles_a_message(session: BaseSession, payload: dict[str, Any]) -> bool:
    """The task that ended handled a message (not the chat's start, not an action)."""
    message_id = payload.get("messageId")
    if not message_id:
        return False
    return not (isinstance(session, ChatSession) and session.find_action(message_id))
