"""The async mode follows the server the app really runs under (gunicorn's worker class,
a monkey-patched process), a contradicting COPILOT_ASYNC_MODE fails at start, and
eventlet's servers log no "socket shutdown error" for websockets clients close."""

from __future__ import annotations

import re

import pytest
import websocket

from flask_copilot.testing import CopilotTestClient
from tests.servers import ServerProcess, gunicorn_process, gunicorn_server

PLAIN_APP = "tests.apps.plain_app:app"
BOOT_FAILED = re.compile(r"Worker failed to boot|Shutting down: Master")


@pytest.mark.parametrize("worker,mode", [("gevent", "gevent"), ("eventlet", "eventlet")])
def test_the_worker_class_decides_the_mode_when_none_is_set(worker: str, mode: str) -> None:
    """The README's `gunicorn -k gevent -w 1 myapp:app`, with no COPILOT_ASYNC_MODE."""
    with gunicorn_server(PLAIN_APP, worker, set_mode=False) as (url, server):
        sleeper, other = CopilotTestClient(url), CopilotTestClient(url)
        with sleeper, other:
            assert sleeper.chat("mode").text == mode
            sleeping = sleeper.send("sleep 1.5")
            sleeper.wait_for("task_start", lambda p: p["messageId"] == sleeping)
            # Cooperative and patched: a blocking sleep in one chat freezes no other.
            assert other.chat("still there?").text == "You said: still there?"
            assert sleeper.wait_reply(sleeping).text == "slept 1.5"
            assert sleeper.events[-1].received_at > other.events[-1].received_at
    assert (
        f"flask_copilot: async mode {mode}, as gunicorn's {worker} worker (-k {worker}) needs"
        in server.output
    )
    assert "not monkey-patched" not in server.output


def test_gthread_keeps_threading_without_a_word() -> None:
    with (
        gunicorn_server(PLAIN_APP, "gthread", set_mode=False) as (url, server),
        CopilotTestClient(url) as client,
    ):
        assert client.chat("mode").text == "threading"
    assert "flask_copilot: async mode" not in server.output
    assert "Warning" not in server.output


@pytest.mark.parametrize("worker,configured", [("gevent", "threading"), ("gthread", "eventlet")])
def test_an_explicit_mode_the_worker_contradicts_fails_at_start(
    worker: str, configured: str
) -> None:
    server = gunicorn_process(PLAIN_APP, worker, COPILOT_ASYNC_MODE=configured)
    try:
        server.wait_for_line(BOOT_FAILED, timeout=30)
    finally:
        server.stop()
    needed = {"gthread": "threading"}.get(worker, worker)
    assert (
        f"COPILOT_ASYNC_MODE is '{configured}' but this process runs gunicorn's {worker} "
        f"worker (-k {worker}), which needs '{needed}': set COPILOT_ASYNC_MODE={needed}"
    ) in server.output


def test_the_sync_worker_is_warned_about() -> None:
    sync = gunicorn_server(PLAIN_APP, "sync", set_mode=False, PYTHONWARNINGS="default")
    with sync as (_, server):
        server.wait_for_line(re.compile("sync worker"), timeout=30)
    assert "gunicorn's sync worker (its default) serves one connection at a time" in server.output
    assert "tests/apps/plain_app.py" in server.output  # the warning points at Copilot(app)


# --- eventlet: no "socket shutdown error" per closed websocket ------------------------------

CLOSED_SESSIONS = 30


def close_like_a_browser(url: str) -> None:
    """Open a chat over a raw websocket and close it with a close frame, as a browser
    does when its page goes away; the server must answer the close frame."""
    ws = websocket.create_connection(
        url.replace("http", "ws", 1) + "/ws/socket.io/?EIO=4&transport=websocket", timeout=5
    )
    try:
        assert ws.recv().startswith("0{")  # Engine.IO open
        ws.send('40/copilot,{"clientType":"copilot"}')
        assert ws.recv().startswith("40/copilot,")  # connected to the namespace
        ws.send_close()
        frame = ws.recv_frame()
        assert frame.opcode == websocket.ABNF.OPCODE_CLOSE  # answered, closed cleanly
    finally:
        ws.shutdown()


def assert_no_shutdown_errors(server: ServerProcess) -> None:
    server.stop()  # flushes the server's error stream (those lines have no newline)
    output = server.output
    assert output.count("socket shutdown error") == 0, output[-2000:]
    assert "Bad file descriptor" not in output


def test_gunicorn_eventlet_logs_nothing_for_closed_websockets() -> None:
    with gunicorn_server("tests.apps.chat_app:create_app()", "eventlet") as (url, server):
        for _ in range(CLOSED_SESSIONS):
            close_like_a_browser(url)
        with CopilotTestClient(url) as client:  # and the server still serves
            assert client.chat("hello").text == "You said: hello"
        assert_no_shutdown_errors(server)
