"""Seeded, bounded fuzzing of every client event against a real server.

A few hundred cases per run, made from the wire schemas themselves (``CLIENT_EVENTS``):
well-formed payloads, then each one bent (a field of the wrong type, hostile text, deep
nesting, a missing or unknown field, not an object, several arguments), plus unknown
event names, the transport's own names and malformed packets. Asserted: every event on
a known name gets an acknowledgement (``ok``, or ``ok: false`` with a code and a
message) or, for a packet that cannot be decoded, a clear ``error`` event; the server
logs no traceback; the session still chats; the worker's memory stays bounded.

``COPILOT_FUZZ_SEED`` replays another run (the seed is printed).
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from marshmallow import fields

from flask_copilot import User, create_jwt
from flask_copilot.protocol.schemas import CLIENT_EVENTS, JsonValue, Text
from flask_copilot.testing import CopilotTestClient
from tests.apps.failover_app import SECRET
from tests.servers import gunicorn_server

APP = "tests.apps.failover_app:create_app()"
SEED = int(os.environ.get("COPILOT_FUZZ_SEED", "18"))
CASES_PER_EVENT = 32
ACK_TIMEOUT = 5.0

HOSTILE_TEXT = [
    "",
    "x",
    "hello",
    "😀",
    "\ud83d",  # half an emoji: what "😀".slice(0, 1) sends
    "half\udfff",
    "a\x00b",
    "\u202egnirts",
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE copilot_messages; --",
    "%s%n%x",
    "\r\n\t",
    "null",
    "é" * 300,
    "y" * 70,
    "z" * 5000,
    "../../etc/passwd",
    "user_message",
    "system_message",
]


class Fuzzer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def text(self) -> str:
        if self.rng.random() < 0.15:
            return str(uuid.uuid4())
        return self.rng.choice(HOSTILE_TEXT)

    def json(self, depth: int = 0) -> Any:
        """Any JSON value, sometimes nested past what the server takes (64 levels)."""
        rng = self.rng
        if depth == 0 and rng.random() < 0.05:
            deep: Any = "leaf"
            for _ in range(rng.choice((63, 65, 200))):
                deep = [deep] if rng.random() < 0.5 else {"k": deep}
            return deep
        kind = rng.randrange(8 if depth < 3 else 5)
        if kind == 0:
            return None
        if kind == 1:
            return rng.random() < 0.5
        if kind == 2:
            return rng.choice((0, -1, 7, 2**31, 2**63, 10**30, 1.5, -0.0, 1e308))
        if kind in (3, 4):
            return self.text()
        if kind in (5, 6):
            return {self.text(): self.json(depth + 1) for _ in range(rng.randrange(4))}
        return [self.json(depth + 1) for _ in range(rng.randrange(4))]

    def value(self, field: fields.Field[Any]) -> Any:
        """A value the schema should accept, most of the time."""
        rng = self.rng
        choices = getattr(next(iter(field.validators), None), "choices", None)
        if choices and rng.random() < 0.8:
            return rng.choice(list(choices))
        if isinstance(field, Text):
            return self.text()
        if isinstance(field, fields.Boolean):
            return rng.random() < 0.5
        if isinstance(field, fields.Integer):
            return rng.choice((0, 1, 5, 20, 100, 101, -3))
        if isinstance(field, fields.Dict):
            return {self.text(): self.json(1) for _ in range(rng.randrange(3))}
        if isinstance(field, JsonValue | fields.Raw):
            return self.json()
        return self.text()

    def payload(self, event: str) -> Any:
        schema = CLIENT_EVENTS[event].schema()
        rng = self.rng
        data = {
            field.data_key or name: self.value(field)
            for name, field in schema.fields.items()
            if field.required or rng.random() < 0.6
        }
        bend = rng.randrange(10)
        if bend == 0 and data:  # a field of the wrong type
            data[rng.choice(list(data))] = self.json()
        elif bend == 1 and data:  # a required field missing
            data.pop(rng.choice(list(data)))
        elif bend == 2:  # a field the protocol does not have
            data[self.text() or "extra"] = self.json()
        elif bend == 3:  # not an object at all
            return rng.choice([None, [], [data], "ready", 42, True, self.json()])
        elif bend == 4:  # several arguments
            return (data, self.json())
        return data


def emit_and_wait(client: CopilotTestClient, event: str, payload: Any) -> dict[str, Any]:
    """The event's acknowledgement, or the ``error`` event that refused its packet."""
    done = threading.Event()
    acks: list[Any] = []
    mark = len(client.events)

    def on_ack(*args: Any) -> None:
        acks.append(args[0] if len(args) == 1 else list(args))
        done.set()

    client.emit(event, payload, callback=on_ack)
    deadline = time.monotonic() + ACK_TIMEOUT
    while time.monotonic() < deadline:
        if done.wait(0.02):
            answer = acks[0]
            assert isinstance(answer, dict) and isinstance(answer.get("ok"), bool), answer
            if not answer["ok"]:
                assert answer["error"]["code"] and answer["error"]["message"], answer
            return answer
        refused = [
            e.payload
            for e in client.events[mark:]
            if e.name == "error" and e.payload["message"].startswith("Malformed Socket.IO packet")
        ]
        if refused:
            return {"ok": False, "error": refused[0]}
    raise AssertionError(f"no answer to {event} {payload!r:.200}")


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_fuzzing_every_client_event(tmp_path: Path) -> None:
    print(f"COPILOT_FUZZ_SEED={SEED}")
    rng = random.Random(SEED)
    fuzz = Fuzzer(rng)
    gate = tmp_path / "gate"
    gate.touch()  # "gated" messages answer at once
    database = f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"
    token = create_jwt(User("fuzzer"), secret=SECRET)
    cases = [
        (event, fuzz.payload(event)) for event in CLIENT_EVENTS for _ in range(CASES_PER_EVENT)
    ]
    cases += [(name, fuzz.payload("client_message")) for name in ("connect", "disconnect")] * 4
    cases += [(fuzz.text() or "nameless", fuzz.json()) for _ in range(16)]
    rng.shuffle(cases)
    with gunicorn_server(
        APP, "gevent", COPILOT_TEST_DATABASE_URL=database, COPILOT_TEST_GATE=str(gate)
    ) as (url, server):
        client = CopilotTestClient(url, access_token=token)
        client.connect()
        worker = int(client.chat("pid").text)
        codes: dict[str, int] = {}
        for index, (event, payload) in enumerate(cases):
            if index == 40:
                warm = rss_bytes(worker)
            answer = emit_and_wait(client, event, payload)
            code = "ok" if answer["ok"] else answer["error"]["code"]
            codes[code] = codes.get(code, 0) + 1
            if (event == "end_session" and answer["ok"]) or code == "no_session":
                client.disconnect()  # like the widget after "new chat"
                client = CopilotTestClient(url, access_token=token)
                client.connect()
        # Malformed packets too, each refused by an error event.
        for packet in ("2/copilot,[]", "2/copilot,{}", "2/copilot," + "[" * 500 + "]" * 500):
            mark = len(client.events)
            client.send_raw(packet)
            assert client.wait_for("error", after=mark)["message"].startswith("Malformed")
        assert client.chat("still there?").text == "Noted: still there?"
        grown = rss_bytes(worker) - warm
        client.disconnect()
        print(f"{len(cases)} cases: {codes}; worker RSS grew {grown / 1e6:.1f} MB")
        assert len(cases) >= 300
        assert codes.get("ok", 0) > 50 and codes.get("invalid_event", 0) > 50
        assert grown < 30e6
        log = server.output
    assert "Traceback" not in log, log[-5000:]
