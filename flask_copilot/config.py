"""Every ``COPILOT_*`` configuration key: its default, its validation, one accessor.

Nothing else in the package reads ``app.config`` for ``COPILOT_*`` keys; it asks
:class:`CopilotConfig`, built once by :func:`load_config` at ``init_app``.
A wrong value (or a misspelt ``COPILOT_`` key) raises :class:`ConfigError`
naming the key, so a bad deployment fails at start-up, not at the first message.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from .files.sniff import normalise_accept

ASYNC_MODES = ("threading", "eventlet", "gevent")
TRANSPORTS = ("websocket", "polling")
SAMESITE_VALUES = ("lax", "strict", "none")
#: ``required``: every connection needs a signed-in user; ``optional``: anonymous
#: visitors chat too, signed-in ones are identified; ``off``: nobody is identified.
AUTH_MODES = ("required", "optional", "off")

# Environment variables read when the key is absent from app.config (migration from
# the seeds' system: CHAINLIT_AUTH_SECRET is accepted).
_ENV_FALLBACKS: dict[str, tuple[str, ...]] = {
    "COPILOT_AUTH_SECRET": ("COPILOT_AUTH_SECRET", "CHAINLIT_AUTH_SECRET"),
    "COPILOT_ASYNC_MODE": ("COPILOT_ASYNC_MODE",),
    "COPILOT_MESSAGE_QUEUE": ("COPILOT_MESSAGE_QUEUE",),
    "COPILOT_DATABASE_URL": ("COPILOT_DATABASE_URL",),
    "COPILOT_STORAGE": ("COPILOT_STORAGE",),
}


class ConfigError(ValueError):
    """A ``COPILOT_*`` key has a value the extension cannot use."""


def _positive_seconds(**kwargs: Any) -> fields.Float:
    return fields.Float(validate=validate.Range(min=0, min_inclusive=False), **kwargs)


def _positive_int(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kwargs)


def _accept_item(value: str) -> None:
    try:
        normalise_accept([value])
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _storage_spec(value: str) -> None:
    if not value.strip():
        raise ValidationError("must be 'default', a folder, or s3://bucket/prefix")
    if value.startswith("s3://") and not value[len("s3://") :].split("/", 1)[0]:
        raise ValidationError("s3:// needs a bucket: s3://bucket/prefix")


class _ConfigSchema(Schema):
    """Field names are the config keys themselves, so errors name the key."""

    COPILOT_ASYNC_MODE = fields.String(
        load_default="threading", validate=validate.OneOf(ASYNC_MODES)
    )
    COPILOT_AUTH_SECRET = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1)
    )
    # None: "required" when the app says how users sign in (a secret, an identity
    # loader, a header callback), else "off" (see server/auth_policy.py).
    COPILOT_AUTH = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(AUTH_MODES)
    )
    COPILOT_ALLOW_ORIGINS = fields.List(
        fields.String(validate=validate.Length(min=1)), load_default=lambda: ["*"]
    )
    COPILOT_COOKIE_SAMESITE = fields.String(
        load_default="lax", validate=validate.OneOf(SAMESITE_VALUES)
    )
    # "default": a SQLite file in the app's instance folder; None: no persistence.
    COPILOT_DATABASE_URL = fields.String(load_default="default", allow_none=True)
    COPILOT_MESSAGE_QUEUE = fields.String(load_default=None, allow_none=True)
    COPILOT_SESSION_TIMEOUT = _positive_seconds(load_default=300.0)
    COPILOT_FUNCTION_TIMEOUT = _positive_seconds(load_default=60.0)
    COPILOT_ASK_TIMEOUT = _positive_seconds(load_default=60.0)
    COPILOT_DISCONNECT_GRACE = _positive_seconds(load_default=5.0)
    COPILOT_TOKEN_TTL = _positive_seconds(load_default=8 * 3600.0)
    COPILOT_MAX_UPLOAD_MB = _positive_seconds(load_default=20.0)
    COPILOT_UPLOAD_ACCEPT = fields.List(
        fields.String(validate=_accept_item), load_default=lambda: ["*/*"]
    )
    COPILOT_MAX_FILES = fields.Integer(strict=True, validate=validate.Range(min=0), load_default=10)
    # "default": a folder in the instance folder; a path; or s3://bucket/prefix.
    COPILOT_STORAGE = fields.String(load_default="default", validate=_storage_spec)
    COPILOT_S3_OPTIONS = fields.Dict(keys=fields.String(), load_default=dict)
    COPILOT_FILE_URL_TTL = _positive_seconds(load_default=3600.0)
    # Keys beyond the SPEC's list, each bounding something a client controls.
    COPILOT_MAX_MESSAGE_CHARS = _positive_int(load_default=100_000)
    COPILOT_MAX_PENDING_MESSAGES = _positive_int(load_default=20)
    COPILOT_MAX_PAGE_STATE_BYTES = _positive_int(load_default=64 * 1024)
    COPILOT_REPLAY_BUFFER = _positive_int(load_default=1000)
    COPILOT_REPLAY_BUFFER_BYTES = _positive_int(load_default=2 * 1024 * 1024)
    # None: no limit. Per process; the oldest detached sessions make room first.
    COPILOT_MAX_SESSIONS_PER_USER = _positive_int(load_default=20, allow_none=True)
    COPILOT_MAX_SESSIONS_PER_ADDRESS = _positive_int(load_default=200, allow_none=True)
    # Proxies in front of the server whose X-Forwarded-For entry is trusted (0: none,
    # the socket's peer address is the client's).
    COPILOT_TRUSTED_PROXIES = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=10)
    )
    # Longest lifetime a token may claim (exp - now, and exp - iat): 30 days.
    COPILOT_MAX_TOKEN_TTL = _positive_seconds(load_default=30 * 24 * 3600.0)
    COPILOT_TRANSPORTS = fields.List(
        fields.String(validate=validate.OneOf(TRANSPORTS)),
        validate=validate.Length(min=1),
        load_default=lambda: ["websocket"],
    )
    COPILOT_ASSISTANT_NAME = fields.String(
        load_default="Assistant", validate=validate.Length(min=1, max=100)
    )
    COPILOT_SOCKETIO_PATH = fields.String(load_default=None, allow_none=True)


#: Every key the extension reads (the README's configuration table lists exactly these).
CONFIG_KEYS = tuple(_ConfigSchema().fields)


def _did_you_mean(key: str, given: Mapping[str, Any]) -> str:
    """For an unknown key, the known one it was probably meant to be."""
    if key in CONFIG_KEYS:
        return ""
    prefix = "COPILOT_"
    # Compared without the prefix every key shares, which would make anything look close.
    candidates = {known[len(prefix) :]: known for known in CONFIG_KEYS if known not in given}
    close = difflib.get_close_matches(key[len(prefix) :], candidates, n=1, cutoff=0.6)
    return f" Did you mean {candidates[close[0]]}?" if close else ""


@dataclass(frozen=True)
class CopilotConfig:
    """The validated configuration of one app's copilot."""

    async_mode: str
    auth_secret: str | None
    auth_mode: str | None
    allow_origins: tuple[str, ...]
    cookie_samesite: str
    database_url: str | None
    message_queue: str | None
    session_timeout: float
    function_timeout: float
    ask_timeout: float
    disconnect_grace: float
    token_ttl: float
    max_upload_mb: float
    upload_accept: tuple[str, ...]
    max_files: int
    storage: str
    s3_options: dict[str, Any]
    file_url_ttl: float
    max_message_chars: int
    max_pending_messages: int
    max_page_state_bytes: int
    replay_buffer: int
    replay_buffer_bytes: int
    max_sessions_per_user: int | None
    max_sessions_per_address: int | None
    trusted_proxies: int
    max_token_ttl: float
    transports: tuple[str, ...]
    assistant_name: str
    socketio_path: str | None
    #: The keys the app set (in ``app.config`` or the environment), defaults aside.
    given: frozenset[str] = frozenset()


