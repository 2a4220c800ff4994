"""Chat sessions: identity, per-session event sequence and replay, ordered job queue.

This module does no I/O of its own. Sending goes through a :class:`Transport` and
spawning through a ``spawn`` callable, both injected, so the ordering and replay rules
are tested without a server.

Locks: a plain ``threading.Lock`` guards each session's small critical sections. Under
eventlet/gevent it is green once the process is monkey-patched, and the sections never
wait on anything but the transport's non-blocking send.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..files import FileService
from ..user import User
from .page import PageContext, PageFunction
from .transcript import Transcript

Job = Callable[[], None]
#: Sees every event a session emits (persistence): ``(session, event, payload)``.
Observer = Callable[["BaseSession", str, dict[str, Any]], None]


class Transport(Protocol):
    def send(self, sid: str, event: str, payload: dict[str, Any]) -> None: ...


def new_id() -> str:
    """Server-made ids: random, unguessable (122 bits), never taken from a client."""
    return str(uuid.uuid4())


def approx_size(value: Any) -> int:
    """About how many bytes ``value`` takes as JSON; cheap, and never less for text
    (a non-ASCII character counts 4)."""
    if isinstance(value, str):
        return len(value) if value.isascii() else 4 * len(value)
    if isinstance(value, dict):
        return 2 + sum(approx_size(k) + approx_size(v) + 2 for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return 2 + sum(approx_size(item) + 1 for item in value)
    return 8


@dataclass
class TaskState:
    """The handler currently running for a session; stop flips ``stop_requested`` and
    wakes whatever the handler waits on (function call, ask)."""

    stop_requested: bool = False
    wakers: list[Callable[[], None]] = field(default_factory=list)
    #: The user message (or clicked action) the handler answers: the default parent of
    #: the steps it opens.
    message_id: str | None = None

    def request_stop(self) -> None:
        self.stop_requested = True
        for wake in list(self.wakers):
            wake()


class BaseSession:
    """What ``context.session`` exposes to handlers, whatever the context kind."""

    #: Whether events reach a live client (False for HTTP contexts).
    interactive = False
    #: Default author of assistant messages (``COPILOT_ASSISTANT_NAME``).
    assistant_name = "Assistant"

    def __init__(
        self,
        *,
        session_id: str,
        client_type: str,
        user: User | None,
        thread_id: str | None,
        chat_profile: str | None = None,
        language: str | None = None,
        observer: Observer | None = None,
        files: FileService | None = None,
    ) -> None:
        self.id = session_id
        #: Storage, limits and signed URLs for elements and uploads.
        self.files = files
        self.observer = observer
        self.client_type = client_type
        self.user = user
        self.thread_id = thread_id
        self.chat_profile = chat_profile
        self.language = language
        self.user_session: dict[str, Any] = {}
        #: What the page declared and shares (the widget's ``page_state``), by name.
        self.page_functions: dict[str, PageFunction] = {}
        self.page_context = PageContext()
        #: The conversation as shown (see ``core/transcript.py``).
        self.transcript = Transcript()

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        raise NotImplementedError

    def history(self) -> list[dict[str, Any]]:
        """The messages and steps of this conversation, oldest first, in wire form
        (a resumed thread's stored ones included; bounded, the oldest go first)."""
        return self.transcript.messages()

    def record(self, event: str, payload: dict[str, Any]) -> None:
        """Tell the observer (persistence) about something that is not sent."""
        if self.observer is not None:
            self.observer(self, event, payload)

    def remember_actions(self, actions: list[Any], message_id: str) -> None:
        """Keep the actions shown under a message, so clicks are trusted only by id."""

    def remember_files(self, shown: list[StoredFile]) -> None:
        """Keep the stored files shown in this chat, so their URLs can be renewed."""


class HTTPSession(BaseSession):
    """A context for plain Flask views: nothing is pushed, what is sent is persisted."""

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        self.transcript.observe(event, payload)
        self.record(event, payload)


class WaitableEvent(Protocol):
    def set(self) -> None: ...
    def clear(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class StoredFile:
    """A file shown in a chat: what a fresh URL for it needs."""

    element_id: str
    key: str
    name: str
    mime: str


@dataclass
class PendingWait:
    """A handler waiting for the browser: a function call's result, or the user's answer.

    ``event`` is only a wake-up signal (answer, stop, socket attached or gone, session
    ended); the waiting side re-checks the state each time it wakes.
    """

    kind: str  # "call_fn" or "ask"
    id: str
    event: WaitableEvent
    ask_kind: str | None = None  # "text", "action" or "file" for asks
    action_ids: frozenset[str] = frozenset()
    #: A file ask's limits (``UploadLimits``).
    limits: Any = None
    done: bool = False
    value: Any = None
    error: str | None = None

    def resolve(self, value: Any = None, error: str | None = None) -> bool:
        """Record the answer; False if it was already answered."""
        if self.done:
            return False
        self.done, self.value, self.error = True, value, error
        self.event.set()
        return True


@dataclass(frozen=True)
class SentAction:
    """An action button the server showed, kept so a click is trusted only by id."""

    action: Any
    message_id: str


@dataclass(frozen=True)
class SessionSettings:
    """The limits a live chat session works within (from the ``COPILOT_*`` config).

    Carried by the session so that what handlers call (messages, asks, function calls)
    needs nothing but the current session: no reach back into the Flask extension.
    """

    replay_limit: int = 1000
    #: The replay buffer's budget in bytes (``COPILOT_REPLAY_BUFFER_BYTES``): the oldest
    #: events leave first; the newest one always stays.
    replay_bytes: int = 2 * 1024 * 1024
    max_pending: int = 20
    assistant_name: str = "Assistant"
    function_timeout: float = 60.0
    ask_timeout: float = 60.0
    disconnect_grace: float = 5.0


@dataclass(frozen=True)
class BufferedEvent:
    seq: int
    event: str
    payload: dict[str, Any]
    size: int = 0


class ChatSession(BaseSession):
    """A live chat with one widget, surviving socket reconnects until it expires."""

    interactive = True

    def __init__(
        self,
        *,
        transport: Transport,
        spawn: Callable[[Callable[[], None]], None],
        create_event: Callable[[], WaitableEvent],
        settings: SessionSettings,
        after_emit: Callable[[], None] = lambda: None,
        session_id: str | None = None,
        client_type: str = "copilot",
        user: User | None = None,
        thread_id: str | None = None,
        chat_profile: str | None = None,
        language: str | None = None,
        observer: Observer | None = None,
        files: FileService | None = None,
    ) -> None:
        super().__init__(
            session_id=session_id or new_id(),
            client_type=client_type,
            user=user,
            thread_id=thread_id,
            chat_profile=chat_profile,
            language=language,
            observer=observer,
            files=files,
        )
        self._transport = transport
        self._spawn = spawn
        self._after_emit = after_emit
        #: A fresh wake-up event of the running async mode (for waits).
        self.create_event = create_event
        self.settings = settings
        self.assistant_name = settings.assistant_name
        self._max_pending = settings.max_pending
        self._lock = threading.Lock()
        self._seq = 0
        self._replay: deque[BufferedEvent] = deque()
        self._replay_size = 0
        self._jobs: deque[Job] = deque()
        self._runner_active = False
        self._seen_client_ids: OrderedDict[str, str] = OrderedDict()
        #: The socket events are sent to; None while detached or before ``ready``.
        self.target_sid: str | None = None
        #: Monotonic time the last socket left, or None while a socket is attached.
        self.detached_at: float | None = time.monotonic()
        self.current_task: TaskState | None = None
        self.ended = False
        #: The session continues a stored conversation (the handshake's threadId).
        self.resumed_thread = False
        #: Writes held back until the user's first message: a chat nobody wrote in
        #: (just a greeting) is not stored as a conversation. None once it is stored.
        self.unstored: list[tuple[str, dict[str, Any]]] | None = []
        #: Ids of the resumed thread's messages that were accepted and never answered
        #: (sent with the ``session`` greeting, until sent again).
        self.unanswered: list[str] = []
        #: The client's address (per-address session limits).
        self.address: str | None = None
        self._waits: dict[str, PendingWait] = {}
        self._actions: OrderedDict[str, SentAction] = OrderedDict()
        self._files_shown: OrderedDict[str, StoredFile] = OrderedDict()

    # --- outgoing events ------------------------------------------------------------

    @property
    def last_seq(self) -> int:
        return self._seq

    def emit(self, event: str, payload: dict[str, Any], *, persist: bool = True) -> None:
        """Number the event, keep it for replay, send it if a socket is attached, then
        let the observer persist it (outside the lock: a write never delays a send)."""
        size = approx_size(payload)
        with self._lock:
            self._seq += 1
            numbered = {"seq": self._seq, **payload}
            self._buffer(BufferedEvent(self._seq, event, numbered, size))
            if self.target_sid is not None:
                self._transport.send(self.target_sid, event, numbered)
        self.transcript.observe(event, payload)
        if persist:
            self.record(event, payload)
        self._after_emit()

    def _buffer(self, event: BufferedEvent) -> None:
        """Keep ``event`` for replay within the count and byte budgets (lock held)."""
        replay = self._replay
        replay.append(event)
        self._replay_size += event.size
        limit, budget = self.settings.replay_limit, self.settings.replay_bytes
        while len(replay) > limit or (self._replay_size > budget and len(replay) > 1):
            self._replay_size -= replay.popleft().size

    @property
    def replay_size(self) -> int:
        """Bytes (estimated) the replay buffer holds."""
        return self._replay_size

    def attach(self, sid: str, last_seq: int | None, greeting: tuple[str, dict[str, Any]]) -> bool:
        """Make ``sid`` the target: send ``greeting`` (the ``session`` event), then what
        the socket missed, atomically with respect to :meth:`emit`, so nothing is lost
        or sent twice.

        The greeting carries the current ``seq`` without taking a new one and is not
        buffered: it tells the client where the replay that follows will end, before
        the client decides which events it already has.

        Returns False when events after ``last_seq`` have already left the replay
        buffer (the client must treat its view as incomplete).
        """
        event, payload = greeting
        with self._lock:
            self.target_sid = sid
            self.detached_at = None
            after = last_seq or 0
            self._transport.send(sid, event, {"seq": self._seq, **payload})
            for buffered in self._replay:
                if buffered.seq > after:
                    self._transport.send(sid, buffered.event, buffered.payload)
            complete = after >= self._seq or (
                bool(self._replay) and self._replay[0].seq <= after + 1
            )
        self.wake_waits()
        return complete

    def detach(self, sid: str) -> bool:
        """Forget ``sid`` if it is the current target; True if it was."""
        with self._lock:
            if self.target_sid != sid:
                return False
            self.target_sid = None
            self.detached_at = time.monotonic()
        self.wake_waits()
        return True

    # --- incoming work ---------------------------------------------------------------

    def message_id_for(self, client_id: str) -> str | None:
        """The server id given to an earlier message with this client id, if any."""
        return self._seen_client_ids.get(client_id)

    def remember_client_id(self, client_id: str, message_id: str) -> None:
        """Record a client's message id, so a resend is recognised (last 1,000 kept)."""
        with self._lock:
            self._seen_client_ids[client_id] = message_id
            while len(self._seen_client_ids) > 1000:
                self._seen_client_ids.popitem(last=False)

    def submit(self, job: Job, *, force: bool = False) -> bool:
        """Queue ``job`` behind the session's running handler.

        Jobs of one session run one at a time in submission order, on one runner task
        that exists only while there is work. Returns False (job dropped) when the
        queue is full, unless ``force`` (lifecycle hooks must run).
        """
        with self._lock:
            if not force and len(self._jobs) >= self._max_pending:
                return False
            self._jobs.append(job)
            if self._runner_active:
                return True
            self._runner_active = True
        self._spawn(self._drain)
        return True

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._jobs:
                    self._runner_active = False
                    return
                job = self._jobs.popleft()
            job()

    @property
    def pending_jobs(self) -> int:
        return len(self._jobs)

    def request_stop(self) -> bool:
        """Stop the running handler at its next framework call (or wait); False if none
        runs."""
        task = self.current_task
        if task is None:
            return False
        task.request_stop()
        self.wake_waits()
        return True

    # --- waits and actions ------------------------------------------------------------

    def open_wait(self, wait: PendingWait) -> PendingWait:
        with self._lock:
            self._waits[wait.id] = wait
        return wait

    def close_wait(self, wait_id: str) -> None:
        with self._lock:
            self._waits.pop(wait_id, None)

    def find_wait(self, wait_id: str, kind: str) -> PendingWait | None:
        wait = self._waits.get(wait_id)
        return wait if wait is not None and wait.kind == kind and not wait.done else None

    def pending_ask(self, ask_kind: str) -> PendingWait | None:
        for wait in list(self._waits.values()):
            if wait.kind == "ask" and wait.ask_kind == ask_kind and not wait.done:
                return wait
        return None

    def wake_waits(self) -> None:
        for wait in list(self._waits.values()):
            wait.event.set()

    def remember_actions(self, actions: list[Any], message_id: str) -> None:
        with self._lock:
            for action in actions:
                self._actions[action.id] = SentAction(action, message_id)
            while len(self._actions) > 1000:
                self._actions.popitem(last=False)

    def remember_files(self, shown: list[StoredFile]) -> None:
        with self._lock:
            for stored in shown:
                self._files_shown[stored.element_id] = stored
                self._files_shown.move_to_end(stored.element_id)
            while len(self._files_shown) > 1000:
                self._files_shown.popitem(last=False)

    def shown_file(self, element_id: str) -> StoredFile | None:
        return self._files_shown.get(element_id)

    def find_action(self, action_id: str) -> SentAction | None:
        return self._actions.get(action_id)

    def forget_actions(self, message_id: str) -> None:
        with self._lock:
            for action_id in [k for k, v in self._actions.items() if v.message_id == message_id]:
                del self._actions[action_id]


class SessionRegistry:
    """The live chat sessions of one process, by session id and by socket id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, ChatSession] = {}
        self._by_sid: dict[str, ChatSession] = {}

    def add(self, session: ChatSession) -> None:
        with self._lock:
            self._by_id[session.id] = session

    def get(self, session_id: str) -> ChatSession | None:
        return self._by_id.get(session_id)

    def by_sid(self, sid: str) -> ChatSession | None:
        return self._by_sid.get(sid)

    def bind_sid(self, sid: str, session: ChatSession) -> None:
        with self._lock:
            self._by_sid[sid] = session

    def unbind_sid(self, sid: str) -> ChatSession | None:
        with self._lock:
            return self._by_sid.pop(sid, None)

    def sids_of(self, session: ChatSession) -> list[str]:
        with self._lock:
            return [sid for sid, s in self._by_sid.items() if s is session]

    def remove(self, session: ChatSession) -> None:
        with self._lock:
            self._by_id.pop(session.id, None)
            for sid in [sid for sid, s in self._by_sid.items() if s is session]:
                del self._by_sid[sid]

    def all(self) -> list[ChatSession]:
        with self._lock:
            return list(self._by_id.values())

    def expired(self, now: float, timeout: float) -> list[ChatSession]:
        """Sessions detached for longer than ``timeout`` seconds."""
        with self._lock:
            return [
                s
                for s in self._by_id.values()
                if s.detached_at is not None and now - s.detached_at > timeout
            ]

    def __len__(self) -> int:
        return len(self._by_id)
