"""The blueprint: the widget script and the settings the widget reads first."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_from_directory
from werkzeug.security import safe_join

from ..protocol.schemas import PROTOCOL_VERSION
from .cors import allow_cors
from .state import CopilotState
from .uploads import add_file_routes

WIDGET_DIR = Path(__file__).parent.parent / "static" / "copilot"
# No content hash in the script URL (host pages hard-code it): cache briefly, then
# revalidate with the ETag.
WIDGET_MAX_AGE = 300


def settings_payload(state: CopilotState) -> dict[str, Any]:
    config = state.config
    mode = state.auth().mode
    return {
        "protocol": PROTOCOL_VERSION,
        "socket": {
            "path": state.socketio_path,
            "namespace": state.namespace,
            "transports": list(config.transports),
        },
        # mode: required | optional | off (COPILOT_AUTH); required kept for old widgets.
        "auth": {"mode": mode, "required": mode == "required"},
        "features": {
            "history": state.history_enabled,
            "feedback": state.persister is not None,
            "uploads": config.max_files > 0,
        },
        # What the widget checks before uploading (the server checks again).
        "uploads": {
            "maxFiles": config.max_files,
            "maxSizeMb": config.max_upload_mb,
            "accept": list(config.upload_accept),
        },
        "files": {"urlTtl": config.file_url_ttl},
        "ui": {"name": config.assistant_name},
        "limits": {"pageStateBytes": config.max_page_state_bytes},
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
        # The build writes index.js.gz beside index.js (about a third of its size);
        # clients that accept gzip get it, with its own ETag, and caches keep the two
        # apart by Accept-Encoding.
        compressed = filename + ".gz"
        gz_path = safe_join(str(WIDGET_DIR), compressed)
        negotiated = gz_path is not None and Path(gz_path).is_file()
        if negotiated and request.accept_encodings["gzip"] > 0:
            response = send_from_directory(
                WIDGET_DIR,
                compressed,
                mimetype=mimetypes.guess_type(filename)[0] or "application/octet-stream",
                download_name=filename,
                max_age=WIDGET_MAX_AGE,
            )
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = send_from_directory(WIDGET_DIR, filename, max_age=WIDGET_MAX_AGE)
        if negotiated:
            response.vary.add("Accept-Encoding")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    add_file_routes(blueprint, state)
    allow_cors(blueprint, state.origins)
    return blueprint
