"""Auth modes as a new user meets them: an identity loader works with Flask's SECRET_KEY
alone, a setup that cannot identify anyone fails loudly and says what to set, and
"optional" sign-in lets anonymous visitors chat while signed-in users are identified."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests
import socketio
from flask import Flask, render_template_string, session

from flask_copilot import ConfigError, Copilot, Message, User, context, create_jwt
from flask_copilot.auth.keys import derive_token_key
from flask_copilot.testing import ConnectionRefused, CopilotTestClient, LiveServer

SECRET_KEY = "the-host-apps-own-secret-key-0123456789"
PAGE = "<!doctype html><title>Shop</title>{{ copilot_widget() }}"


def make_app(
    *, secret_key: str | None = SECRET_KEY, loader: bool = True, **config: Any
) -> tuple[Flask, Copilot]:
    app = Flask("auth_modes")
    if secret_key:
        app.secret_key = secret_key
    app.config.update(config)
    copilot = Copilot()
    if loader:
        register_loader(copilot)

    @copilot.on_message
    def whoami(msg: Message) -> None:
        user = context.session.user
        Message(f"hello {user.display_name}" if user else "hello anonymous").send()

    copilot.init_app(app)

    @app.get("/login/<name>")
    def login(name: str) -> str:
        session["user"] = name
        return "signed in"

    @app.get("/page")
    def page() -> str:
        return render_template_string(PAGE)

    return app, copilot


def register_loader(copilot: Copilot) -> None:
    @copilot.identity_loader
    def signed_in_user() -> User | None:
        name = session.get("user")
        return User(name, display_name=name.title()) if name else None


def page_token(server: str, name: str | None) -> str | None:
    """What ``{{ copilot_widget() }}`` puts on the page for ``name`` (None: signed out)."""
    browser = requests.Session()
    if name:
        assert browser.get(f"{server}/login/{name}", timeout=5).text == "signed in"
    page = browser.get(f"{server}/page", timeout=5)
    assert page.status_code == 200, page.text
    mount = json.loads(page.text.split("window.mountCopilotWidget(")[1].split(");</script>")[0])
    token: str | None = mount.get("accessToken")
    return token


def refused(server: str, **kwargs: Any) -> str:
    client = CopilotTestClient(server, **kwargs)
    try:
        with pytest.raises(ConnectionRefused) as caught:
            client.connect()
    finally:
        client.disconnect()
    return caught.value.reason


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[LiveServer] = []

    def start(app: Flask) -> str:
        server = LiveServer(app).__enter__()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.__exit__(None, None, None)


# --- the identity loader works with SECRET_KEY alone -------------------------------------


def test_identity_loader_works_without_copilot_auth_secret(serve: Any) -> None:
    app, _ = make_app()
    server = serve(app)
    token = page_token(server, "ada")
    assert token is not None
    with CopilotTestClient(server, access_token=token) as ada:
        assert ada.chat("who am I?").text == "hello Ada"
    # Signed with a key derived from SECRET_KEY for this purpose, never SECRET_KEY itself.
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    claims = jwt.decode(token, derive_token_key(SECRET_KEY), algorithms=["HS256"])
    assert claims["identifier"] == "ada"
    # An identity loader means sign-in is required (as with COPILOT_AUTH_SECRET).
    assert requests.get(f"{server}/copilot/settings", timeout=5).json()["auth"] == {
        "mode": "required",
        "required": True,
    }
    assert page_token(server, None) is None
    assert refused(server) == "not_authenticated: sign in to use the copilot"


def test_secret_key_rotation_keeps_tokens_minted_before(serve: Any) -> None:
    old, _ = make_app(secret_key="old-key")
    token = page_token(serve(old), "bob")
    rotated, _ = make_app(secret_key="new-key", SECRET_KEY_FALLBACKS=["old-key"])
    with CopilotTestClient(serve(rotated), access_token=token) as bob:
        assert bob.chat("hi").text == "hello Bob"
    forgotten, _ = make_app(secret_key="new-key")
    assert refused(serve(forgotten), access_token=token) == (
        "not_authenticated: the access token is invalid or expired"
    )


def test_the_cli_token_uses_the_same_derived_key() -> None:
    app, _ = make_app()
    output = app.test_cli_runner().invoke(args=["copilot", "token", "carl"]).output.strip()
    assert jwt.decode(output, derive_token_key(SECRET_KEY), algorithms=["HS256"])["identifier"]


# --- a setup that cannot work fails loudly ---------------------------------------------------


def test_identity_loader_without_any_key_fails_at_init_app() -> None:
    with pytest.raises(ConfigError) as caught:
        make_app(secret_key=None)
    message = str(caught.value)
    assert "@copilot.identity_loader" in message
    assert "SECRET_KEY" in message and "COPILOT_AUTH_SECRET" in message
    assert "flask copilot create-secret" in message


def test_identity_loader_registered_after_init_app_fails_at_first_request(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_copilot")
    app, copilot = make_app(secret_key=None, loader=False)
    register_loader(copilot)  # after init_app, as `copilot = Copilot(app)` then decorators
    server = serve(app)
    assert requests.get(f"{server}/page", timeout=5).status_code == 500
    assert requests.get(f"{server}/copilot/settings", timeout=5).status_code == 500
    sio = socketio.Client(reconnection=False)
    reasons: list[Any] = []
    sio.on("connect_error", reasons.append, namespace="/copilot")
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(server, namespaces=["/copilot"], socketio_path="ws/socket.io", wait_timeout=5)
    sio.disconnect()
    assert str(reasons[0]["message"]).startswith("server_misconfigured:")
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("SECRET_KEY" in line and "COPILOT_AUTH_SECRET" in line for line in errors)


@pytest.mark.parametrize("mode", ["required", "optional"])
def test_a_mode_that_needs_users_without_any_way_to_identify_them_fails(mode: str) -> None:
    app = Flask("nobody")
    app.config["COPILOT_AUTH"] = mode
    with pytest.raises(ConfigError, match=f"COPILOT_AUTH is '{mode}' but nothing"):
        Copilot(app)


def test_off_with_an_identity_loader_is_a_contradiction() -> None:
    with pytest.raises(ConfigError, match=r"COPILOT_AUTH is 'off' but @copilot\.identity_loader"):
        make_app(COPILOT_AUTH="off")


def test_a_token_sent_while_sign_in_is_off_is_ignored_with_a_warning(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_copilot")
    app, _ = make_app(loader=False)
    with CopilotTestClient(serve(app), access_token="a.token.from-a-forgotten-setup") as client:
        assert client.chat("hi").text == "hello anonymous"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("ignored the access token" in line and "COPILOT_AUTH" in line for line in warnings)
    assert all("forgotten-setup" not in line for line in warnings)


def test_an_unknown_mode_is_refused_with_the_choices() -> None:
    app = Flask("typo")
    app.config["COPILOT_AUTH"] = "maybe"
    with pytest.raises(ConfigError, match="COPILOT_AUTH: Must be one of: required, optional, off"):
        Copilot(app)


# --- optional sign-in -------------------------------------------------------------------------


def test_optional_sign_in_lets_anonymous_visitors_chat_and_identifies_users(
    serve: Any, tmp_path: Any
) -> None:
    app, _ = make_app(
        COPILOT_AUTH="optional", COPILOT_DATABASE_URL=f"sqlite:///{tmp_path / 'c.sqlite3'}"
    )
    server = serve(app)
    settings = requests.get(f"{server}/copilot/settings", timeout=5).json()
    assert settings["auth"] == {"mode": "optional", "required": False}
    assert settings["features"]["history"] is True  # for the signed-in ones

    assert page_token(server, None) is None
    with CopilotTestClient(server) as visitor:
        assert visitor.session_info is not None and visitor.session_info["user"] is None
        assert visitor.chat("hi").text == "hello anonymous"
        no_history = visitor.call("list_threads", {})
        assert no_history["ok"] is False and no_history["error"]["code"] == "no_history"

    token = page_token(server, "dora")
    with CopilotTestClient(server, access_token=token) as dora:
        assert dora.session_info is not None
        assert dora.session_info["user"]["identifier"] == "dora"
        assert dora.chat("hi").text == "hello Dora"
        assert dora.call("list_threads", {})["ok"] is True

    # A bad token is a mistake or an attack, not an anonymous visitor.
    forged = create_jwt(User("dora"), secret="not-the-key-" + "x" * 32)
    assert refused(server, access_token=forged) == (
        "not_authenticated: the access token is invalid or expired"
    )


def test_chainlit_auth_secret_still_means_sign_in_required(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "migrated-" + "s" * 40)
    app, _ = make_app(loader=False)
    server = serve(app)
    assert requests.get(f"{server}/copilot/settings", timeout=5).json()["auth"]["mode"] == (
        "required"
    )
    token = create_jwt(User("eve", display_name="Eve"), secret="migrated-" + "s" * 40)
    with CopilotTestClient(server, access_token=token) as eve:
        assert eve.chat("hi").text == "hello Eve"
    assert refused(server).startswith("not_authenticated")