def load_config(
    app_config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> CopilotConfig:
    """Read and validate every ``COPILOT_*`` key of ``app_config``.

    Raises :class:`ConfigError` naming each bad or unknown key.
    """
    environ = os.environ if environ is None else environ
    raw = {key: value for key, value in app_config.items() if key.startswith("COPILOT_")}
    for key, env_names in _ENV_FALLBACKS.items():
        if key not in raw:
            for env_name in env_names:
                if environ.get(env_name):
                    raw[key] = environ[env_name]
                    break
    try:
        data = _ConfigSchema().load(raw)
    except ValidationError as exc:
        messages: dict[str, Any] = exc.messages if isinstance(exc.messages, dict) else {}
        problems = "; ".join(
            f"{key}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            + _did_you_mean(key, raw)
            for key, msgs in sorted(messages.items())
        )
        raise ConfigError(f"Invalid flask_copilot configuration: {problems}") from None
    if data["COPILOT_TOKEN_TTL"] > data["COPILOT_MAX_TOKEN_TTL"]:
        raise ConfigError(
            "Invalid flask_copilot configuration: COPILOT_TOKEN_TTL: longer than "
            f"COPILOT_MAX_TOKEN_TTL ({data['COPILOT_MAX_TOKEN_TTL']:.0f} s): the tokens "
            "minted for your users would be refused."
        )
    return CopilotConfig(
        async_mode=data["COPILOT_ASYNC_MODE"],
        auth_secret=data["COPILOT_AUTH_SECRET"],
        auth_mode=data["COPILOT_AUTH"],
        allow_origins=tuple(data["COPILOT_ALLOW_ORIGINS"]),
        cookie_samesite=data["COPILOT_COOKIE_SAMESITE"],
        database_url=data["COPILOT_DATABASE_URL"],
        message_queue=data["COPILOT_MESSAGE_QUEUE"],
        session_timeout=data["COPILOT_SESSION_TIMEOUT"],
        function_timeout=data["COPILOT_FUNCTION_TIMEOUT"],
        ask_timeout=data["COPILOT_ASK_TIMEOUT"],
        disconnect_grace=data["COPILOT_DISCONNECT_GRACE"],
        token_ttl=data["COPILOT_TOKEN_TTL"],
        max_upload_mb=data["COPILOT_MAX_UPLOAD_MB"],
        upload_accept=normalise_accept(data["COPILOT_UPLOAD_ACCEPT"]),
        max_files=data["COPILOT_MAX_FILES"],
        storage=data["COPILOT_STORAGE"],
        s3_options=dict(data["COPILOT_S3_OPTIONS"]),
        file_url_ttl=data["COPILOT_FILE_URL_TTL"],
        max_message_chars=data["COPILOT_MAX_MESSAGE_CHARS"],
        max_pending_messages=data["COPILOT_MAX_PENDING_MESSAGES"],
        max_page_state_bytes=data["COPILOT_MAX_PAGE_STATE_BYTES"],
        replay_buffer=data["COPILOT_REPLAY_BUFFER"],
        replay_buffer_bytes=data["COPILOT_REPLAY_BUFFER_BYTES"],
        max_sessions_per_user=data["COPILOT_MAX_SESSIONS_PER_USER"],
        max_sessions_per_address=data["COPILOT_MAX_SESSIONS_PER_ADDRESS"],
        trusted_proxies=data["COPILOT_TRUSTED_PROXIES"],
        max_token_ttl=data["COPILOT_MAX_TOKEN_TTL"],
        transports=tuple(data["COPILOT_TRANSPORTS"]),
        assistant_name=data["COPILOT_ASSISTANT_NAME"],
        socketio_path=data["COPILOT_SOCKETIO_PATH"],
        given=frozenset(raw),
    )
