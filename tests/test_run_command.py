"""`flask-copilot run` / `flask copilot run` patch eventlet/gevent before the app loads."""

from __future__ import annotations

import re
import socket
import sys
import warnings

import pytest
from flask import Flask

from flask_copilot import Copilot
from flask_copilot.testing import CopilotTestClient
from tests.servers import ServerProcess, server_env, wait_until_serving

SERVING = re.compile(r"flask-copilot: serving .* on (http://127\.0\.0\.1:\d+)")
APP = "tests.apps.chat_app:create_app()"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def assert_blocking_sleep_does_not_freeze(url: str) -> None:
    with CopilotTestClient(url) as sleeper, CopilotTestClient(url) as other:
        sleeping = sleeper.send("sleep 1.5")
        sleeper.wait_for("task_start", lambda p: p["messageId"] == sleeping)
        reply = other.chat("hello?")
        assert reply.text == "You said: hello?"
        assert sleeper.wait_reply(sleeping).text == "slept 1.5"
        assert sleeper.events[-1].received_at - reply.events[-1].received_at > 0.7


@pytest.mark.parametrize("mode", ["gevent", "eventlet", "threading"])
def test_flask_copilot_run_serves_every_mode_patched(mode: str) -> None:
    port = free_port()
    args = [sys.executable, "-m", "flask_copilot", "run", APP, "--mode", mode, "--port", str(port)]
    server = ServerProcess(args, server_env(mode))
    try:
        url = server.wait_for_line(SERVING, timeout=30).group(1)
        assert url.endswith(f":{port}")
        wait_until_serving(url)
        assert_blocking_sleep_does_not_freeze(url)
    finally:
        server.stop()


def test_flask_cli_copilot_run() -> None:
    port = free_port()
    flask = [sys.executable, "-m", "flask", "--app", APP]
    server = ServerProcess([*flask, "copilot", "run", "--port", str(port)], server_env("gevent"))
    try:
        url = server.wait_for_line(SERVING, timeout=30).group(1)
        wait_until_serving(url)
        with CopilotTestClient(url) as client:
            assert client.chat("via flask").text == "You said: via flask"
    finally:
        server.stop()


def test_unpatched_cooperative_mode_warns_at_init_app() -> None:
    if "gevent.monkey" in sys.modules:
        pytest.skip("this process imported gevent.monkey")
    app = Flask(__name__)
    app.config["COPILOT_ASYNC_MODE"] = "gevent"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Copilot(app)
    (warning,) = [w for w in caught if "not monkey-patched" in str(w.message)]
    assert warning.filename == __file__  # the user's line, not flask_copilot's
    app = Flask(__name__)
    app.config["COPILOT_ASYNC_MODE"] = "gevent"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Copilot().init_app(app)
    (warning,) = [w for w in caught if "not monkey-patched" in str(w.message)]
    assert warning.filename == __file__


def test_the_demo_dev_server_says_one_true_thing_and_has_a_favicon() -> None:
    import urllib.request

    port = free_port()
    args = [sys.executable, "-m", "flask_copilot", "run", "examples.demo.app:app"]
    server = ServerProcess([*args, "--port", str(port)], server_env("threading"))
    try:
        url = server.wait_for_line(SERVING, timeout=30).group(1)
        wait_until_serving(url)
        with urllib.request.urlopen(f"{url}/", timeout=5) as page:
            assert '<link rel="icon" href="/static/favicon.svg"' in page.read().decode()
        with urllib.request.urlopen(f"{url}/favicon.ico", timeout=5) as icon:
            assert icon.url.endswith("/static/favicon.svg")  # followed the redirect
            assert icon.headers["Content-Type"].startswith("image/svg+xml")
            assert icon.read().startswith(b"<svg")
    finally:
        server.stop()
    output = server.output
    assert output.count("development server") == 1, output
    assert "Werkzeug's development server; for production use gunicorn" in output
    assert "production deployment" not in output  # neither Werkzeug's nor Flask-SocketIO's
