"""Who is chatting: access tokens (HS256 JWTs) and the host app's identity hook.

A token reaches us in the Socket.IO handshake (``auth.accessToken``) or as
``Authorization: Bearer`` on HTTP; never through a cookie, so third-party cookie
blocking (Safari, Chrome incognito) cannot break a cross-site embed. The token's own
``exp`` is required and kept: we never mint a longer-lived credential from it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from ..user import User

ALGORITHM = "HS256"
DEFAULT_TOKEN_LIFETIME = timedelta(days=15)
#: ``COPILOT_MAX_TOKEN_TTL``'s default: the longest lifetime a token may claim.
DEFAULT_MAX_TOKEN_TTL = 30 * 24 * 3600.0
#: Clock skew allowed between the host that minted a token and us, in seconds.
LEEWAY = 30.0
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


def decode_token(token: str, secret: str, max_ttl: float = DEFAULT_MAX_TOKEN_TTL) -> User:
    """The token's user; raises :class:`InvalidToken` (with a reason for the log, never
    the token itself).

    ``exp`` must be a number (PyJWT alone also takes a numeric string) and no further
    than ``max_ttl`` seconds away; ``exp - iat`` too, when the token has an ``iat``.
    """
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"{type(exc).__name__}: {exc}") from None
    _check_lifetime(claims, max_ttl)
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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_lifetime(claims: dict[str, Any], max_ttl: float) -> None:
    exp, iat = claims["exp"], claims.get("iat")
    if not _is_number(exp):
        raise InvalidToken(f"'exp' must be a number of seconds, not {type(exp).__name__}")
    if exp - time.time() > max_ttl + LEEWAY:
        raise InvalidToken(
            f"'exp' is {exp - time.time():.0f} s away; the limit is {max_ttl:.0f} s "
            "(COPILOT_MAX_TOKEN_TTL)"
        )
    if iat is not None:
        if not _is_number(iat):
            raise InvalidToken(f"'iat' must be a number of seconds, not {type(iat).__name__}")
        if exp - iat > max_ttl + LEEWAY:
            raise InvalidToken(
                f"the token lives {exp - iat:.0f} s (exp - iat); the limit is {max_ttl:.0f} s "
                "(COPILOT_MAX_TOKEN_TTL)"
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
