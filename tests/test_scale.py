"""Several processes over Redis: pushes across processes and workers, 2 workers x 20
concurrent clients, and a worker killed under its clients."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from flask_copilot.testing import CopilotTestClient
from tests.servers import ensure_redis, gunicorn_server

APP = "tests.apps.chat_app:create_app()"


@pytest.fixture(scope="module")
def redis_url() -> str:
    return ensure_redis()


def get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def pid_of(client: CopilotTestClient) -> int:
    return int(client.chat("pid").text)


@pytest.mark.parametrize("worker", ["gevent", "eventlet"])
def test_a_push_through_another_process_reaches_the_chat(redis_url: str, worker: str) -> None:
    with (
        gunicorn_server(APP, worker, COPILOT_MESSAGE_QUEUE=redis_url) as (first, _),
        gunicorn_server(APP, worker, COPILOT_MESSAGE_QUEUE=redis_url) as (second, _),
        CopilotTestClient(first) as client,
    ):
        served_by = get_json(f"{second}/test/push/{client.session_id}")["pid"]
        pushed = client.wait_for(
            "new_message", lambda p: p["message"]["content"].startswith("pushed")
        )
        assert pushed["message"]["content"] == f"pushed by {served_by}"
        assert served_by != pid_of(client)
        with pytest.raises(urllib.error.HTTPError) as missing:
            get_json(f"{second}/test/push/no-such-session")
        assert missing.value.code == 404


@pytest.fixture(scope="module")
def two_workers(redis_url: str) -> Iterator[tuple[str, set[int]]]:
    """One gunicorn, two gevent workers on one port, both serving: (url, worker PIDs)."""
    with gunicorn_server(APP, "gevent", workers=2, COPILOT_MESSAGE_QUEUE=redis_url) as served:
        url, server = served
        yield url, server.serving_workers()


#: How long a held worker spins: ample for a new connection to reach the other worker.
HOLD_SECONDS = 3.0


@contextlib.contextmanager
def holding_the_worker_of(client: CopilotTestClient) -> Iterator[int]:
    """Within the block, the worker that holds ``client`` spins without yielding: it
    accepts no connection, so new connections go to the other worker (which worker
    accepts is otherwise the kernel's choice, not the test's). Yields its PID."""
    held = pid_of(client)
    mark = len(client.events)
    holding = client.send(f"hold {HOLD_SECONDS}")
    client.wait_for("new_message", lambda p: p["message"]["content"] == "holding", after=mark)
    yield held
    released = client.wait_reply(holding, timeout=HOLD_SECONDS + 10)
    assert "released" in [m["content"] for m in released.messages]


def test_two_workers_serve_twenty_concurrent_clients(
    two_workers: tuple[str, set[int]],
) -> None:
    url, workers = two_workers
    clients = [CopilotTestClient(url) for _ in range(20)]
    replies: dict[int, str] = {}
    pids: dict[int, int] = {}
    try:
        # Both workers must hold clients: the second connects while the first's is held.
        clients[0].connect()
        for _attempt in range(3):  # bounded: a held worker normally loses the first race
            with holding_the_worker_of(clients[0]) as held:
                clients[1].connect()
                if pid_of(clients[1]) != held:
                    break
            clients[1].disconnect()
            clients[1] = CopilotTestClient(url)

        def converse(index: int) -> None:
            client = clients[index]
            if not client.connected:
                client.connect()
            replies[index] = client.chat(f"hello {index}").text
            pids[index] = pid_of(client)

        threads = [threading.Thread(target=converse, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "a client got stuck"
        assert replies == {i: f"You said: hello {i}" for i in range(20)}
        assert set(pids.values()) == workers, pids
        print(
            "clients per worker:",
            {pid: list(pids.values()).count(pid) for pid in workers},
        )
    finally:
        for client in clients:
            client.disconnect()


def test_a_push_reaches_a_chat_held_by_the_other_worker(
    two_workers: tuple[str, set[int]],
) -> None:
    url, workers = two_workers
    with CopilotTestClient(url) as client:
        for _attempt in range(3):  # bounded: a held worker normally loses the first race
            with holding_the_worker_of(client) as owner:
                served_by = get_json(f"{url}/test/push/{client.session_id}")["pid"]
            if served_by != owner:
                break
        assert served_by in workers - {owner}, "the push request reached the chat's own worker"
        pushed = client.wait_for(
            "new_message", lambda p: p["message"]["content"] == f"pushed by {served_by}"
        )
        assert pushed["message"]["type"] == "assistant_message"


def test_clients_of_a_killed_worker_reconnect_and_go_on(redis_url: str) -> None:
    with gunicorn_server(APP, "gevent", workers=2, COPILOT_MESSAGE_QUEUE=redis_url) as (url, _):
        clients = [CopilotTestClient(url) for _ in range(8)]
        for client in clients:
            client.connect()
        pids = [pid_of(client) for client in clients]
        victim = pids[0]
        os.kill(victim, signal.SIGKILL)
        orphans = [c for c, pid in zip(clients, pids, strict=True) if pid == victim]
        deadline = time.monotonic() + 10
        while any(c.connected for c in orphans) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(c.connected for c in orphans), "the dead worker's sockets stayed open"
        for index, client in enumerate(clients):
            if client in orphans:
                client.disconnect()
                again = CopilotTestClient(url)
                again.connect(session_id=client.session_id, last_seq=client.last_seq)
                clients[index] = again
            assert (
                clients[index].chat(f"still there {index}").text == f"You said: still there {index}"
            )
            assert pid_of(clients[index]) != victim
        for client in clients:
            client.disconnect()
