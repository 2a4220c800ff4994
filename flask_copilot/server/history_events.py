"""Stored conversations over the socket: resume a thread at connect, list and delete
past threads, give feedback. Every store call is scoped to the acting user."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..chat.elements import restore
from ..core.session import ChatSession, StoredFile
from ..files import StorageError
from ..protocol.schemas import SHOWN_TYPES, STEP_TYPE
from ..store import NotFound, Store, StoreError, ThreadRecord
from ..user import User
from .events import EventHandlers, Refused, client_event

logger = logging.getLogger("flask_copilot")


class HistoryEvents(EventHandlers):
    def _thread_to_resume(self, thread_id: str | None, user: User | None) -> ThreadRecord | None:
        """The stored thread the handshake asks for, if it is this user's own."""
        persister = self.state.persister
        if not thread_id or persister is None or user is None:
            return None
        try:
            return persister.store.get_thread(thread_id, owner=user.identifier)
        except StoreError:
            logger.exception("could not look up thread %s", thread_id)
            return None

    def _resume(
        self, session: ChatSession, thread: ThreadRecord, lost_session: str | None = None
    ) -> bool:
        """Show the stored conversation again, then run ``on_chat_resume`` (or, without
        one, ``on_chat_start``). False when the store failed (start afresh instead).

        ``lost_session``: the session the client had before (the handshake's
        ``sessionId``), gone from this process. The user messages it (or any other
        session that is gone) accepted and never handled are ``session.unanswered``.
        """
        assert self.state.persister is not None and session.user is not None
        store, owner = self.state.persister.store, session.user.identifier
        try:
            records = store.thread_messages(thread.id, owner=owner)
            feedback = {f.message_id: f for f in store.thread_feedback(thread.id, owner=owner)}
            stored_elements = store.thread_elements(thread.id, owner=owner)
        except StoreError:
            logger.exception("could not load thread %s", thread.id)
            return False
        session.resumed_thread = True
        session.unstored = None  # the conversation is stored already
        session.unanswered = [
            record.id
            for record in records
            if record.type == "user_message"
            and record.handled_at is None
            and record.session_id is not None
            and (record.session_id == lost_session or not self._is_alive(record.session_id))
        ]
        elements: dict[str | None, list[dict[str, Any]]] = {}
        files = self.state.files
        for element in stored_elements:
            wire_element = restore(
                files,
                owner,
                id=element.id,
                name=element.name,
                mime=element.mime,
                size=element.size,
                url=element.url,
                path=element.path,
                display=element.display,
                message_id=element.message_id,
                metadata=element.metadata,
            )
            elements.setdefault(element.message_id, []).append(wire_element)
        session.remember_files(
            [
                StoredFile(e.id, e.path, e.name, e.mime or "application/octet-stream")
                for e in stored_elements
                if e.path is not None
            ]
        )
        shown = []
        for record in records:
            if record.type not in SHOWN_TYPES:
                continue  # e.g. function_call records of versions before steps
            wire = _interrupted(record.to_wire(elements.get(record.id, ())))
            given = feedback.get(record.id)
            if given is not None:
                wire["feedback"] = {"value": given.value, "comment": given.comment}
            shown.append(wire)
            session.emit("new_message", {"message": wire}, persist=False)
        resumed = {
            "id": thread.id,
            "name": thread.name,
            "createdAt": thread.created_at.isoformat(),
            "metadata": thread.metadata,
            "messages": shown,
            "steps": shown,  # the seeds' name
        }
        runner = self.state.runner
        if self.state.hooks.get("on_chat_resume") is not None:
            session.submit(runner.job(session, "on_chat_resume", resumed), force=True)
        else:
            session.submit(runner.job(session, "on_chat_start"), force=True)
        return True

    def _is_alive(self, session_id: str) -> bool:
        """Whether a session still lives, here or in another process (whose handler
        may still answer what it accepted)."""
        local = self.state.registry.get(session_id)
        if local is not None:
            return not local.ended
        cluster = self.state.cluster
        record = cluster.lookup(session_id)
        return record is not None and record.node != cluster.node and cluster.is_alive(record.node)

    def _history_owner(self, session: ChatSession, event: str) -> tuple[Store, str]:
        if self.state.persister is None or session.user is None:
            raise Refused(
                self._refuse(
                    session,
                    event,
                    "no_history",
                    "Chat history needs persistence and a signed-in user.",
                )
            )
        return self.state.persister.store, session.user.identifier

    @client_event("list_threads")
    def on_list_threads(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        store, owner = self._history_owner(session, "list_threads")
        try:
            page = store.list_threads(owner, limit=loaded["limit"], before_cursor=loaded["before"])
        except ValueError:
            raise Refused(
                self._refuse(
                    session,
                    "list_threads",
                    "invalid_event",
                    "list_threads: before: unknown cursor.",
                )
            ) from None
        threads = [
            {
                "id": t.id,
                "name": t.name,
                "createdAt": t.created_at.isoformat(),
                "updatedAt": t.updated_at.isoformat(),
            }
            for t in page.threads
        ]
        return {"ok": True, "threads": threads, "next": page.next_cursor}

    @client_event("delete_thread")
    def on_delete_thread(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        store, owner = self._history_owner(session, "delete_thread")
        thread_id = loaded["threadId"]
        if not store.delete_thread(thread_id, owner=owner):
            return self._refuse(
                session, "delete_thread", "not_found", "delete_thread: no such conversation."
            )
        # Its files go too (after the records: a failure here leaves unreachable bytes,
        # never a conversation pointing at missing ones).
        session.submit(self._delete_files(thread_id), force=True)
        return {"ok": True}

    def _delete_files(self, thread_id: str) -> Callable[[], None]:
        """A job deleting a thread's files (storage calls stay off the socket handler)."""

        def delete() -> None:
            try:
                self.state.files.delete_thread_files(thread_id)
            except StorageError:
                logger.exception("could not delete the files of thread %s", thread_id)

        return delete

    @client_event("feedback")
    def on_feedback(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        if self.state.persister is None:
            return self._refuse(session, "feedback", "no_feedback", "Feedback needs persistence.")
        store = self.state.persister.store
        owner = session.user.identifier if session.user else None
        message_id, thread_id = loaded["messageId"], session.thread_id
        try:
            if loaded["value"] is None:
                if not store.delete_feedback(message_id, owner=owner, thread_id=thread_id):
                    raise NotFound(message_id)
                return {"ok": True}
            given = store.set_feedback(
                message_id,
                loaded["value"],
                owner=owner,
                comment=loaded["comment"],
                thread_id=thread_id,
            )
        except NotFound:
            return self._refuse(
                session, "feedback", "not_found", "feedback: no such message in this conversation."
            )
        callback = self.state.hooks.get("on_feedback")
        if callback is not None:
            session.submit(
                self.state.runner.handler_job(
                    session, callback, given, as_task=False, name="on_feedback"
                ),
                force=True,
            )
        return {"ok": True, "id": given.id}


def _interrupted(wire: dict[str, Any]) -> dict[str, Any]:
    """A step stored as ``running`` was cut off (its process stopped mid-step): show it
    failed, without the buttons of an approval nobody can answer any more."""
    step = wire.get("step")
    if wire["type"] != STEP_TYPE or not isinstance(step, dict) or step.get("status") != "running":
        return wire
    return {
        **wire,
        "step": {**step, "status": "error"},
        "isError": True,
        "actions": [],
        "content": wire["content"] or "Interrupted.",
    }
