"""Connect, chat, stream, update, remove, crash, ordering and isolation, against real
servers in every async mode (see ``chat_server`` in conftest.py)."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from flask_copilot.testing import ConnectionRefused, CopilotTestClient, ServerRefused

MakeClient = Callable[..., CopilotTestClient]


def test_connect_starts_the_chat(client: CopilotTestClient) -> None:
    info = client.session_info
    assert info is not None and info["restored"] is False and info["user"] is None
    welcome = client.wait_for("new_message", lambda p: p["message"]["content"] == "Welcome!")
    assert welcome["message"]["type"] == "assistant_message"
    assert welcome["message"]["author"] == "Assistant"


def test_message_gets_a_reply(client: CopilotTestClient) -> None:
    reply = client.chat("hello there")
    assert reply.text == "You said: hello there"
    users = [m for m in client.messages.values() if m["type"] == "user_message"]
    assert [m["content"] for m in users] == ["hello there"]
    assert users[0]["id"] == reply.message_id


def test_every_event_carries_the_next_sequence_number(client: CopilotTestClient) -> None:
    client.chat("one")
    client.chat("two")
    greeting, *rest = client.events
    assert greeting.name == "session"
    seqs = [e.payload["seq"] for e in rest]
    # The greeting names the last event so far; the rest count on from 1.
    assert seqs == list(range(1, len(seqs) + 1))
    assert 0 <= greeting.payload["seq"] <= len(seqs)


def test_stream_tokens_arrive_while_the_handler_still_runs(client: CopilotTestClient) -> None:
    # 8 tokens, 60 ms of pure CPU (no sleep, no I/O) before each: the handler never
    # yields by itself, so only the framework can get the tokens onto the wire.
    reply = client.chat("stream 8 0.06")
    assert reply.text == "t0 t1 t2 t3 t4 t5 t6 t7 "
    tokens = reply.tokens
    assert [e.name for e in tokens] == ["stream_start"] + ["stream_token"] * 7
    spread = tokens[-1].received_at - tokens[0].received_at
    # Streamed: ~7 × 60 ms apart. Buffered until the handler ends: ~0.
    assert spread > 0.2, f"tokens arrived in a burst ({spread:.3f} s apart)"
    final = [e for e in reply.events if e.name == "new_message"][-1]
    assert final.payload["message"]["streaming"] is False


def test_update_replaces_the_message(client: CopilotTestClient) -> None:
    reply = client.chat("update")
    assert reply.text == "version 2"
    names = [e.name for e in reply.events if e.name.endswith("_message")]
    assert names == ["new_message", "update_message"]


def test_remove_deletes_the_message(client: CopilotTestClient) -> None:
    reply = client.chat("remove")
    assert reply.text == "removed"
    assert "temporary" not in [m["content"] for m in client.messages.values()]
    assert any(e.name == "delete_message" for e in reply.events)


def test_error_message_is_marked(client: CopilotTestClient) -> None:
    reply = client.chat("error")
    assert [m["content"] for m in reply.errors] == ["a handled problem"]


def test_a_crash_shows_a_short_error_and_the_session_goes_on(
    client: CopilotTestClient,
) -> None:
    client.chat("count")
    crashed = client.chat("crash")
    assert len(crashed.errors) == 1
    text = crashed.errors[0]["content"]
    assert text.startswith("Sorry, something went wrong") and "Reference:" in text
    assert "Traceback" not in text and "boom" not in text
    assert client.chat("count").text == "count: 3"  # same session, state kept


def test_handlers_of_a_session_run_one_at_a_time_in_arrival_order(
    client: CopilotTestClient,
) -> None:
    ids = [client.send("sleep 0.3"), client.send("first"), client.send("second")]
    replies = [client.wait_reply(i) for i in ids]
    assert [r.text for r in replies] == ["slept 0.3", "You said: first", "You said: second"]
    running = 0
    for event in client.events:
        if event.name == "task_start":
            running += 1
            assert running == 1, "two handlers of one session overlapped"
        elif event.name == "task_end":
            running -= 1


def test_a_blocking_handler_does_not_delay_another_session(make_client: MakeClient) -> None:
    sleeper, other = make_client(), make_client()
    sleeper.connect()
    other.connect()
    sleeping = sleeper.send("sleep 2")
    sleeper.wait_for("task_start", lambda p: p["messageId"] == sleeping)
    reply = other.chat("are you there?", timeout=5)
    assert reply.text == "You said: are you there?"
    assert sleeper.wait_reply(sleeping).text == "slept 2"
    answered_at = reply.events[-1].received_at
    slept_until = sleeper.events[-1].received_at
    # Served while time.sleep(2) still ran (a frozen hub would answer after it).
    assert slept_until - answered_at > 1.0, (answered_at, slept_until)


def test_system_message_reaches_the_handler_and_is_kept(client: CopilotTestClient) -> None:
    client.send("cell A1 selected", type="system_message")
    assert client.chat("context").text == "context: cell A1 selected"


def test_sessions_are_isolated(make_client: MakeClient) -> None:
    first, second = make_client(), make_client()
    first.connect()
    second.connect()
    first.chat("count")
    first.chat("count")
    assert second.chat("count").text == "count: 1"
    assert first.session_id != second.session_id


def test_a_resent_client_id_is_handled_once(client: CopilotTestClient) -> None:
    first = client.send("count", client_id="resend-1")
    second = client.send("count", client_id="resend-1")
    assert first == second
    assert client.wait_reply(first).text == "count: 1"
    assert client.chat("count").text == "count: 2"


def test_reconnect_replays_missed_events_without_duplicates(
    chat_server: str, make_client: MakeClient
) -> None:
    first = make_client()
    first.connect()
    streaming = first.send("stream 6 0.1")
    first.wait_for("stream_start")
    first.disconnect()
    seen = first.last_seq

    again = make_client()
    again.last_seq = seen
    again.messages = {k: dict(v) for k, v in first.messages.items()}
    info = again.connect(session_id=first.session_id, last_seq=seen)
    assert info["restored"] is True and info["sessionId"] == first.session_id
    reply = again.wait_reply(streaming)
    assert reply.text == "t0 t1 t2 t3 t4 t5 "
    greeting, *replayed = again.events
    assert greeting.name == "session" and greeting.payload["seq"] >= seen
    seqs = [e.payload["seq"] for e in replayed]
    assert seqs == list(range(seen + 1, seen + 1 + len(seqs)))


def test_an_unknown_session_id_starts_a_new_session(make_client: MakeClient) -> None:
    stale = make_client()
    stale.last_seq = 50  # what the client saw of a session the server no longer has
    info = stale.connect(session_id="expired-or-made-up", last_seq=50)
    assert info["restored"] is False and info["sessionId"] != "expired-or-made-up"
    welcome = stale.wait_for("new_message", lambda p: p["message"]["content"] == "Welcome!")
    assert welcome["seq"] < 50  # numbered from 1 again, and not dropped as a duplicate
    assert stale.chat("count").text == "count: 1"


def test_end_session_runs_on_chat_end(chat_server: str, client: CopilotTestClient) -> None:
    session_id = client.session_id
    assert client.end_session() == {"ok": True}
    deadline_hit = True
    for _ in range(50):
        with urllib.request.urlopen(f"{chat_server}/test/ended", timeout=5) as response:
            if session_id in json.loads(response.read())["ended"]:
                deadline_hit = False
                break
        threading.Event().wait(0.1)
    assert not deadline_hit, "on_chat_end did not run within 5 s"


# --- bad input ---------------------------------------------------------------------

BAD_MESSAGES: list[tuple[Any, str, str]] = [
    ({"content": 123}, "invalid_event", "content"),
    ({}, "invalid_event", "content"),
    ({"content": "hi", "type": "assistant_message"}, "invalid_event", "type"),
    ({"content": "hi", "surprise": 1}, "invalid_event", "surprise"),
    ({"content": "hi", "metadata": {"blob": "x" * 20_000}}, "invalid_event", "metadata"),
    ({"content": "hi", "clientId": "x" * 65}, "invalid_event", "clientId"),
    ({"content": "x" * 2001}, "too_large", "content"),
    ("just a string", "invalid_event", "object"),
    ([1, 2], "invalid_event", "object"),
]


@pytest.mark.parametrize("payload,code,named", BAD_MESSAGES)
def test_malformed_client_message_is_refused_by_name(
    client: CopilotTestClient, payload: Any, code: str, named: str
) -> None:
    ack = client.call("client_message", payload)
    assert ack["ok"] is False and ack["error"]["code"] == code
    assert named in ack["error"]["message"]
    error = client.wait_for("error", lambda p: p["event"] == "client_message")
    assert error["code"] == code and named in error["message"]
    assert client.connected
    assert client.chat("still here").text == "You said: still here"


def test_an_event_with_two_payloads_is_refused(client: CopilotTestClient) -> None:
    client._sio.emit("stop", ({}, {}), namespace="/copilot")
    error = client.wait_for("error", lambda p: p["event"] == "stop")
    assert error["message"] == "stop: send one payload object."
    assert client.chat("fine").text == "You said: fine"


def test_send_raises_on_refusal(client: CopilotTestClient) -> None:
    with pytest.raises(ServerRefused) as refused:
        client.send("x" * 2001)
    assert refused.value.code == "too_large"


def test_unknown_event_gets_an_error(client: CopilotTestClient) -> None:
    client.emit("launch_missiles", {"now": True})
    error = client.wait_for("error", lambda p: p["code"] == "unknown_event")
    assert "launch_missiles" in error["message"]
    assert client.chat("ok?").text == "You said: ok?"


def test_malformed_control_events_are_refused(client: CopilotTestClient) -> None:
    assert client.call("stop", {"force": True})["ok"] is False
    assert client.call("ready", {"lastSeq": -1})["ok"] is False
    ack = client.call("call_fn_result", {"value": 1})
    assert ack["ok"] is False and "callId" in ack["error"]["message"]
    assert client.chat("fine").text == "You said: fine"


def test_bad_handshake_is_refused_with_a_reason(chat_server: str) -> None:
    bad = CopilotTestClient(chat_server)
    with pytest.raises(ConnectionRefused) as refused:
        bad.connect(auth={"clientType": "martian"})
    assert refused.value.reason.startswith("invalid_handshake: clientType")
    bad.disconnect()


def test_a_burst_of_events_is_seen_whole_and_in_the_order_sent(
    client: CopilotTestClient,
) -> None:
    # 300 tokens sent back to back: a client that handled each received event on a
    # thread of its own would see some out of order (and drop them as replays).
    reply = client.chat("stream 300 0")
    assert reply.text == "".join(f"t{i} " for i in range(300))
    seqs = [e.payload["seq"] for e in client.events[1:]]
    assert seqs == list(range(1, len(seqs) + 1))
