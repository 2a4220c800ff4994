"""Who is chatting: access tokens (HS256 JWTs) and the host app's identity hook.

A token reaches us in the Socket.IO handshake (``auth.accessToken``) or as
``Authorization: Bearer`` on HTTP; never through a cookie, so third-party cookie
blocking (Safari, Chrome incognito) cannot break a cross-site embed. The token's own
``exp`` is required and kept: we never mint a longer-lived credential from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from ..user import User

ALGORITHM = "HS256"
DEFAULT_TOKEN_LIFETIME = timedelta(days=15)
logger = logging.getLogger("flask_copilot")


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or uses another algorithm."""


def encode_token(
    user: User,
    expires_in: timedelta | float | None,
    secret: str,
) -> str:
    """A token for the widget's ``accessToken``: the seed's claims (``identifier``,
    ``metadata``, ``exp``) plus ``display_name`` and ``iat``.

    ``expires_in``: a timedelta or seconds (default 15 days, as in the seeds' system).
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
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


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
