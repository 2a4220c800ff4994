"""The session's sequence, replay and ordering rules, without a server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask_copilot.core.session import ChatSession, SessionRegistry, SessionSettings


class RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def send(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        self.sent.append((sid, event, payload))


def make_session(
    transport: RecordingTransport, spawned: list[Callable[[], None]], **kwargs: Any
) -> ChatSession:
    return ChatSession(
        transport=transport,
        spawn=spawned.append,
        create_event=threading.Event,
        settings=SessionSettings(
            replay_limit=kwargs.pop("replay_limit", 100),
            replay_bytes=kwargs.pop("replay_bytes", 1 << 20),
            max_pending=kwargs.pop("max_pending", 5),
        ),
        **kwargs,
    )


def test_events_are_numbered_and_buffered_until_a_socket_attaches() -> None:
    transport, spawned = RecordingTransport(), []
    session = make_session(transport, spawned)
    session.emit("a", {})
    session.emit("b", {})
    assert transport.sent == []
    assert session.attach("sid1", None, ("session", {"x": 1}))
    assert [(e, p["seq"]) for _, e, p in transport.sent] == [("session", 2), ("a", 1), ("b", 2)]
    session.emit("c", {})
    assert transport.sent[-1] == ("sid1", "c", {"seq": 3})


def test_reattach_replays_only_what_was_missed() -> None:
    transport, spawned = RecordingTransport(), []
    session = make_session(transport, spawned)
    session.attach("sid1", None, ("session", {}))
    for name in "abc":
        session.emit(name, {})
    assert session.detach("sid1")
    session.emit("d", {})  # while nobody is attached
    transport.sent.clear()
    assert session.attach("sid2", 2, ("session", {}))
    assert [(sid, e, p["seq"]) for sid, e, p in transport.sent] == [
        ("sid2", "session", 4),
        ("sid2", "c", 3),
        ("sid2", "d", 4),
    ]


def test_replay_reports_a_gap_when_the_buffer_overflowed() -> None:
    transport, spawned = RecordingTransport(), []
    session = make_session(transport, spawned, replay_limit=2)
    for name in "abcd":
        session.emit(name, {})
    assert not session.attach("sid", 1, ("session", {}))
    assert session.attach("sid2", 2, ("session", {}))


def test_the_replay_buffer_is_bounded_by_bytes_oldest_first() -> None:
    transport, spawned = RecordingTransport(), []
    session = make_session(transport, spawned, replay_bytes=10_000)
    for n in range(1, 31):
        session.emit("new_message", {"message": {"content": f"{n} " + "x" * 990}})
    assert 9_000 <= session.replay_size <= 10_000  # about nine of the thirty events
    assert not session.attach("sid", 0, ("session", {}))  # the oldest are gone: a gap
    replayed = [p["seq"] for _, e, p in transport.sent if e == "new_message"]
    assert replayed == list(range(31 - len(replayed), 31)) and len(replayed) == 9
    # Non-ASCII text counts for up to 4 bytes a character.
    session.emit("new_message", {"message": {"content": "é" * 2000}})
    assert session.replay_size <= 10_000 and transport.sent[-1][2]["seq"] == 31
    # One event larger than the whole budget is still kept (the newest always is).
    session.emit("new_message", {"message": {"content": "y" * 50_000}})
    assert session.replay_size > 10_000
    assert session.attach("sid2", 31, ("session", {}))


def test_a_stale_socket_cannot_detach_the_current_one() -> None:
    session = make_session(RecordingTransport(), [])
    session.attach("new", None, ("session", {}))
    assert not session.detach("old")
    assert session.target_sid == "new"


def test_jobs_run_one_at_a_time_in_order_on_one_runner() -> None:
    spawned: list[Callable[[], None]] = []
    session = make_session(RecordingTransport(), spawned, max_pending=2)
    ran: list[int] = []
    assert session.submit(lambda: ran.append(1))
    assert session.submit(lambda: ran.append(2))
    assert not session.submit(lambda: ran.append(3))  # queue full
    assert session.submit(lambda: ran.append(4), force=True)
    assert len(spawned) == 1  # one runner for the whole queue
    spawned[0]()
    assert ran == [1, 2, 4]
    assert session.submit(lambda: ran.append(5))
    assert len(spawned) == 2  # the first runner ended when the queue emptied
    spawned[1]()
    assert ran == [1, 2, 4, 5]


def test_registry_expires_only_long_detached_sessions() -> None:
    registry = SessionRegistry()
    detached = make_session(RecordingTransport(), [])
    attached = make_session(RecordingTransport(), [])
    attached.attach("sid", None, ("session", {}))
    registry.add(detached)
    registry.add(attached)
    assert detached.detached_at is not None
    assert registry.expired(detached.detached_at + 10, timeout=5) == [detached]
    assert registry.expired(detached.detached_at + 1, timeout=5) == []
