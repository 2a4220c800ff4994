"""Wiring: app factories, app.extensions, reusing the app's SocketIO, the blueprint."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_socketio import SocketIO

from flask_copilot import ConfigError, Copilot, Message, NoContextError, user_session
from flask_copilot.testing import CopilotTestClient, LiveServer


def test_one_copilot_serves_several_apps_from_a_factory() -> None:
    copilot = Copilot()

    @copilot.on_message  # registered before init_app
    def reply(msg: Message) -> None:
        Message(f"app says {msg.content}").send()

    apps = []
    for _ in range(2):
        app = Flask(__name__)
        copilot.init_app(app)
        apps.append(app)
    assert apps[0].extensions["copilot"] is not apps[1].extensions["copilot"]
    for app in apps:
        with LiveServer(app) as server, CopilotTestClient(server.url) as client:
            assert client.chat("hi").text == "app says hi"


def test_init_app_twice_is_refused() -> None:
    app = Flask(__name__)
    copilot = Copilot(app)
    with pytest.raises(RuntimeError, match="already initialised"):
        copilot.init_app(app)


def test_reuses_the_apps_own_socketio_and_keeps_its_namespaces() -> None:
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="threading")

    @socketio.on("ping", namespace="/mine")
    def ping(data: object) -> object:
        return {"pong": data}

    copilot = Copilot(app, socketio=socketio, url_prefix="/assistant")

    @copilot.on_message
    def reply(msg: Message) -> None:
        Message("from the shared socket").send()

    assert copilot.socketio_for(app) is socketio
    settings = app.test_client().get("/assistant/copilot/settings").json
    assert settings["socket"] == {
        "path": "socket.io",
        "namespace": "/assistant/copilot",
        "transports": ["websocket"],
    }
    with LiveServer(app) as server:
        with CopilotTestClient(f"{server.url}/assistant") as client:
            assert client.chat("hi").text == "from the shared socket"
        import socketio as sio_client

        other = sio_client.Client()
        other.connect(server.url, namespaces=["/mine"], transports=["websocket"])
        assert other.call("ping", 7, namespace="/mine", timeout=5) == {"pong": 7}
        other.disconnect()


def test_an_explicit_mode_that_contradicts_the_given_socketio_fails() -> None:
    app = Flask(__name__)
    app.config["COPILOT_ASYNC_MODE"] = "gevent"
    socketio = SocketIO(app, async_mode="threading")
    with pytest.raises(ConfigError, match="COPILOT_ASYNC_MODE"):
        Copilot(app, socketio=socketio)


def test_context_calls_outside_a_handler_explain_what_to_do() -> None:
    app = Flask(__name__)
    Copilot(app)
    with app.app_context(), pytest.raises(NoContextError, match="init_http_context"):
        Message("hi").send()
    with pytest.raises(NoContextError):
        user_session.get("x")


def test_widget_script_is_served_with_cache_validation() -> None:
    app = Flask(__name__)
    Copilot(app, url_prefix="/chainlit")
    client = app.test_client()
    first = client.get("/chainlit/copilot/index.js")
    assert first.status_code == 200 and first.mimetype == "text/javascript"
    assert first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(
        "/chainlit/copilot/index.js", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert client.get("/chainlit/copilot/../../setup.py").status_code == 404


def test_a_second_on_message_handler_is_refused_naming_both() -> None:
    copilot = Copilot()

    @copilot.on_message
    def first(msg: Message) -> None:
        pass

    copilot.on_message(first)  # the same function again is harmless (as in Flask)
    with pytest.raises(ValueError) as caught:

        @copilot.on_message
        def second(msg: Message) -> None:
            pass

    message = str(caught.value)
    assert "@copilot.on_message is already registered" in message
    assert "test_a_second_on_message_handler_is_refused_naming_both.<locals>.first" in message
    assert "test_a_second_on_message_handler_is_refused_naming_both.<locals>.second" in message
    assert copilot.hooks.get("on_message") is first


def test_a_second_callback_for_one_action_is_refused() -> None:
    copilot = Copilot()
    copilot.action_callback("buy")(lambda action: None)
    with pytest.raises(ValueError, match=r"@copilot.action_callback\('buy'\) is already"):
        copilot.action_callback("buy")(lambda action: None)
    copilot.action_callback("sell")(lambda action: None)  # another action: fine
