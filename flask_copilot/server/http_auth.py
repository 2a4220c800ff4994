"""Tokens for the current app: ``create_jwt`` with its secret, ``authenticate_user`` for
the app's own views (``Authorization: Bearer``)."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Response, current_app, g, jsonify, request

from ..auth.tokens import InvalidToken, bearer_token, encode_token
from ..user import User
from .auth_policy import AuthPolicy
from .state import get_state

logger = logging.getLogger("flask_copilot")
F = TypeVar("F", bound=Callable[..., Any])


def _app_auth() -> AuthPolicy:
    return get_state(current_app).auth()


def create_jwt(
    user: User,
    expires_in: timedelta | float | None = None,
    *,
    secret: str | None = None,
) -> str:
    """A token for the widget's ``accessToken``: the seed's claims (``identifier``,
    ``metadata``, ``exp``) plus ``display_name`` and ``iat``.

    ``expires_in``: a timedelta or seconds (default 15 days, as in the seeds' system);
    ``secret``: default ``COPILOT_AUTH_SECRET`` of the current app, or else a key
    derived from its ``SECRET_KEY``.
    """
    return encode_token(user, expires_in, secret or _app_auth().signing_key())


def _unauthorized(code: str, message: str) -> Response:
    response = jsonify(error=code, message=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="copilot"'
    return response


def authenticate_user(view: F) -> F:
    """Require ``Authorization: Bearer <token>`` on a view of your app.

    The view gets the :class:`User` as ``current_user=`` when its signature takes it (it
    is also in ``flask.g.copilot_user``); a missing or bad token answers 401 JSON.
    """
    params = inspect.signature(view).parameters
    wants_user = "current_user" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
    )

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state = get_state(current_app)
        what = f"{request.method} {request.path}"
        origin = request.headers.get("Origin")
        token = bearer_token(request.headers)
        if token is None:
            state.refusals.refused(what, "not_authenticated", "no bearer token", origin)
            return _unauthorized(
                "not_authenticated", "An 'Authorization: Bearer' token is required."
            )
        try:
            user = state.auth().verify(token)
        except InvalidToken as exc:
            state.refusals.refused(what, "invalid_token", f"invalid token ({exc})", origin)
            return _unauthorized("invalid_token", "The access token is invalid or expired.")
        g.copilot_user = user
        if wants_user:
            kwargs["current_user"] = user
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
