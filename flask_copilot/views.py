"""The blueprint: the widget script and the settings the widget reads first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, send_from_directory
from flask_cors import CORS

from .schemas import PROTOCOL_VERSION
from .state import CopilotState

WIDGET_DIR = Path(__file__).parent / "static" / "copilot"
# No content hash in the script URL (host pages hard-code it): cache briefly, then
# revalidate with the ETag.
WIDGET_MAX_AGE = 300


def settings_payload(state: CopilotState) -> dict[str, Any]:
    config = state.config
    return {
        "protocol": PROTOCOL_VERSION,
        "socket": {
            "path": state.socketio_path,
            "namespace": state.namespace,
            "transports": list(config.transports),
        },
        "auth": {"required": state.auth_required},
        "ui": {"name": config.assistant_name},
    }


def make_blueprint(state: CopilotState) -> Blueprint:
    blueprint = Blueprint("flask_copilot", __name__)

    @blueprint.get("/copilot/settings")
    def settings() -> Response:
        response = jsonify(settings_payload(state))
        response.headers["Cache-Control"] = "no-store"
        return response

    @blueprint.get("/copilot/<path:filename>")
    def widget_asset(filename: str) -> Response:
        response = send_from_directory(WIDGET_DIR, filename, max_age=WIDGET_MAX_AGE)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    # Bearer tokens, not cookies: CORS never allows credentials.
    CORS(blueprint, origins=state.origins.cors_origins(), supports_credentials=False)
    return blueprint
