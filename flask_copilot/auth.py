"""Who is chatting: access tokens (HS256 JWTs), ``authenticate_user``, identity hooks.

A token reaches us in the Socket.IO handshake (``auth.accessToken``) or as
``Authorization: Bearer`` on HTTP; never through a cookie, so third-party cookie
blocking (Safari, Chrome incognito) cannot break a cross-site embed. The token's own
``exp`` is required and kept: we never mint a longer-lived credential from it.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import jwt
from flask import Response, current_app, g, jsonify, request

from .user import User

ALGORITHM = "HS256"
DEFAULT_TOKEN_LIFETIME = timedelta(days=15)
logger = logging.getLogger("flask_copilot")
F = TypeVar("F", bound=Callable[..., Any])


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or uses another algorithm."""


def _app_secret() -> str:
    from .state import get_state

    secret = get_state(current_app).config.auth_secret
    if not secret:
        raise RuntimeError("COPILOT_AUTH_SECRET is not set: there is no key to sign tokens.")
    return secret


def create_jwt(
    user: User,
    expires_in: timedelta | float | None = None,
    *,
    secret: str | None = None,
) -> str:
    """A token for the widget's ``accessToken``: the seed's claims (``identifier``,
    ``metadata``, ``exp``) plus ``display_name`` and ``iat``.

    ``expires_in``: a timedelta or seconds (default 15 days, as in the seeds' system);
    ``secret``: default ``COPILOT_AUTH_SECRET`` of the current app.
    """
    if expires_in is None:
        lifetime = DEFAULT_TOKEN_LIFETIME
    elif isinstance(expires_in, timedelta):
        lifetime = expires_in
    else:
        lifetime = timedelta(seconds=expires_in)
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "identifier": user.identifier,
        "display_name": user.display_name,
        "metadata": user.metadata,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, secret or _app_secret(), algorithm=ALGORITHM)


def decode_token(token: str, secret: str) -> User:
    """The token's user; raises :class:`InvalidToken` (with a reason for the log)."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"{type(exc).__name__}: {exc}") from None
    identifier = claims.get("identifier")
    metadata = claims.get("metadata") or {}
    if not isinstance(identifier, str) or not identifier:
        raise InvalidToken("the token has no 'identifier' claim")
    if not isinstance(metadata, dict):
        raise InvalidToken("the token's 'metadata' claim is not an object")
    display_name = claims.get("display_name")
    return User(
        identifier=identifier,
        display_name=display_name if isinstance(display_name, str) else None,
        metadata=metadata,
    )


def bearer_token(headers: Any) -> str | None:
    value = str(headers.get("Authorization", ""))
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return str(token.strip())


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
        token = bearer_token(request.headers)
        if token is None:
            return _unauthorized(
                "not_authenticated", "An 'Authorization: Bearer' token is required."
            )
        try:
            user = decode_token(token, _app_secret())
        except InvalidToken as exc:
            logger.info("refused %s %s: invalid token (%s)", request.method, request.path, exc)
            return _unauthorized("invalid_token", "The access token is invalid or expired.")
        g.copilot_user = user
        if wants_user:
            kwargs["current_user"] = user
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def load_identity(loader: Callable[[], Any] | None) -> User | None:
    """The host app's logged-in user, as ``@copilot.identity_loader`` tells (it may return
    a :class:`User`, a plain identifier string, or ``None``)."""
    if loader is None:
        return None
    identity = loader()
    if identity is None or isinstance(identity, User):
        return identity
    if isinstance(identity, str) and identity:
        return User(identity)
    raise TypeError(
        f"@copilot.identity_loader must return a User, a string or None, got {identity!r}"
    )
