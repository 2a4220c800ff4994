"""Function calls into the page, asks, actions and stop, against real servers in every
async mode. Every wait ends: answered, timed out, stopped, or failed fast."""

from __future__ import annotations

import json
import statistics
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from flask_copilot.testing import CopilotTestClient

MakeClient = Callable[..., CopilotTestClient]


def page_raises(args: dict[str, Any]) -> Any:
    raise ValueError("the table is read-only")


# --- function calls --------------------------------------------------------------------


def test_a_function_call_gets_the_pages_answer(make_client: MakeClient) -> None:
    client = make_client(page_functions={"double": lambda args: args["x"] * 2})
    client.connect()
    reply = client.chat('call double {"x": 21}')
    assert reply.text == "page said: 42"
    call = next(e.payload for e in reply.events if e.name == "call_fn")
    assert call["name"] == "double" and call["args"] == {"x": 21} and call["timeout"] == 60


def test_a_page_error_raises_copilot_function_error(make_client: MakeClient) -> None:
    client = make_client(page_functions={"edit": page_raises})
    client.connect()
    reply = client.chat("call edit")
    assert reply.text == "function error: The page's 'edit' failed: the table is read-only"


def test_no_listener_fails_fast_not_at_the_timeout(make_client: MakeClient) -> None:
    client = make_client()  # answers like the widget: no listener for that name
    client.connect()
    reply = client.chat("call missing", timeout=5)  # the call's own timeout is 60 s
    assert reply.text.startswith("function error: The page's 'missing' failed: no listener")


def test_an_unanswered_call_times_out_and_is_cancelled(make_client: MakeClient) -> None:
    client = make_client(answer_calls=False)
    client.connect()
    reply = client.chat("callfast slow")
    assert reply.text == "function timeout: The page did not answer 'slow' within 0.5 s."
    cancel = next(e.payload for e in reply.events if e.name == "call_fn_cancel")
    call = next(e.payload for e in reply.events if e.name == "call_fn")
    assert cancel == {"seq": cancel["seq"], "callId": call["callId"], "reason": "timeout"}


def test_a_client_that_is_not_a_copilot_gets_a_clear_error(make_client: MakeClient) -> None:
    client = make_client(client_type="webapp", page_functions={"x": lambda a: 1})
    client.connect()
    reply = client.chat("call x", timeout=5)
    assert "not the embedded copilot widget" in reply.text
    assert not any(e.name == "call_fn" for e in reply.events)


def test_calls_in_sequence_each_get_their_own_answer(make_client: MakeClient) -> None:
    client = make_client(page_functions={"echo": lambda args: args})
    client.connect()
    reply = client.chat('calltwice echo {"call": 1}')
    assert reply.text == 'page said: {"call": 1}\npage said: {"call": 2}'


def test_two_sessions_calling_at_once_each_get_their_answer(make_client: MakeClient) -> None:
    first = make_client(page_functions={"who": lambda a: "first"})
    second = make_client(page_functions={"who": lambda a: "second"})
    first.connect()
    second.connect()
    ids = first.send("call who"), second.send("call who")
    assert first.wait_reply(ids[0]).text == 'page said: "first"'
    assert second.wait_reply(ids[1]).text == 'page said: "second"'


def test_disconnecting_while_a_call_waits_fails_fast(make_client: MakeClient) -> None:
    client = make_client(answer_calls=False)
    client.connect()
    waiting = client.send("call never")  # 60 s timeout; disconnect grace is 0.5 s
    client.wait_for("call_fn")
    client.disconnect()
    time.sleep(1.5)  # stay away longer than the grace; the handler must give up
    back = make_client(answer_calls=False)
    back.last_seq = client.last_seq
    back.connect(session_id=client.session_id, last_seq=client.last_seq)
    reply = back.wait_reply(waiting, timeout=5)
    assert reply.text == "function error: Cannot call 'never': the page disconnected."


def test_other_sessions_are_served_while_one_waits_on_the_page(make_client: MakeClient) -> None:
    waiter, other = make_client(answer_calls=False), make_client()
    waiter.connect()
    other.connect()

    def round_trips() -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            other.chat("ping")
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    baseline = round_trips()
    waiting = waiter.send("call never")
    waiter.wait_for("call_fn")
    during = round_trips()
    assert during < 10 * baseline + 0.05, (baseline, during)
    assert not any(
        e.name == "task_end" and e.payload["messageId"] == waiting for e in waiter.events
    )
    waiter.stop()
    waiter.wait_reply(waiting)


# --- bad answers -------------------------------------------------------------------------


def pending_call(client: CopilotTestClient, command: str) -> tuple[str, str]:
    message_id = client.send(command)
    call = client.wait_for("call_fn")
    return message_id, call["callId"]


def test_a_second_answer_to_a_call_is_refused(make_client: MakeClient) -> None:
    client = make_client(answer_calls=False)
    client.connect()
    message_id, call_id = pending_call(client, "call once")
    assert client.call("call_fn_result", {"callId": call_id, "value": 1}) == {"ok": True}
    again = client.call("call_fn_result", {"callId": call_id, "value": 2})
    assert again["ok"] is False and again["error"]["code"] == "unknown_call"
    assert client.wait_reply(message_id).text == "page said: 1"


