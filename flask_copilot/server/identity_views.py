"""Same-origin endpoints of the host app: a token for its logged-in user, and the Jinja
helper that embeds the widget with one.

Kept off the CORS-enabled blueprint: these answer from the host app's own cookies,
so only the host's own pages may read them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from ..auth.origins import OriginPolicy, is_same_origin
from ..auth.tokens import load_identity
from ..user import User
from .http_auth import create_jwt
from .state import CopilotState, get_state


def refuse_foreign_origin(policy: OriginPolicy) -> Any:
    """A ``before_request`` hook: a browser request from an origin that is not allowed
    gets a clear 403, not just a missing CORS header."""

    def check() -> Response | None:
        origin = request.headers.get("Origin")
        if policy.allows(origin, request.environ):
            return None
        get_state(current_app).refusals.refused(
            f"{request.method} {request.path}",
            "origin_not_allowed",
            "not in COPILOT_ALLOW_ORIGINS",
            origin,
        )
        response = jsonify(
            error="origin_not_allowed",
            message=f"{origin} is not in COPILOT_ALLOW_ORIGINS.",
        )
        response.status_code = 403
        return response

    return check


def mint_token(state: CopilotState) -> tuple[str, User] | None:
    """A fresh token for the host app's logged-in user, or None when nobody is.

    Signed with ``COPILOT_AUTH_SECRET``, or else with a key derived from ``SECRET_KEY``;
    a configuration that cannot work raises ``ConfigError`` here, on the first request
    that needs it (the loader may have been registered after ``init_app``)."""
    policy = state.auth()
    user = load_identity(state.hooks.get("identity_loader"))
    if user is None or not policy.identifies_users:
        return None
    ttl = state.config.token_ttl
    return create_jwt(user, ttl, secret=policy.signing_key()), user


def make_identity_blueprint(state: CopilotState) -> Blueprint:
    blueprint = Blueprint("flask_copilot_identity", __name__)

    @blueprint.post("/copilot/token")
    def token() -> Response:
        # Same-origin only: the answer rests on the host app's session cookie.
        origin = request.headers.get("Origin")
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if (origin and not is_same_origin(origin, request.environ)) or fetch_site not in (
            None,
            "same-origin",
        ):
            response = jsonify(
                error="cross_origin", message="Tokens are minted for this site's own pages."
            )
            response.status_code = 403
            return response
        minted = mint_token(state)
        if minted is None:
            response = jsonify(error="not_signed_in", message="Nobody is signed in.")
            response.status_code = 401
            return response
        token, user = minted
        response = jsonify(accessToken=token, user=user.to_wire(), expiresIn=state.config.token_ttl)
        response.headers["Cache-Control"] = "no-store"
        return response

    return blueprint


def copilot_widget(**options: Any) -> Markup:
    """Jinja: ``{{ copilot_widget(theme="dark") }}`` renders the script tag and the mount
    call, with a fresh access token for the logged-in user (``@copilot.identity_loader``).

    Options are passed to ``mountCopilotWidget`` as they are; ``server`` defaults to this
    app's copilot URL.
    """
    state = get_state()
    config: dict[str, Any] = {"server": request.host_url.rstrip("/") + state.url_prefix}
    config.update(options)
    minted = mint_token(state)
    if minted is not None and "accessToken" not in options:
        config["accessToken"] = minted[0]
    src = url_for("flask_copilot.widget_asset", filename="index.js")
    # Safe inside an inline <script>: '<', '>', '&' and "'" become \\u escapes.
    mount = htmlsafe_json_dumps(config)
    return Markup(
        f'<script src="{Markup.escape(src)}"></script>\n'
        f"<script>window.mountCopilotWidget({mount});</script>"
    )
