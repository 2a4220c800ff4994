"""Hostile input over a real socket: text a database cannot keep, frames named like the
transport's own events, malformed and deeply nested packets. Each gets a clear answer
(or one log line), never a traceback, and the session goes on."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from flask_copilot import Copilot, Message, User, create_jwt
from flask_copilot.server.state import get_state
from flask_copilot.store import Store
from flask_copilot.testing import CopilotTestClient, LiveServer
from tests.apps import history_app, secure_app

NS = "/copilot"


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record of the test (the in-process server's threads included); none may
    carry a traceback."""
    caplog.set_level(logging.INFO)
    yield caplog
    tracebacks = [
        r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()
    ]
    assert tracebacks == []


def wait_until(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def store_of(app: Flask) -> Store:
    persister = get_state(app).persister
    assert persister is not None
    return persister.store


# --- 1. text at the edge, on SQLite and PostgreSQL ------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def history_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hostile.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    app = history_app.create_app(url)
    with LiveServer(app) as live:
        yield app, live.url


def history_client(url: str, user: str = "alice") -> CopilotTestClient:
    token = create_jwt(User(user), secret=history_app.SECRET)
    return CopilotTestClient(url, access_token=token, timeout=5)


def test_a_lone_surrogate_becomes_a_replacement_character_and_is_answered(
    history_server: tuple[Flask, str], log: pytest.LogCaptureFixture
) -> None:
    app, url = history_server
    with history_client(url) as client:
        thread_id = client.session_info["threadId"]  # type: ignore[index]
        # What a browser sends for "half" + "😀".slice(0, 1).
        ack = client.call("client_message", {"content": "half\ud83d", "clientId": "k1"})
        assert ack["ok"] is True and "duplicate" not in ack
        reply = client.wait_reply(ack["id"])
        assert reply.text == "Noted: half\ufffd"
    stored = [(m.type, m.content) for m in store_of(app).thread_messages(thread_id, owner="alice")]
    assert ("user_message", "half\ufffd") in stored
    assert ("assistant_message", "Noted: half\ufffd") in stored


def test_nul_is_refused_by_name_and_the_message_can_be_sent_again(
    history_server: tuple[Flask, str], log: pytest.LogCaptureFixture
) -> None:
    app, url = history_server
    with history_client(url) as client:
        thread_id = client.session_info["threadId"]  # type: ignore[index]
        refused = client.call("client_message", {"content": "a\x00b", "clientId": "k2"})
        assert refused["ok"] is False
        assert refused["error"] == {
            "code": "invalid_event",
            "message": "client_message: content: Contains a NUL character (U+0000).",
        }
        # The clientId was not remembered: the corrected message is a new one.
        again = client.call("client_message", {"content": "a b", "clientId": "k2"})
        assert again["ok"] is True and "duplicate" not in again
        assert client.wait_reply(again["id"]).text == "Noted: a b"
    contents = [m.content for m in store_of(app).thread_messages(thread_id, owner="alice")]
    assert "a b" in contents and "Noted: a b" in contents


@pytest.mark.parametrize(
    "event,payload,code",
    [
        ("feedback", {"messageId": "m\ud83d", "value": 1}, "not_found"),
        ("feedback", {"messageId": "m\x00", "value": 1}, "invalid_event"),
        ("feedback", {"messageId": "m", "value": 1, "comment": "\x00"}, "invalid_event"),
        ("delete_thread", {"threadId": "\ud83d"}, "not_found"),
        ("delete_thread", {"threadId": "t\x00"}, "invalid_event"),
        ("list_threads", {"before": "\ud83d\x00"}, "invalid_event"),
        ("call_fn_result", {"callId": "c", "value": {"k\ud83d": ["\x00"]}}, "invalid_event"),
        ("client_message", {"content": "x", "metadata": {"a": {"b": "\x00"}}}, "invalid_event"),
        ("action", {"actionId": "\udfff"}, "unknown_action"),
    ],
)
def test_hostile_ids_and_fields_get_a_clear_answer(
    history_server: tuple[Flask, str],
    log: pytest.LogCaptureFixture,
    event: str,
    payload: dict[str, Any],
    code: str,
) -> None:
    _, url = history_server
    with history_client(url) as client:
        ack = client.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code
        assert client.chat("still here").text == "Noted: still here"


def test_a_message_the_store_refused_is_not_acknowledged_and_can_be_sent_again(
    history_server: tuple[Flask, str], log: pytest.LogCaptureFixture
) -> None:
    app, url = history_server
    engine = sa.create_engine(app.config["COPILOT_DATABASE_URL"])
    if engine.dialect.name == "sqlite":
        trigger = [
            "CREATE TRIGGER refuse_it BEFORE INSERT ON copilot_messages "
            "WHEN NEW.content = 'store me' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        ]
        drop = "DROP TRIGGER refuse_it"
    else:
        trigger = [
            "CREATE FUNCTION refuse_it() RETURNS trigger AS $$ BEGIN "
            "IF NEW.content = 'store me' THEN RAISE EXCEPTION 'disk on fire'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_it BEFORE INSERT ON copilot_messages "
            "FOR EACH ROW EXECUTE FUNCTION refuse_it()",
        ]
        drop = "DROP TRIGGER refuse_it ON copilot_messages"
    try:
        with history_client(url) as client:
            client.chat("first")  # the thread exists
            with engine.begin() as conn:
                for statement in trigger:
                    conn.execute(sa.text(statement))
            failed = client.call("client_message", {"content": "store me", "clientId": "k3"})
            assert failed == {
                "ok": False,
                "error": {
                    "code": "store_unavailable",
                    "message": "Your message could not be saved; send it again in a moment.",
                },
            }
            assert all(m["content"] != "store me" for m in client.messages.values())
            with engine.begin() as conn:
                conn.execute(sa.text(drop))
            # The widget resends with the same clientId: accepted now, and answered.
            again = client.call("client_message", {"content": "store me", "clientId": "k3"})
            assert again["ok"] is True and "duplicate" not in again
            assert client.wait_reply(again["id"]).text == "Noted: store me"
    finally:
        engine.dispose()
    assert any("could not store a message" in r.getMessage() for r in log.records)


# --- 2. only the transport raises connect / disconnect -------------------------------------


@pytest.fixture
def secure_server() -> Iterator[tuple[Flask, str]]:
    app = secure_app.create_app(COPILOT_SESSION_TIMEOUT=0.5, COPILOT_DATABASE_URL=None)
    with LiveServer(app) as live:
        yield app, live.url


def secure_client(url: str, user: str = "alice") -> CopilotTestClient:
    token = create_jwt(User(user, metadata={"team": "a"}), secret=secure_app.SECRET)
    return CopilotTestClient(url, access_token=token, timeout=5)


def test_client_frames_named_connect_or_disconnect_are_refused(
    secure_server: tuple[Flask, str], log: pytest.LogCaptureFixture
) -> None:
    app, url = secure_server
    registry = get_state(app).registry
    with secure_client(url) as client:
        session_id = client.session_id
        mark = len(client.events)
        for frame in ('["connect",{}]', '["connect",{},{}]', '["ready",{}]', '["disconnect"]'):
            client.send_raw(f"2{NS},{frame}")
        refusals = [
            client.wait_for("error", lambda p, e=e: p["event"] == e, after=mark)
            for e in ("connect", "disconnect")
        ]
        assert {r["code"] for r in refusals} == {"unknown_event"}
        assert "transport's own event" in refusals[0]["message"]
        # The socket is still attached to its one session, which still chats.
        assert client.connected
        assert client.chat("who?").text == 'alice {"team": "a"}'
        assert len(registry) == 1 and registry.get(session_id) is not None  # type: ignore[arg-type]


def test_no_session_is_orphaned_by_client_sent_connect_frames(
    chat_app_server: tuple[Flask, str], log: pytest.LogCaptureFixture
) -> None:
    app, url = chat_app_server  # anonymous: a client-sent connect used to make a session
    registry = get_state(app).registry
    client = CopilotTestClient(url, timeout=5)
    client.connect()
    for _ in range(50):
        client.send_raw(f'2{NS},["connect",{{}}]')
        client.send_raw(f'2{NS},["ready",{{}}]')
    client.call("stop", {})  # every frame before it has been handled
    assert len(registry) == 1
    client.disconnect()
    # COPILOT_SESSION_TIMEOUT is 0.5 s: the detached session ends, and nothing is left.
    assert wait_until(lambda: len(registry) == 0, timeout=5), f"{len(registry)} sessions left"


# --- 6. malformed and deeply nested packets ---------------------------------------------------


@pytest.fixture
def chat_app_server() -> Iterator[tuple[Flask, str]]:
    app = Flask(__name__)
    app.config.update(
        COPILOT_DATABASE_URL=None, COPILOT_ASYNC_MODE="threading", COPILOT_SESSION_TIMEOUT=0.5
    )
    copilot = Copilot(app)

    @copilot.on_message
    def echo(message: Message) -> None:
        Message(f"You said: {message.content}").send()

    with LiveServer(app) as live:
        yield app, live.url


MALFORMED = {
    "event without a name": f"2{NS},[]",
    "null name": f"2{NS},[null]",
    "number name": f"2{NS},[42,{{}}]",
    "object instead of a list": f"2{NS},{{}}",
    "string instead of a list": f'2{NS},"ready"',
    "nested 1,000 levels": f"2{NS}," + "[" * 1000 + "]" * 1000,
    "nested 100 levels": f'2{NS},["ready",' + "[" * 99 + "]" * 99 + "]",
    "metadata nested 100 levels": f'2{NS},["client_message",{{"content":"x","metadata":{{"a":'
    + "[" * 100
    + "]" * 100
    + "}}]",
    "huge integer": f'2{NS},["ready",{{"lastSeq":' + "9" * 5000 + "}]",
    "not JSON": f"2{NS},[nope",
    "server-only packet type": f'4{NS},{{"message":"x"}}',
    "unknown packet type": f"9{NS},[]",
    "engine.io JSON nested deep": "[" * 5000 + "]" * 5000,
    "engine.io JSON list": "[1]",
    "not a packet at all": "hello",
    "acknowledgement that is not a list": f'3{NS},1{{"a":1}}',
    "binary event placeholder out of range": f'51-{NS},["ready",{{"_placeholder":true,"num":7}}]',
}


@pytest.mark.parametrize("kind", MALFORMED)
def test_a_malformed_packet_gets_one_log_line_and_the_session_goes_on(
    chat_app_server: tuple[Flask, str], log: pytest.LogCaptureFixture, kind: str
) -> None:
    _, url = chat_app_server
    with CopilotTestClient(url, timeout=5) as client:
        mark = len(client.events)
        client.send_raw(MALFORMED[kind])
        if kind.startswith("binary"):
            client.send_raw(b"\x00attachment")
        error = client.wait_for("error", after=mark)
        assert error["code"] == "invalid_event"
        assert error["message"].startswith("Malformed Socket.IO packet: ")
        assert client.connected
        assert client.chat("after").text == "You said: after"
    lines = [r.getMessage() for r in log.records if "refused a packet" in r.getMessage()]
    assert len(lines) == 1, lines


def test_nesting_within_the_limit_is_accepted(
    chat_app_server: tuple[Flask, str], log: pytest.LogCaptureFixture
) -> None:
    _, url = chat_app_server
    deep: Any = "leaf"
    for _ in range(40):
        deep = {"d": deep}
    with CopilotTestClient(url, timeout=5) as client:
        client.send("nested", metadata={"deep": deep})
        assert client.chat("ok?").text == "You said: ok?"


def test_an_apps_own_socketio_gets_the_same_packet_handling_when_it_opts_in(
    log: pytest.LogCaptureFixture,
) -> None:
    from flask_socketio import SocketIO

    from flask_copilot.protocol.wire_json import BoundedJSON
    from flask_copilot.server.packets import SafePacket

    app = Flask(__name__)
    app.config["COPILOT_DATABASE_URL"] = None
    socketio = SocketIO(
        app,
        async_mode="threading",
        json=BoundedJSON(),
        serializer=type("AppPacket", (SafePacket,), {}),
        async_handlers=False,
    )
    copilot = Copilot(app, socketio=socketio)

    @copilot.on_message
    def echo(message: Message) -> None:
        Message(f"You said: {message.content}").send()

    with LiveServer(app) as live, CopilotTestClient(live.url, timeout=5) as client:
        for packet in (f"2{NS},[]", f"2{NS}," + "[" * 1000 + "]" * 1000):
            mark = len(client.events)
            client.send_raw(packet)
            assert client.wait_for("error", after=mark)["message"].startswith("Malformed")
        assert client.chat("fine").text == "You said: fine"


# --- 2 and 6 in every async mode --------------------------------------------------------------


def test_transport_named_frames_and_malformed_packets_in_every_mode(
    client: CopilotTestClient,
) -> None:
    """chat_server (tests/conftest.py): threading, gevent, eventlet, gthread."""
    for frame, expected in (
        ('["connect",{}]', "unknown_event"),
        ('["disconnect"]', "unknown_event"),
        ("[]", "invalid_event"),
        ("[" * 1000 + "]" * 1000, "invalid_event"),
    ):
        mark = len(client.events)
        client.send_raw(f"2{NS},{frame}")
        assert client.wait_for("error", after=mark)["code"] == expected
    assert client.connected
    assert client.chat("still here").text == "You said: still here"