def test_answers_for_unknown_or_foreign_calls_do_not_confuse_the_waiter(
    make_client: MakeClient,
) -> None:
    owner, intruder = make_client(answer_calls=False), make_client()
    owner.connect()
    intruder.connect()
    message_id, call_id = pending_call(owner, "call mine")
    stolen = intruder.call("call_fn_result", {"callId": call_id, "value": "hijacked"})
    assert stolen["ok"] is False and stolen["error"]["code"] == "unknown_call"
    unknown = owner.call("call_fn_result", {"callId": "no-such-call", "value": 1})
    assert unknown["ok"] is False and unknown["error"]["code"] == "unknown_call"
    assert owner.call("call_fn_result", {"callId": call_id, "value": "real"}) == {"ok": True}
    assert owner.wait_reply(message_id).text == 'page said: "real"'


@pytest.mark.parametrize("value", [float("nan"), b"\x00binary"])
def test_a_non_json_answer_is_refused(make_client: MakeClient, value: Any) -> None:
    client = make_client(answer_calls=False)
    client.connect()
    message_id, call_id = pending_call(client, "call strict")
    refused = client.call("call_fn_result", {"callId": call_id, "value": value})
    assert refused["ok"] is False and "value must be JSON" in refused["error"]["message"]
    assert client.call("call_fn_result", {"callId": call_id, "value": "ok"}) == {"ok": True}
    assert client.wait_reply(message_id).text == 'page said: "ok"'


# --- asks and actions ---------------------------------------------------------------------


def test_an_ask_is_answered_by_the_next_typed_message(client: CopilotTestClient) -> None:
    asking = client.send("ask")
    ask = client.wait_for("ask")
    question = client.messages[ask["messageId"]]
    assert ask["kind"] == "text" and question["content"] == "What's your name?"
    answer_id = client.send("Ada")
    reply = client.wait_reply(asking)
    assert reply.text == "What's your name?\nhello Ada"
    ended = client.wait_for("ask_end")
    assert ended["askId"] == ask["askId"] and ended["reason"] == "answered"
    # The answer went to the waiting handler; it did not start a handler of its own.
    assert not any(
        e.name == "task_start" and e.payload["messageId"] == answer_id for e in client.events
    )
    assert client.chat("count").text == "count: 2"


def test_an_unanswered_ask_times_out_with_none(client: CopilotTestClient) -> None:
    reply = client.chat("ask fast")
    assert reply.text == "What's your name?\nno answer"
    assert client.wait_for("ask_end")["reason"] == "timeout"


def test_an_action_ask_is_answered_by_a_click(client: CopilotTestClient) -> None:
    asking = client.send("choose")
    ask = client.wait_for("ask")
    assert ask["kind"] == "action"
    buttons = client.messages[ask["messageId"]]["actions"]
    assert [b["label"] for b in buttons] == ["One", "Two"]
    assert client.click(buttons[1]["id"]) == {"ok": True}
    reply = client.wait_reply(asking)
    assert reply.text.endswith("picked 2")
    assert client.messages[ask["messageId"]]["actions"] == []  # buttons removed
    late = client.click(buttons[0]["id"])
    assert late["ok"] is False and late["error"]["code"] == "unknown_action"


def test_an_action_button_runs_its_callback(client: CopilotTestClient) -> None:
    client.chat("buttons")
    greet = next(a for a in client.actions() if a["label"] == "Greet")
    assert client.click(greet["id"]) == {"ok": True}
    assert client.wait_reply(greet["id"]).text == "hello world"
    nope = next(a for a in client.actions() if a["label"] == "Nope")
    refused = client.click(nope["id"])
    assert refused["ok"] is False and refused["error"]["code"] == "no_callback"
    forged = client.click("made-up-id")
    assert forged["ok"] is False and forged["error"]["code"] == "unknown_action"


# --- stop --------------------------------------------------------------------------------


def stopped_sessions(server: str) -> list[str]:
    with urllib.request.urlopen(f"{server}/test/ended", timeout=5) as response:
        stopped: list[str] = json.loads(response.read())["stopped"]
    return stopped


def test_stop_ends_a_long_stream_and_the_user_can_chat_at_once(
    chat_server: str, client: CopilotTestClient
) -> None:
    streaming = client.send("longstream")
    client.wait_for("stream_token", lambda p: p["token"] == "5 ")
    assert client.stop()["ok"] is True
    reply = client.wait_reply(streaming, timeout=5)
    streamed = reply.messages[0]["content"].split()
    assert 5 < len(streamed) < 300
    assert client.session_id in stopped_sessions(chat_server)
    assert client.chat("after stop").text == "You said: after stop"


def test_stop_ends_a_wait_for_the_page(client: CopilotTestClient) -> None:
    client.answer_calls = False
    waiting = client.send("call never")
    call = client.wait_for("call_fn")
    client.stop()
    client.wait_reply(waiting, timeout=5)
    cancel = client.wait_for("call_fn_cancel")
    assert cancel["callId"] == call["callId"] and cancel["reason"] == "stopped"
