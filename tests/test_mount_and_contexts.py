"""Mounting at any prefix next to the app's own routes and namespaces; HTTP and
websocket contexts in plain views; the seed's custom-endpoint examples in Flask form."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
import requests
import socketio
from flask import Flask
from flask_socketio import SocketIO

from flask_copilot import Copilot, Message, User, create_jwt
from flask_copilot.testing import CopilotTestClient, LiveServer


def make_app(prefix: str, own_socketio: bool) -> Flask:
    app = Flask(__name__)
    copilot = Copilot()

    @copilot.on_message
    def reply(msg: Message) -> None:
        Message(f"mounted at {prefix or '/'}: {msg.content}").send()

    @app.get("/app")
    def main_route() -> dict[str, str]:
        return {"message": "Hello World from main app"}

    if own_socketio:
        app_socketio = SocketIO(app, async_mode="threading")

        @app_socketio.on("ping", namespace="/game")
        def ping(data: object) -> object:
            return {"pong": data}

        copilot.init_app(app, socketio=app_socketio, url_prefix=prefix)
    else:
        copilot.init_app(app, url_prefix=prefix)
    return app


@pytest.mark.parametrize("prefix", ["", "/chainlit", "/tools/assistant"])
@pytest.mark.parametrize("own_socketio", [False, True], ids=["own-socketio", "app-socketio"])
def test_mount_anywhere_beside_the_apps_routes(prefix: str, own_socketio: bool) -> None:
    app = make_app(prefix, own_socketio)
    with LiveServer(app) as server:
        assert requests.get(f"{server.url}/app", timeout=5).json() == {
            "message": "Hello World from main app"
        }
        script = requests.get(f"{server.url}{prefix}/copilot/index.js", timeout=5)
        assert script.status_code == 200 and "mountCopilotWidget" in script.text
        settings = requests.get(f"{server.url}{prefix}/copilot/settings", timeout=5).json()
        assert settings["socket"]["namespace"] == f"{prefix}/copilot"
        expected_path = "socket.io" if own_socketio else f"{prefix}/ws/socket.io".lstrip("/")
        assert settings["socket"]["path"] == expected_path
        with CopilotTestClient(f"{server.url}{prefix}") as client:
            assert client.chat("hi").text == f"mounted at {prefix or '/'}: hi"
        if own_socketio:
            game = socketio.Client(reconnection=False)
            game.connect(server.url, namespaces=["/game"], transports=["websocket"])
            assert game.call("ping", 1, namespace="/game", timeout=5) == {"pong": 1}
            game.disconnect()
        assert requests.get(f"{server.url}/copilot-nope", timeout=5).status_code == 404


def example(name: str) -> Flask:
    module = importlib.import_module(f"examples.custom_endpoints.{name}")
    return module.app  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def push_server() -> Iterator[str]:
    with LiveServer(example("push")) as server:
        yield server.url


def test_example_mount_serves_the_copilot_under_its_path() -> None:
    with LiveServer(example("mount")) as server:
        assert requests.get(f"{server.url}/app", timeout=5).status_code == 200
        with CopilotTestClient(f"{server.url}/chainlit") as client:
            welcome = client.wait_for("new_message")
            assert welcome["message"]["content"] == f"Your session id is {client.session_id}"
            assert client.chat("hey").text == "You said: hey"


def test_example_http_context_sends_without_a_socket() -> None:
    app = example("http_context")
    response = app.test_client().get("/app")
    assert response.status_code == 200
    assert response.json == {"message": "Hello World from main app"}


def test_example_push_reaches_the_live_chat(push_server: str) -> None:
    with CopilotTestClient(push_server) as client:
        response = requests.get(f"{push_server}/hello/{client.session_id}", timeout=5)
        assert response.text == "Data sent to the websocket client"
        pushed = client.wait_for("new_message", lambda p: p["message"]["content"] == "Hello World")
        assert pushed["message"]["author"] == "Assistant"
        # Pushed events are numbered by the session like its own.
        seqs = [e.payload["seq"] for e in client.events[1:]]
        assert seqs == list(range(1, len(seqs) + 1))


def test_example_push_to_an_unknown_session_is_a_clear_404(push_server: str) -> None:
    response = requests.get(f"{push_server}/hello/no-such-session", timeout=5)
    assert response.status_code == 404
    assert response.json() == {
        "error": "session_not_found",
        "message": "No live chat session 'no-such-session'.",
    }


def test_example_authenticated_endpoint() -> None:
    app = example("authenticated")
    client = app.test_client()
    assert client.get("/hello").status_code == 401
    with app.app_context():
        token = create_jwt(User("alice"))
    response = client.get("/hello", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.text == "Hello World"
