"""Which web origins may use the copilot (``COPILOT_ALLOW_ORIGINS``), one policy for
HTTP and for the Socket.IO handshake (both transports)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def own_origin(environ: Mapping[str, Any]) -> str | None:
    """``scheme://host`` of the server as this request reached it."""
    host = environ.get("HTTP_HOST")
    if not host:
        return None
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


class OriginPolicy:
    """Allows the configured origins, the server's own origin, and requests that carry no
    ``Origin`` (non-browser clients, same-origin navigations, classic ``<script src>``)."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.any = "*" in allowed
        self.allowed = frozenset(origin.rstrip("/") for origin in allowed if origin != "*")

    def allows(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        if not origin:
            return True
        if self.any or origin in self.allowed:
            return True
        return is_same_origin(origin, environ)


def is_same_origin(origin: str | None, environ: Mapping[str, Any]) -> bool:
    return bool(origin) and origin == own_origin(environ)
