"""The Socket.IO namespace: validates every client event and dispatches it.

Socket handlers never run the app's code: they validate, queue a job on the session and
return at once (the app's handlers run on the session's runner, see ``core/session.py``).
That keeps them cheap enough to run inline, in arrival order.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, Namespace
from marshmallow import ValidationError

from ..auth.origins import is_same_origin
from ..auth.tokens import InvalidToken, load_identity
from ..chat.actions import Action
from ..chat.elements import File, publish
from ..chat.messages import Message
from ..config import ConfigError
from ..core.page import ContextValue, PageContext, PageFunction
from ..core.session import ChatSession, PendingWait, new_id
from ..files import InvalidFileToken, StorageError, UploadGrant, accepts
from ..protocol.schemas import CLIENT_EVENTS, HandshakeAuth
from ..store import StoreError
from ..user import User
from .auth_policy import AuthPolicy
from .cluster import SessionRecord
from .events import Refused, client_event, describe_errors
from .history_events import HistoryEvents
from .limits import SessionLimits, TooManySessions
from .lookup import RECORD_PREFIX
from .packets import MalformedPacket
from .state import CopilotState

logger = logging.getLogger("flask_copilot")

_HANDSHAKE = HandshakeAuth()
_TRANSPORT_EVENTS = ("connect", "disconnect")


class SocketIOTransport:
    """Delivers a session's events to one socket of this namespace."""

    def __init__(self, state: CopilotState) -> None:
        self._state = state

    def send(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        # ``sid`` is always a socket of this process: skip the message queue.
        self._state.socketio.emit(
            event, payload, to=sid, namespace=self._state.namespace, ignore_queue=True
        )


class CopilotNamespace(HistoryEvents, Namespace):  # type: ignore[misc]
    def __init__(self, state: CopilotState) -> None:
        super().__init__(state.namespace)
        self.state = state
        self.transport = SocketIOTransport(state)
        self._restored: dict[str, bool] = {}
        self._reaper_started = False
        self.limits = SessionLimits(state.config, state.registry)

    # --- dispatch ----------------------------------------------------------------

    def trigger_event(self, event: str, *args: Any) -> Any:
        if event in _TRANSPORT_EVENTS:
            if self._raised_by_transport(event, args):
                return super().trigger_event(event, *args)
            # A client's frame named like the transport's events: python-socketio hands
            # it to us the same way (as it does any event name). Only the transport may
            # connect or disconnect a socket.
            message = f"{event!r} is the transport's own event; a client cannot send it."
        elif event in CLIENT_EVENTS:
            return super().trigger_event(event, *args)
        else:
            message = f"Unknown event {event!r}."
        sid = args[0] if args else None
        session = self.state.registry.by_sid(sid) if sid else None
        if session is not None:
            return self._refuse(session, event, "unknown_event", message)
        return None

    def _raised_by_transport(self, event: str, args: tuple[Any, ...]) -> bool:
        """Whether python-socketio itself raised ``connect``/``disconnect`` for a socket.

        Its ``connect`` carries the socket's own WSGI environ (``(sid, environ, auth)``):
        a client's frame only carries freshly decoded JSON, never that very object. Its
        ``disconnect`` comes after the socket was marked as leaving, while a client's
        frame is only dispatched for a socket fully connected.
        """
        server = self.state.socketio.server
        sid = args[0] if args else None
        if sid is None:
            return False
        if event == "connect":
            return len(args) >= 2 and args[1] is server.get_environ(sid, self.namespace)
        return not server.manager.is_connected(sid, self.namespace)

    def refuse_malformed_packet(self, eio_sid: str, error: MalformedPacket) -> None:
        """A packet python-socketio could not decode (see ``server/packets.py``): one log
        line, and an ``error`` event when the socket has a session."""
        server = self.state.socketio.server
        sid = server.manager.sid_from_eio_sid(eio_sid, error.namespace or self.namespace)
        session = self.state.registry.by_sid(sid) if sid else None
        message = f"Malformed Socket.IO packet: {error.reason}."
        if session is None:
            logger.info("refused a packet from %s: %s", eio_sid, message)
            return
        logger.info("refused a packet from session %s: %s", session.id, message)
        session.emit(
            "error", {"code": "invalid_event", "message": message, "event": None, "fields": None}
        )

    # --- connection ----------------------------------------------------------------

    def on_connect(self, auth: Any = None) -> None:
        sid: str = request.sid  # type: ignore[attr-defined]
        origin = request.environ.get("HTTP_ORIGIN")
        if auth is not None and not isinstance(auth, dict):
            raise self._refuse_connection("invalid_handshake", "auth must be an object", origin)
        try:
            handshake = _HANDSHAKE.load(auth or {})
        except ValidationError as exc:
            raise self._refuse_connection(
                "invalid_handshake", describe_errors(exc.messages), origin
            ) from None
        if not self.state.origins.allows(origin, request.environ):
            # Our own SocketIO refuses these before we get here; an app's own may not.
            raise self._refuse_connection("origin_not_allowed", f"{origin} may not connect", origin)
        try:
            policy = self.state.auth()
        except ConfigError as exc:
            self.state.refusals.warn("server_misconfigured", str(exc), logging.ERROR)
            raise ConnectionRefusedError(
                "server_misconfigured: the copilot cannot identify users; see the server log"
            ) from None
        user = self._authenticate(policy, handshake["accessToken"], origin)
        if user is not None and self.state.persister is not None:
            try:
                self.state.persister.store.upsert_user(
                    user.identifier, display_name=user.display_name, metadata=user.metadata
                )
            except StoreError:
                logger.exception("could not record user %s", user.identifier)
        address = self.limits.client_address(request.environ)
        session, restored = self._find_or_create(handshake, user, address)
        self._restored[sid] = restored
        self.state.registry.bind_sid(sid, session)
        self._start_reaper()

    def _refuse_connection(
        self,
        reason: str,
        detail: str,
        origin: str | None,
        told: str | None = None,
        key: str | None = None,
    ) -> ConnectionRefusedError:
        """Log (rate-limited by ``key``, never the token) and build the refusal the
        client gets: ``reason: told`` (default ``reason: detail``)."""
        self.state.refusals.refused("a connection", reason, detail, origin, key)
        return ConnectionRefusedError(f"{reason}: {told or detail}")

    def _authenticate(
        self, policy: AuthPolicy, token: str | None, origin: str | None
    ) -> User | None:
        """The connecting user: from the access token, else (same-origin pages only)
        from ``header_auth_callback``. Refused when sign-in is required and neither
        names a user, or when a token is invalid (in every mode but ``off``)."""
        if not policy.identifies_users:
            if token:
                self.state.refusals.warn(
                    "token_ignored",
                    f"ignored the access token of a connection from origin {origin}: "
                    "COPILOT_AUTH is 'off' (nothing says how users sign in), so nobody is "
                    "identified; set COPILOT_AUTH_SECRET, register @copilot.identity_loader, "
                    "or set COPILOT_AUTH",
                )
            return None
        if token and policy.keys:
            try:
                return policy.verify(token)
            except InvalidToken as exc:
                raise self._refuse_connection(
                    "not_authenticated",
                    f"invalid token ({exc})",
                    origin,
                    told="the access token is invalid or expired",
                    key="invalid_token",
                ) from None
        header_auth = self.state.hooks.get("header_auth_callback")
        # Cookies ride along on cross-site websocket handshakes too: trust headers
        # only from the server's own origin.
        if header_auth is not None and is_same_origin(origin, request.environ):
            try:
                user = load_identity(lambda: header_auth(request.headers))
            except Exception:
                logger.exception("header_auth_callback raised")
                user = None
            if user is not None:
                return user
        if policy.required:
            detail = "no access token"
            if header_auth is not None:
                detail += " (and header_auth_callback named nobody, or the page is cross-origin)"
            raise self._refuse_connection(
                "not_authenticated",
                detail,
                origin,
                told="sign in to use the copilot",
                key="no_token",
            )
        return None

    def _find_or_create(
        self, handshake: dict[str, Any], user: User | None, address: str | None
    ) -> tuple[ChatSession, bool]:
        registry = self.state.registry
        wanted = handshake["sessionId"]
        if wanted:
            existing = registry.get(wanted)
            if existing is not None and not existing.ended and _same_owner(existing.user, user):
                return existing, True
        try:
            for detached in self.limits.make_room(user, address):
                logger.info("ended detached session %s to make room for a new one", detached.id)
                self.end_session(detached)
        except TooManySessions as exc:
            raise self._refuse_connection(
                "too_many_sessions", str(exc), request.environ.get("HTTP_ORIGIN")
            ) from None
        runtime = self.state.runtime
        thread = self._thread_to_resume(handshake["threadId"], user)
        session = ChatSession(
            transport=self.transport,
            spawn=runtime.spawn,
            create_event=runtime.create_event,
            settings=self.state.session_settings,
            after_emit=runtime.yield_now,
            client_type=handshake["clientType"],
            user=user,
            # Server-made, or a stored thread of this very user.
            thread_id=thread.id if thread is not None else new_id(),
            observer=self.state.persister,
            chat_profile=handshake["chatProfile"],
            language=handshake["language"],
            files=self.state.files,
        )
        session.address = address
        registry.add(session)
        self.state.cluster.announce([self._record(session)])
        # First job of every session: nothing the user sends can overtake it.
        if thread is not None and self._resume(session, thread, lost_session=wanted):
            pass
        else:
            if handshake["threadId"]:
                self._refuse(
                    session,
                    "connect",
                    "thread_not_found",
                    "That conversation cannot be opened here; a new one started.",
                )
            session.submit(self.state.runner.job(session, "on_chat_start"), force=True)
        return session, False

    def on_disconnect(self, reason: Any = None) -> None:
        sid: str = request.sid  # type: ignore[attr-defined]
        self._restored.pop(sid, None)
        session = self.state.registry.unbind_sid(sid)
        if session is not None:
            session.detach(sid)

    # --- client events -------------------------------------------------------------

    @client_event("ready")
    def on_ready(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        sid: str = request.sid  # type: ignore[attr-defined]
        previous = session.target_sid
        if previous is not None and previous != sid:
            # The same session opened on a newer socket (reconnect raced the old
            # socket's timeout, or a second tab): the newest socket wins.
            self.state.registry.unbind_sid(previous)
            session.detach(previous)
            self.state.socketio.server.disconnect(previous, namespace=self.state.namespace)
        restored = self._restored.get(sid, False)
        greeting = {
            "sessionId": session.id,
            "threadId": session.thread_id,
            "restored": restored,
            "user": session.user.to_wire() if session.user else None,
            "resumedThread": session.resumed_thread,
            "unanswered": list(session.unanswered),
            "uploadToken": self._upload_token(session),
        }
        # A new session's events start again from 1, whatever the client saw before.
        last_seq = loaded["lastSeq"] if restored else 0
        if not session.attach(sid, last_seq, ("session", greeting)):
            self._refuse(
                session,
                "ready",
                "replay_incomplete",
                "Some events are too old to replay; reload the conversation.",
            )
        return {"ok": True}

    @client_event("client_message")
    def on_client_message(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        limit = self.state.config.max_message_chars
        if len(loaded["content"]) > limit:
            return self._refuse(
                session,
                "client_message",
                "too_large",
                f"client_message: content has {len(loaded['content'])} characters; "
                f"the limit is {limit}.",
                fields={"content": [f"Longer than {limit} characters."]},
            )
        client_id = loaded["clientId"]
        if client_id:
            earlier = session.message_id_for(client_id)
            if earlier is not None:
                return {"ok": True, "id": earlier, "duplicate": True}
        author = "User"
        if session.user is not None:
            author = session.user.display_name or session.user.identifier
        metadata = dict(loaded["metadata"])
        if client_id:
            metadata["clientId"] = client_id
        is_user = loaded["type"] == "user_message"
        file_ask = session.pending_ask("file") if is_user and loaded["files"] else None
        ask = file_ask or (session.pending_ask("text") if is_user else None)
        if ask is None and session.pending_jobs >= self.state.config.max_pending_messages:
            return self._refuse(
                session,
                "client_message",
                "too_many_pending",
                f"{session.pending_jobs} messages are already waiting; try again "
                "when the assistant has answered.",
            )
        attached = self._attachments(session, loaded["files"], file_ask)
        message = Message(
            loaded["content"],
            author=author,
            type=loaded["type"],
            metadata=metadata,
            elements=attached,
        )
        message.thread_id = session.thread_id
        owner = session.user.identifier if session.user else None
        for element in attached:
            element.for_id = message.id
            element.prepare_with(self.state.files, session.thread_id or "", owner)
        # Accepted means stored and queued: only then is its clientId remembered, so a
        # message that could not be stored can be sent again.
        wire = message.to_wire()
        self._store_accepted(session, wire, handled=ask is not None)
        if client_id:
            session.remember_client_id(client_id, message.id)
        # Echo first, then queue: the user's message always precedes its reply.
        session.emit("new_message", {"message": wire}, persist=False)
        if attached:
            publish(session, message.id, attached)
        if loaded["resendOf"]:
            self._forget_unanswered(session, loaded["resendOf"])
        if ask is not None:
            # The handler is waiting for this answer: hand it over, start nothing new.
            if ask.ask_kind == "file":
                ask.resolve(attached)
            else:
                ask.resolve(
                    {
                        "id": message.id,
                        "content": message.content,
                        "output": message.content,
                        "author": message.author,
                        "type": message.type,
                        "elements": attached,
                    }
                )
            return {"ok": True, "id": message.id, "askAnswer": True}
        job = self.state.runner.job(session, "on_message", message, message_id=message.id)
        session.submit(job, force=True)
        return {"ok": True, "id": message.id}

    def _store_accepted(self, session: ChatSession, wire: dict[str, Any], *, handled: bool) -> None:
        persister = self.state.persister
        if persister is None:
            return
        try:
            persister.accept(session, wire, handled=handled)
        except StoreError as exc:
            logger.error("could not store a message of session %s: %s", session.id, exc)
            raise Refused(
                self._refuse(
                    session,
                    "client_message",
                    "store_unavailable",
                    "Your message could not be saved; send it again in a moment.",
                )
            ) from None

    def _forget_unanswered(self, session: ChatSession, message_id: str) -> None:
        """The user sent an unanswered message again: stop reporting the old one."""
        if message_id in session.unanswered:
            session.unanswered.remove(message_id)
        persister = self.state.persister
        if persister is None:
            return
        owner = session.user.identifier if session.user else None
        try:
            persister.store.mark_handled(message_id, owner=owner, thread_id=session.thread_id)
        except StoreError as exc:
            logger.error("could not mark message %s as sent again: %s", message_id, exc)

    def _upload_token(self, session: ChatSession) -> str | None:
        if self.state.config.max_files < 1 or session.thread_id is None:
            return None
        grant = UploadGrant(
            session_id=session.id,
            thread_id=session.thread_id,
            owner=session.user.identifier if session.user else None,
        )
        return self.state.files.signer.grant_upload(grant)

    def _attachments(
        self, session: ChatSession, tokens: list[str], ask: PendingWait | None
    ) -> list[File]:
        """The uploads a ``client_message`` names, checked: made for this session, and
        within the limits (the file ask's, or the global ones). A refusal deletes them:
        nothing of a refused message is kept."""
        if not tokens:
            return []
        files = self.state.files
        refs = {}
        for token in tokens:
            try:
                ref = files.signer.read_reference(token)
            except InvalidFileToken:
                ref = None
            if ref is None or ref.session_id != session.id:
                raise Refused(
                    self._refuse(
                        session,
                        "client_message",
                        "invalid_file",
                        "client_message: files: not an upload of this chat (or too old).",
                    )
                )
            refs[ref.id] = ref
        limits = ask.limits if ask is not None else files.limits
        problem: tuple[str, str] | None = None
        if limits.max_files < 1:
            problem = ("uploads_off", "This assistant does not take files.")
        elif len(refs) > limits.max_files:
            problem = ("too_many_files", f"At most {limits.max_files} file(s) per message.")
        for ref in refs.values():
            if problem is not None:
                break
            if ref.size > limits.max_bytes:
                problem = ("too_large", f"{ref.name} is too large.")
            elif not accepts(limits.accept, ref.mime, ref.name):
                problem = (
                    "unsupported_type",
                    f"{ref.name}: this kind of file is not accepted here.",
                )
        if problem is not None:
            for ref in refs.values():
                try:
                    files.storage.delete(ref.key)
                except StorageError:
                    logger.exception("could not delete refused upload %s", ref.key)
            raise Refused(self._refuse(session, "client_message", *problem))
        return [File.from_upload(files, ref) for ref in refs.values()]

    @client_event("file_url")
    def on_file_url(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        element_id = loaded["elementId"]
        owner = session.user.identifier if session.user else None
        shown = session.shown_file(element_id)
        if shown is not None:
            key, name, mime = shown.key, shown.name, shown.mime
        else:
            record = None
            if self.state.persister is not None and owner is not None:
                record = self.state.persister.store.get_element(element_id, owner=owner)
            if record is None or record.path is None:
                return self._refuse(
                    session, "file_url", "not_found", "file_url: no such file in this chat."
                )
            key, name, mime = record.path, record.name, record.mime or "application/octet-stream"
        return {"ok": True, "url": self.state.files.signed_url(key, name, mime, owner)}

    @client_event("stop")
    def on_stop(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        return {"ok": True, "stopped": session.request_stop()}

    @client_event("end_session")
    def on_end_session(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        self.end_session(session)
        return {"ok": True}

    @client_event("call_fn_result")
    def on_call_fn_result(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        wait = session.find_wait(loaded["callId"], "call_fn")
        if wait is None or not wait.resolve(loaded["value"], loaded["error"]):
            return self._refuse(
                session,
                "call_fn_result",
                "unknown_call",
                f"call_fn_result: no function call {loaded['callId']!r} is waiting "
                "(unknown, already answered, or timed out).",
            )
        return {"ok": True}

    @client_event("page_state")
    def on_page_state(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        # Replaced whole, by reference: a handler reading them mid-change sees one state.
        session.page_functions = {
            f["name"]: PageFunction(f["name"], f["description"], f["parameters"], f["confirm"])
            for f in loaded["functions"]
        }
        session.page_context = PageContext(
            shared={
                key: ContextValue(item["value"], item["description"])
                for key, item in loaded["context"].items()
            },
            url=loaded["url"],
            title=loaded["title"],
        )
        return {"ok": True}

    @client_event("action")
    def on_action(self, session: ChatSession, loaded: dict[str, Any]) -> Any:
        action_id = loaded["actionId"]
        sent = session.find_action(action_id)
        if sent is None:
            return self._refuse(
                session, "action", "unknown_action", f"action: no action {action_id!r} is shown."
            )
        ask = session.pending_ask("action")
        if ask is not None and action_id in ask.action_ids:
            action = sent.action
            ask.resolve(
                {
                    "id": action.id,
                    "name": action.name,
                    "label": action.label,
                    "payload": action.payload,
                }
            )
            return {"ok": True}
        callback = self.state.hooks.action_callbacks.get(sent.action.name)
        if callback is None:
            return self._refuse(
                session,
                "action",
                "no_callback",
                f"action: the app has no callback for action {sent.action.name!r}.",
            )
        job = self.state.runner.handler_job(
            session, callback, sent.action, message_id=action_id, name=f"action {sent.action.name}"
        )
        if not session.submit(job):
            return self._refuse(
                session, "action", "too_many_pending", "Too many messages are waiting."
            )
        return {"ok": True}

    # --- lifecycle -------------------------------------------------------------------

    def end_session(self, session: ChatSession) -> None:
        """End ``session`` now: stop its handler, run ``on_chat_end``, unbind its sockets
        (the client disconnects; events from an unbound socket get ``no_session``)."""
        if session.ended:
            return
        session.ended = True
        session.request_stop()
        session.wake_waits()
        self.state.cluster.forget(session.id)
        sids = self.state.registry.sids_of(session)
        self.state.registry.remove(session)
        session.submit(self.state.runner.job(session, "on_chat_end", as_task=False), force=True)
        if session.thread_id is not None and not self._resumable(session):
            # Nobody can open this conversation again: its files go with it.
            session.submit(self._delete_files(session.thread_id), force=True)
        for sid in sids:
            session.detach(sid)

    def _resumable(self, session: ChatSession) -> bool:
        return self.state.persister is not None and session.user is not None

    def _start_reaper(self) -> None:
        """Started by the first connection, so it runs in the worker process (never in a
        gunicorn master that preloaded the app)."""
        if self._reaper_started:
            return
        self._reaper_started = True
        self.state.cluster.start(self._deliver_push, self.state.runtime.spawn)
        self.state.runtime.spawn(self._reap_forever)

    def _reap_forever(self) -> None:
        timeout = self.state.config.session_timeout
        interval = max(0.05, min(5.0, timeout / 4))
        while True:
            self.state.runtime.sleep(interval)
            try:
                for session in self.state.registry.expired(time.monotonic(), timeout):
                    logger.debug("session %s expired", session.id)
                    self.end_session(session)
                # Keep this process's sessions findable from the others.
                self.state.cluster.announce(
                    self._record(s) for s in self.state.registry.all() if not s.ended
                )
            except Exception:
                logger.exception("session upkeep failed")

    def _record(self, session: ChatSession) -> SessionRecord:
        return SessionRecord(
            session_id=session.id,
            node=self.state.cluster.node,
            client_type=session.client_type,
            thread_id=session.thread_id,
            user=session.user.to_wire() if session.user else None,
        )

    def _deliver_push(self, session_id: str, event: str, payload: dict[str, Any]) -> None:
        """An event another process pushed into one of our sessions."""
        session = self.state.registry.get(session_id)
        if session is None or session.ended:
            logger.info("dropped a push into session %s: it has ended", session_id)
            return
        if event.startswith(RECORD_PREFIX):
            session.record(event[len(RECORD_PREFIX) :], payload)
            return
        if event == "new_message":
            actions = [Action.from_wire(a) for a in payload["message"].get("actions", [])]
            if actions:
                session.remember_actions(actions, payload["message"]["id"])
        session.emit(event, payload)


def _same_owner(owner: User | None, user: User | None) -> bool:
    if owner is None or user is None:
        return owner is None and user is None
    return owner.identifier == user.identifier
