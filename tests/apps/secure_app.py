"""An app with auth on: tokens, a host-app login (plain Flask session), the identity
hooks, an allowed origin, and a view protected by authenticate_user."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, jsonify, render_template_string, session

from flask_copilot import Copilot, Message, User, authenticate_user, context

SECRET = "test-secret-for-the-security-suite-0123456789"
ALLOWED_ORIGIN = "https://shop.example"
copilot = Copilot()


@copilot.identity_loader
def logged_in_user() -> User | None:
    name = session.get("user")
    return User(name, display_name=session.get("name"), metadata={"plan": "pro"}) if name else None


@copilot.header_auth_callback
def from_cookie(headers: Any) -> User | None:
    name = session.get("user")  # the handshake's own cookies, same-origin pages only
    return User(name, metadata={"via": "header"}) if name else None


@copilot.on_message
def whoami(msg: Message) -> None:
    user = context.session.user
    assert user is not None  # auth is on: every session has a user
    Message(f"{user.identifier} {json.dumps(user.metadata, sort_keys=True)}").send()


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1>{{ copilot_widget() }}</body></html>"""


def create_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.secret_key = "host-app-session-key"
    app.config.update(COPILOT_AUTH_SECRET=SECRET, COPILOT_ALLOW_ORIGINS=[ALLOWED_ORIGIN])
    app.config.update(config)
    copilot.init_app(app)

    @app.get("/login/<name>")
    def login(name: str) -> str:
        session["user"] = name
        session["name"] = f"{name.title()} </script><script>window.pwned=1</script>"
        return "signed in"

    @app.get("/logout")
    def logout() -> str:
        session.clear()
        return "signed out"

    @app.get("/page")
    def page() -> str:
        return render_template_string(PAGE)

    @app.get("/api/hello")
    @authenticate_user
    def hello(current_user: User) -> Any:
        return jsonify(hello=current_user.identifier)

    return app
