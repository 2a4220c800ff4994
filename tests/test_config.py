"""Every COPILOT_* key is validated at init_app, and a bad one is named."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_copilot import ConfigError, Copilot
from flask_copilot.config import load_config


def test_defaults() -> None:
    config = load_config({}, environ={})
    assert config.async_mode == "threading"
    assert config.auth_secret is None
    assert config.transports == ("websocket",)
    assert config.function_timeout == 60.0


@pytest.mark.parametrize(
    "key,value",
    [
        ("COPILOT_ASYNC_MODE", "asyncio"),
        ("COPILOT_FUNCTION_TIMEOUT", -1),
        ("COPILOT_SESSION_TIMEOUT", "soon"),
        ("COPILOT_COOKIE_SAMESITE", "sometimes"),
        ("COPILOT_TRANSPORTS", ["carrier-pigeon"]),
        ("COPILOT_TRANSPORTS", []),
        ("COPILOT_MAX_MESSAGE_CHARS", 0),
        ("COPILOT_MAX_MESSAGE_CHARS", 10.5),
        ("COPILOT_ALLOW_ORIGINS", "https://a.example"),
        ("COPILOT_REPLAY_BUFFER_BYTES", 0),
        ("COPILOT_MAX_SESSIONS_PER_USER", 0),
        ("COPILOT_TRUSTED_PROXIES", -1),
        ("COPILOT_MAX_TOKEN_TTL", "forever"),
        ("COPILOT_FUNCTON_TIMEOUT", 5),  # a typo is an unknown key
    ],
)
def test_a_bad_value_fails_at_init_app_naming_the_key(key: str, value: Any) -> None:
    app = Flask(__name__)
    app.config[key] = value
    with pytest.raises(ConfigError, match=key):
        Copilot(app)
    assert "copilot" not in app.extensions


def test_secret_from_the_environment_including_chainlit_name() -> None:
    assert load_config({}, environ={"COPILOT_AUTH_SECRET": "a"}).auth_secret == "a"
    assert load_config({}, environ={"CHAINLIT_AUTH_SECRET": "b"}).auth_secret == "b"
    assert (
        load_config({"COPILOT_AUTH_SECRET": "c"}, environ={"COPILOT_AUTH_SECRET": "a"}).auth_secret
        == "c"
    )


@pytest.mark.parametrize(
    "typo,meant",
    [
        ("COPILOT_FUNCTON_TIMEOUT", "COPILOT_FUNCTION_TIMEOUT"),
        ("COPILOT_ALLOWED_ORIGINS", "COPILOT_ALLOW_ORIGINS"),
        ("COPILOT_SAMESITE", "COPILOT_COOKIE_SAMESITE"),
        ("COPILOT_AUTH_SECRETS", "COPILOT_AUTH_SECRET"),
    ],
)
def test_a_misspelt_key_suggests_the_right_one(typo: str, meant: str) -> None:
    app = Flask(__name__)
    app.config[typo] = "x"
    with pytest.raises(ConfigError) as caught:
        Copilot(app)
    assert f"{typo}: Unknown field. Did you mean {meant}?" in str(caught.value)


def test_no_suggestion_for_a_key_like_none_of_ours() -> None:
    app = Flask(__name__)
    app.config["COPILOT_XYZZY"] = 1
    with pytest.raises(ConfigError) as caught:
        Copilot(app)
    assert str(caught.value).endswith("COPILOT_XYZZY: Unknown field.")
