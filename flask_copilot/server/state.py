"""Per-app state of the extension, kept in ``app.extensions["copilot"]``."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app
from flask_socketio import SocketIO

from ..auth.origins import OriginPolicy
from ..config import CopilotConfig
from ..core.hooks import HookRegistry
from ..core.session import SessionRegistry, SessionSettings
from ..errors import NoContextError
from ..files import FileService
from .auth_policy import AuthPolicy, resolve_auth
from .cluster import Cluster
from .persistence import Persister
from .refusals import RefusalLog
from .runner import HandlerRunner
from .runtime import Runtime

EXTENSION_KEY = "copilot"


@dataclass
class CopilotState:
    app: Flask
    config: CopilotConfig
    hooks: HookRegistry
    socketio: SocketIO
    runtime: Runtime
    runner: HandlerRunner
    url_prefix: str
    namespace: str
    socketio_path: str
    origins: OriginPolicy
    cluster: Cluster
    persister: Persister | None
    files: FileService
    registry: SessionRegistry = field(default_factory=SessionRegistry)
    refusals: RefusalLog = field(default_factory=RefusalLog)

    @property
    def session_settings(self) -> SessionSettings:
        config = self.config
        return SessionSettings(
            replay_limit=config.replay_buffer,
            replay_bytes=config.replay_buffer_bytes,
            max_pending=config.max_pending_messages,
            assistant_name=config.assistant_name,
            function_timeout=config.function_timeout,
            ask_timeout=config.ask_timeout,
            disconnect_grace=config.disconnect_grace,
        )

    @property
    def history_enabled(self) -> bool:
        """Past conversations can be listed and resumed (by signed-in users: they have
        an identity to own them): they are stored, and users are identified."""
        return self.persister is not None and self.auth().identifies_users

    def auth(self) -> AuthPolicy:
        """The auth mode and token keys, from the config and the hooks as they are now;
        raises ``ConfigError`` when they cannot work (see ``auth_policy.py``)."""
        return resolve_auth(self.config, self.hooks, self.app.config)


def get_state(app: Flask | None = None) -> CopilotState:
    if app is None:
        try:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
        except RuntimeError:
            raise NoContextError(
                "No Flask app context: pass the app, or work inside one."
            ) from None
    assert app is not None
    state = app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise NoContextError(
            "flask_copilot is not initialised on this app: did you forget "
            "Copilot(app) or copilot.init_app(app)?"
        )
    return state  # type: ignore[no-any-return]
