"""Access tokens: HS256 JWTs issued by the host site (or by :func:`create_jwt`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from .user import User

ALGORITHM = "HS256"
DEFAULT_TOKEN_LIFETIME = timedelta(days=15)


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or uses another algorithm."""


def create_jwt(user: User, secret: str, expires_in: timedelta = DEFAULT_TOKEN_LIFETIME) -> str:
    """A token the widget passes as ``accessToken`` (same claims as the seed's)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "identifier": user.identifier,
        "display_name": user.display_name,
        "metadata": user.metadata,
        "iat": now,
        "exp": now + expires_in,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str) -> User:
    """The token's user; raises :class:`InvalidToken`. The token's own ``exp`` is
    required and kept (never extended)."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
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
