"""``Copilot``: the Flask extension object. Wires config, Socket.IO, blueprint, hooks."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from flask import Flask
from flask_socketio import SocketIO

from .auth.origins import OriginPolicy
from .config import ConfigError, CopilotConfig, load_config
from .core.hooks import HookRegistry
from .errors import SessionNotFound
from .files import (
    FileService,
    FileSettings,
    StorageError,
    UploadLimits,
    open_storage,
)
from .protocol.wire_json import MAX_CHARS, BoundedJSON
from .server.auth_policy import resolve_auth
from .server.cluster import open_cluster
from .server.eventlet_close import close_websockets_once
from .server.identity_views import copilot_widget, make_identity_blueprint, refuse_foreign_origin
from .server.namespace import CopilotNamespace
from .server.packets import SafePacket, guard_packets
from .server.persistence import Persister
from .server.process_mode import (
    detect_process_mode,
    mode_for_this_process,
    warn_about_the_process,
)
from .server.refusals import RefusalLog
from .server.runner import HandlerRunner
from .server.runtime import Runtime
from .server.state import EXTENSION_KEY, CopilotState, get_state
from .server.views import make_blueprint
from .store import Store, StoreConfigError, check_store_url, open_store

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("flask_copilot")


def _normalise_prefix(prefix: str) -> str:
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
    return prefix


class Copilot:
    """Serve an embeddable AI copilot from a Flask app.

    ``Copilot(app)``, or ``copilot = Copilot()`` then ``copilot.init_app(app)`` in an app
    factory. Handlers registered with the decorators before or after ``init_app`` apply
    to every app this object is initialised on.

    With ``socketio`` (your app's own ``SocketIO``) the copilot adds its namespace to it;
    otherwise it creates one in ``COPILOT_ASYNC_MODE`` (never auto-detected).
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        socketio: SocketIO | None = None,
        url_prefix: str = "",
    ) -> None:
        self.hooks = HookRegistry()
        self._socketio = socketio
        self._url_prefix = url_prefix
        if app is not None:
            self.init_app(app)

    def init_app(
        self,
        app: Flask,
        *,
        socketio: SocketIO | None = None,
        url_prefix: str | None = None,
    ) -> None:
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("flask_copilot is already initialised on this app.")
        config = load_config(app.config)
        detected = detect_process_mode()
        config = mode_for_this_process(config, detected)
        # A setup that cannot identify users fails here, naming what to set (hooks
        # registered later are checked again on the first request that needs them).
        resolve_auth(config, self.hooks, app.config)
        prefix = _normalise_prefix(self._url_prefix if url_prefix is None else url_prefix)
        socketio = socketio or self._socketio
        namespace = f"{prefix}/copilot"
        origins = OriginPolicy(config.allow_origins)
        refusals = RefusalLog()
        if socketio is None:
            path = config.socketio_path or f"{prefix}/ws/socket.io"
            packet_limit = _packet_limit(config)
            socketio = SocketIO(
                app,
                async_mode=config.async_mode,
                path=path,
                # Checked on the handshake of both transports; no credentials, ever.
                cors_allowed_origins=_logged_origin_check(origins, refusals),
                cors_credentials=False,
                cookie=_sticky_cookie(config, prefix),
                message_queue=config.message_queue,
                # Our socket handlers only validate and queue: run them inline, in the
                # order the client sent them (see server/namespace.py).
                async_handlers=False,
                # Packets: bounded JSON, malformed ones refused (server/packets.py).
                # python-engineio applies `json` process-wide, to its own packets too.
                json=BoundedJSON(max_chars=packet_limit),
                serializer=type("CopilotPacket", (SafePacket,), {}),
                max_http_buffer_size=packet_limit,
            )
            close_websockets_once(socketio)
        else:
            if socketio.server is None:
                socketio.init_app(app, async_mode=config.async_mode)
            explicit = "COPILOT_ASYNC_MODE" in config.given
            if explicit and socketio.async_mode != config.async_mode:
                raise ConfigError(
                    f"COPILOT_ASYNC_MODE is {config.async_mode!r} but the SocketIO you "
                    f"passed runs in {socketio.async_mode!r} mode."
                )
            config = replace(config, async_mode=socketio.async_mode)
        runtime = Runtime(socketio, config.async_mode)
        cluster = open_cluster(config.message_queue, namespace, ttl=30)
        persister = _persister(config.database_url, app.instance_path)
        files = _file_service(app, config, prefix)
        state = CopilotState(
            app=app,
            config=config,
            hooks=self.hooks,
            socketio=socketio,
            runtime=runtime,
            runner=HandlerRunner(app, self.hooks),
            url_prefix=prefix,
            namespace=namespace,
            socketio_path=_engineio_path(socketio),
            origins=origins,
            cluster=cluster,
            persister=persister,
            refusals=refusals,
            files=files,
        )
        app.extensions[EXTENSION_KEY] = state
        blueprint = make_blueprint(state)
        blueprint.before_request(refuse_foreign_origin(origins))
        app.register_blueprint(blueprint, url_prefix=prefix or None)
        app.register_blueprint(make_identity_blueprint(state), url_prefix=prefix or None)
        app.jinja_env.globals.setdefault("copilot_widget", copilot_widget)
        app.register_error_handler(SessionNotFound, _session_not_found)
        copilot_namespace = CopilotNamespace(state)
        socketio.on_namespace(copilot_namespace)
        if issubclass(socketio.server.packet_class, SafePacket):
            # An app's own SocketIO gets this only when it opted in (docs/deploy.md).
            guard_packets(socketio.server, copilot_namespace.refuse_malformed_packet)
        _register_cli(app)
        warn_about_the_process(config.async_mode, detected)

    def socketio_for(self, app: Flask) -> SocketIO:
        """The ``SocketIO`` serving this copilot on ``app`` (e.g. for ``.run(app)``)."""
        return get_state(app).socketio

    # --- decorators -------------------------------------------------------------------

    def _hook(self, name: str) -> Callable[[F], F]:
        def register(handler: F) -> F:
            self.hooks.register(name, handler)
            return handler

        return register

    def on_chat_start(self, handler: F) -> F:
        """Called once when a chat session starts (before any message)."""
        return self._hook("on_chat_start")(handler)

    def on_message(self, handler: F) -> F:
        """Called with each :class:`Message` the user (or host page) sends."""
        return self._hook("on_message")(handler)

    def on_chat_end(self, handler: F) -> F:
        """Called when a session ends (new chat, or disconnected past the timeout)."""
        return self._hook("on_chat_end")(handler)

    def on_stop(self, handler: F) -> F:
        """Called after the user stopped a running handler."""
        return self._hook("on_stop")(handler)

    def on_chat_resume(self, handler: F) -> F:
        return self._hook("on_chat_resume")(handler)

    def on_audio_start(self, handler: F) -> F:
        return self._hook("on_audio_start")(handler)

    def on_audio_chunk(self, handler: F) -> F:
        return self._hook("on_audio_chunk")(handler)

    def on_audio_end(self, handler: F) -> F:
        return self._hook("on_audio_end")(handler)

    def on_feedback(self, handler: F) -> F:
        return self._hook("on_feedback")(handler)

    def set_chat_profiles(self, handler: F) -> F:
        return self._hook("set_chat_profiles")(handler)

    def set_starters(self, handler: F) -> F:
        return self._hook("set_starters")(handler)

    def identity_loader(self, handler: F) -> F:
        return self._hook("identity_loader")(handler)

    def header_auth_callback(self, handler: F) -> F:
        return self._hook("header_auth_callback")(handler)

    def action_callback(self, name: str) -> Callable[[F], F]:
        def register(handler: F) -> F:
            self.hooks.register_action(name, handler)
            return handler

        return register


