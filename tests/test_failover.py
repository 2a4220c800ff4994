"""A worker dies under its clients: every conversation goes on in its thread, and every
acknowledged message ends with an answer or is reported as not answered (then sent
again and answered)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask_copilot import User, create_jwt
from flask_copilot.testing import CopilotTestClient
from tests.apps.failover_app import SECRET
from tests.servers import ensure_redis, gunicorn_server

APP = "tests.apps.failover_app:create_app()"
CLIENTS = 12


def client_for(url: str, user: str) -> CopilotTestClient:
    return CopilotTestClient(url, access_token=create_jwt(User(user), secret=SECRET), timeout=15)


def in_parallel(jobs: list[Callable[[], None]], timeout: float = 30) -> None:
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a client got stuck"
    if errors:
        raise errors[0]


def test_a_killed_workers_unanswered_messages_are_reported_and_sent_again(
    postgres_url: str, tmp_path: Path
) -> None:
    redis_url = ensure_redis()
    gate = tmp_path / "gate"  # handlers of "gated" messages wait until it exists
    with gunicorn_server(
        APP,
        "gevent",
        workers=2,
        COPILOT_MESSAGE_QUEUE=redis_url,
        COPILOT_TEST_DATABASE_URL=postgres_url,
        COPILOT_TEST_GATE=str(gate),
    ) as (url, _):
        users = [f"user{i}" for i in range(CLIENTS)]
        clients = {user: client_for(url, user) for user in users}
        pids: dict[str, int] = {}
        threads: dict[str, str] = {}
        pending: dict[str, str] = {}  # user -> id of the acknowledged, unanswered message

        def converse(user: str) -> None:
            client = clients[user]
            client.connect()
            threads[user] = client.session_info["threadId"]  # type: ignore[index]
            assert client.chat(f"hello from {user}").text == f"Noted: hello from {user}"
            pids[user] = int(client.chat("pid").text)

        in_parallel([lambda u=u: converse(u) for u in users])
        # Both workers must hold clients (which one accepts a socket is up to them).
        for burst in range(8):
            if len(set(pids.values())) == 2:
                break
            more = [f"extra{burst}-{n}" for n in range(4)]
            users.extend(more)
            clients.update({user: client_for(url, user) for user in more})
            in_parallel([lambda u=u: converse(u) for u in more])
        assert len(set(pids.values())) == 2, "every client landed on the same worker"
        for user in users:  # mid-conversation: acknowledged, handler running
            pending[user] = clients[user].send(f"gated for {user}")
        victim = max(set(pids.values()), key=list(pids.values()).count)
        os.kill(victim, signal.SIGKILL)
        orphans = [u for u in users if pids[u] == victim]
        survivors = [u for u in users if pids[u] != victim]
        print(f"killed {victim}: {len(orphans)} of {len(users)} clients were on it")
        gate.touch()  # the survivors' handlers (and every later one) go on

        def survive(user: str) -> None:
            client = clients[user]
            reply = client.wait_reply(pending[user], timeout=15)
            assert reply.text == f"Done: for {user}"
            client.disconnect()

        def fail_over(user: str) -> None:
            old = clients[user]
            deadline = time.monotonic() + 10
            while old.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not old.connected, "the dead worker's socket stayed open"
            # Like the widget: reconnect with the session, its last seq and its thread.
            new = client_for(url, user)
            info = new.connect(
                session_id=old.session_id, last_seq=old.last_seq, thread_id=threads[user]
            )
            assert info["restored"] is False and info["resumedThread"] is True
            assert info["threadId"] == threads[user]
            assert info["unanswered"] == [pending[user]]
            # The stored conversation follows the greeting, the unanswered message in it.
            shown = new.wait_for("new_message", lambda p: p["message"]["id"] == pending[user])
            shown = shown["message"]
            assert shown["content"] == f"gated for {user}"
            # "Send again": the same text as a new message, naming the one it replaces.
            again = new.send(shown["content"], resend_of=pending[user])
            assert new.wait_reply(again, timeout=15).text == f"Done: for {user}"
            assert new.chat("and now?").text == "Noted: and now?"
            new.disconnect()
            # Sent again: no longer reported, in any later visit of the thread.
            later = client_for(url, user)
            try:
                assert later.connect(thread_id=threads[user])["unanswered"] == []
            finally:
                later.disconnect()

        in_parallel(
            [lambda u=u: survive(u) for u in survivors]
            + [lambda u=u: fail_over(u) for u in orphans],
            timeout=60,
        )
        # A survivor's thread reports nothing either: its message was answered.
        for user in survivors[:1]:
            visit = client_for(url, user)
            try:
                assert visit.connect(thread_id=threads[user])["unanswered"] == []
            finally:
                visit.disconnect()


def test_a_message_still_in_hand_elsewhere_is_not_reported_until_its_process_dies(
    postgres_url: str, tmp_path: Path
) -> None:
    """Two servers over Redis: a second tab resuming the thread on server B while server
    A still handles the first tab's message sees nothing unanswered; once A's worker is
    killed, the same visit reports it."""
    redis_url = ensure_redis()
    gate = tmp_path / "gate"  # never opened: A's handler is still running when killed
    env = {
        "COPILOT_MESSAGE_QUEUE": redis_url,
        "COPILOT_TEST_DATABASE_URL": postgres_url,
        "COPILOT_TEST_GATE": str(gate),
    }
    with (
        gunicorn_server(APP, "gevent", **env) as (first, _),
        gunicorn_server(APP, "gevent", **env) as (second, _),
    ):
        tab = client_for(first, "ann")
        tab.connect()
        thread_id = tab.session_info["threadId"]  # type: ignore[index]
        worker = int(tab.chat("pid").text)
        waiting = tab.send("gated for ann")
        tab.wait_for("task_start", lambda p: p["messageId"] == waiting)

        other_tab = client_for(second, "ann")
        try:
            assert other_tab.connect(thread_id=thread_id)["unanswered"] == []
        finally:
            other_tab.disconnect()

        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while tab.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        later = client_for(second, "ann")
        try:
            assert later.connect(thread_id=thread_id)["unanswered"] == [waiting]
        finally:
            later.disconnect()
