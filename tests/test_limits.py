"""What one client can make the server hold is bounded: the replay buffer by bytes (RSS
of a real worker), and concurrent sessions per user and per address."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flask_copilot import User, create_jwt
from flask_copilot.server.state import get_state
from flask_copilot.testing import ConnectionRefused, CopilotTestClient, LiveServer
from tests.apps import secure_app
from tests.servers import gunicorn_server

MESSAGE_CHARS = 99_000


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_one_client_cannot_pin_more_than_the_replay_budget(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    with (
        gunicorn_server(
            "tests.apps.limits_app:create_app()", "gevent", COPILOT_DATABASE_URL=database
        ) as (url, _),
        CopilotTestClient(url, timeout=20) as client,
    ):
        worker = int(client.chat("pid").text)

        def chat(n: int) -> None:
            text = f"{n:04d}" + "x" * (MESSAGE_CHARS - 4)
            assert client.chat(text).text == f"You said: {text}"

        for n in range(20):  # the buffer (2 MB by default) is full after these
            chat(n)
        before = rss_bytes(worker)
        for n in range(20, 150):
            chat(n)
        grown = rss_bytes(worker) - before
        print(f"worker RSS grew {grown / 1e6:.1f} MB over 130 messages of {MESSAGE_CHARS} chars")
        # Unbounded (1,000 events) this held every one of them: ~26 MB more.
        assert grown < 10e6
        last_seq, session_id = client.last_seq, client.session_id
        client.disconnect()
        # The oldest events are gone: a reconnect from the start is told so.
        again = CopilotTestClient(url, timeout=20)
        try:
            again.connect(session_id=session_id, last_seq=1)
            assert again.wait_for("error", lambda p: p["code"] == "replay_incomplete")
            assert again.last_seq == last_seq + 1  # the error takes the next number
        finally:
            again.disconnect()


@pytest.fixture
def limited(request: pytest.FixtureRequest) -> Iterator[tuple[Flask, str]]:
    config: dict[str, Any] = dict(
        COPILOT_DATABASE_URL=None,
        COPILOT_MAX_SESSIONS_PER_USER=2,
        COPILOT_MAX_SESSIONS_PER_ADDRESS=3,
    )
    config.update(getattr(request, "param", {}))
    app = secure_app.create_app(**config)
    with LiveServer(app) as live:
        yield app, live.url


def signed_in(url: str, user: str, **kwargs: Any) -> CopilotTestClient:
    token = create_jwt(User(user, metadata={"team": "a"}), secret=secure_app.SECRET)
    return CopilotTestClient(url, access_token=token, timeout=5, **kwargs)


def refusal(client: CopilotTestClient) -> str:
    try:
        with pytest.raises(ConnectionRefused) as refused:
            client.connect()
    finally:
        client.disconnect()
    return refused.value.reason


def test_sessions_per_user_are_bounded_detached_ones_making_room_first(
    limited: tuple[Flask, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_copilot")
    app, url = limited
    registry = get_state(app).registry
    first, second = signed_in(url, "alice"), signed_in(url, "alice")
    first.connect()
    second.connect()
    assert refusal(signed_in(url, "alice")) == (
        "too_many_sessions: this user already has 2 open chats (COPILOT_MAX_SESSIONS_PER_USER)"
    )
    first.disconnect()  # detached: kept for a reconnect, until room is needed
    with signed_in(url, "alice") as third:
        assert registry.get(first.session_id) is None  # type: ignore[arg-type]
        assert third.chat("who?").text == 'alice {"team": "a"}'
        assert second.chat("who?").text == 'alice {"team": "a"}'
        assert refusal(signed_in(url, "alice")).startswith("too_many_sessions")
    second.disconnect()
    assert any(
        r.levelno == logging.WARNING
        and "refused a connection from origin" in r.getMessage()
        and "too_many_sessions: this user already has 2 open chats" in r.getMessage()
        for r in caplog.records
    )


def test_sessions_per_address_are_bounded(limited: tuple[Flask, str]) -> None:
    _, url = limited
    clients = [signed_in(url, name) for name in ("alice", "bob", "carol")]
    try:
        for client in clients:
            client.connect()
        assert refusal(signed_in(url, "dave")) == (
            "too_many_sessions: 3 chats are already open from this address "
            "(COPILOT_MAX_SESSIONS_PER_ADDRESS)"
        )
    finally:
        for client in clients:
            client.disconnect()


def forwarded(url: str, user: str, address: str) -> CopilotTestClient:
    return signed_in(url, user, headers={"X-Forwarded-For": f"{address}, 10.9.9.9"})


@pytest.mark.parametrize(
    "limited",
    [{"COPILOT_MAX_SESSIONS_PER_ADDRESS": 1, "COPILOT_TRUSTED_PROXIES": 2}],
    indirect=True,
)
def test_the_forwarded_address_counts_only_behind_trusted_proxies(
    limited: tuple[Flask, str],
) -> None:
    _, url = limited
    with forwarded(url, "alice", "203.0.113.1"), forwarded(url, "bob", "203.0.113.2"):
        assert refusal(forwarded(url, "carol", "203.0.113.1")).startswith("too_many_sessions")


@pytest.mark.parametrize("limited", [{"COPILOT_MAX_SESSIONS_PER_ADDRESS": 1}], indirect=True)
def test_a_forwarded_address_is_ignored_by_default(
    limited: tuple[Flask, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="flask_copilot")
    _, url = limited
    with forwarded(url, "alice", "203.0.113.1"):
        assert refusal(forwarded(url, "bob", "203.0.113.2")).startswith("too_many_sessions")
    warnings = [
        r.getMessage() for r in caplog.records if "COPILOT_TRUSTED_PROXIES" in r.getMessage()
    ]
    assert len(warnings) == 1  # once per process, not per connection