def _logged_origin_check(origins: OriginPolicy, refusals: RefusalLog) -> Any:
    """Engine.IO's handshake origin check (both transports), logging what it refuses."""

    def allows(origin: str | None, environ: dict[str, Any]) -> bool:
        if origins.allows(origin, environ):
            return True
        refusals.refused(
            "a connection", "origin_not_allowed", "not in COPILOT_ALLOW_ORIGINS", origin
        )
        return False

    return allows


def _persister(url: str | None, instance_path: str) -> Persister | None:
    """Checked now (a bad URL fails at ``init_app``), opened on first use."""
    try:
        check_store_url(url, instance_path)
    except StoreConfigError as exc:
        raise ConfigError(str(exc)) from None
    if url is None:
        return None
    persister = Persister(lambda: _open(url, instance_path))
    os.register_at_fork(after_in_child=persister.after_fork)
    return persister


def _open(url: str, instance_path: str) -> Store:
    store = open_store(url, instance_path)
    assert store is not None  # only None for url None
    return store


def _file_service(app: Flask, config: CopilotConfig, prefix: str) -> FileService:
    """The storage (created on first use, not here) and what signs its grants and URLs."""
    try:
        storage = open_storage(config.storage, app.instance_path, config.s3_options)
    except (ValueError, StorageError) as exc:
        raise ConfigError(f"COPILOT_STORAGE: {exc}") from None
    limits = UploadLimits(
        accept=config.upload_accept,
        max_bytes=int(config.max_upload_mb * 1024 * 1024),
        max_files=config.max_files,
    )
    settings = FileSettings(
        url_base=f"{prefix}/copilot/files", url_ttl=config.file_url_ttl, limits=limits
    )

    # Read when first needed: SECRET_KEY may be set after init_app.
    def secret() -> str | bytes | None:
        return config.auth_secret or app.config.get("SECRET_KEY")

    return FileService(storage, secret, settings, shared=bool(config.message_queue))


def _packet_limit(config: CopilotConfig) -> int:
    """The largest Socket.IO frame a client may send: Engine.IO's default 1 MB, or more
    when the longest message (every character JSON-escaped, 6 bytes) needs it."""
    return max(MAX_CHARS, 6 * config.max_message_chars + 64 * 1024)


def _session_not_found(error: SessionNotFound) -> Any:
    """``WebsocketSession.get_by_id`` of an unknown id in a view: a clear 404."""
    return {"error": "session_not_found", "message": str(error)}, 404


def _sticky_cookie(config: CopilotConfig, prefix: str) -> dict[str, Any] | None:
    """Engine.IO's session cookie, for load balancers that pin polling clients to one
    worker. Only with polling (websocket-only clients need no stickiness). SameSite
    from ``COPILOT_COOKIE_SAMESITE``; ``none`` implies ``Secure``, as browsers demand."""
    if "polling" not in config.transports:
        return None
    samesite = config.cookie_samesite.capitalize()
    cookie: dict[str, Any] = {
        "name": "copilot_io",
        "path": prefix or "/",
        "httponly": True,
        "samesite": samesite,
    }
    if samesite == "None":
        cookie["secure"] = True  # engine.io writes only true flags
    return cookie


def _engineio_path(socketio: SocketIO) -> str:
    middleware = getattr(socketio, "sockio_mw", None)
    path = getattr(middleware, "engineio_path", "/socket.io/")
    return str(path).strip("/")


def _register_cli(app: Flask) -> None:
    from .cli.commands import copilot_cli

    if "copilot" not in app.cli.commands:
        app.cli.add_command(copilot_cli)
