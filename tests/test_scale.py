"""Several processes over Redis: pushes across processes and workers, 2 workers x 20
concurrent clients, and a worker killed under its clients."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from flask_copilot.testing import CopilotTestClient
from tests.servers import ServerProcess, ensure_redis, gunicorn_server

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
def two_workers(redis_url: str) -> Iterator[tuple[str, ServerProcess]]:
    with gunicorn_server(APP, "gevent", workers=2, COPILOT_MESSAGE_QUEUE=redis_url) as served:
        yield served


def test_two_workers_serve_twenty_concurrent_clients(
    two_workers: tuple[str, ServerProcess],
) -> None:
    url, _ = two_workers
    clients = [CopilotTestClient(url) for _ in range(20)]
    replies: dict[int, str] = {}
    pids: dict[int, int] = {}

    def converse(index: int) -> None:
        client = clients[index]
        client.connect()
        replies[index] = client.chat(f"hello {index}").text
        pids[index] = pid_of(client)

    threads = [threading.Thread(target=converse, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    try:
        assert replies == {i: f"You said: hello {i}" for i in range(20)}
        print(
            "clients per worker:",
            {pid: list(pids.values()).count(pid) for pid in set(pids.values())},
        )
    finally:
        for client in clients:
            client.disconnect()


def test_a_push_reaches_a_chat_held_by_the_other_worker(
    two_workers: tuple[str, ServerProcess],
) -> None:
    url, _ = two_workers
    with CopilotTestClient(url) as client:
        owner = pid_of(client)
        for _attempt in range(40):  # requests land on either worker; find the other one
            served_by = get_json(f"{url}/test/push/{client.session_id}")["pid"]
            if served_by != owner:
                break
        assert served_by != owner, "every push request reached the chat's own worker"
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
