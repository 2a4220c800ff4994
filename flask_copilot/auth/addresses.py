"""Where a connection comes from, for per-address limits.

Behind a reverse proxy every connection comes from the proxy; its ``X-Forwarded-For``
header names the client. That header is the client's to write, so only the entries
added by proxies we trust (``COPILOT_TRUSTED_PROXIES``, counted from the right, as
Werkzeug's ``ProxyFix(x_for=N)`` does) are believed; by default none are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def client_address(environ: Mapping[str, Any], trusted_proxies: int = 0) -> str | None:
    peer = environ.get("REMOTE_ADDR")
    if trusted_proxies <= 0:
        return peer
    forwarded = [part.strip() for part in str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < trusted_proxies:
        return peer  # fewer hops than configured: the header is not what we expect
    return forwarded[-trusted_proxies]
