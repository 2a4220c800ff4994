"""CORS headers for the copilot's blueprints, decided by the one origin policy.

The allow-list (``COPILOT_ALLOW_ORIGINS``) already refuses a foreign origin with a 403
(``refuse_foreign_origin``); the CORS headers must say the same thing, so they come from
the very same :class:`~flask_copilot.auth.origins.OriginPolicy` and never from a second
matcher with rules of its own. (flask-cors matched origins case-insensitively, so a
refused ``HTTPS://SHOP.EXAMPLE`` got its 403 *and* itself reflected in
``Access-Control-Allow-Origin``.)

Bearer tokens, not cookies: credentials are never allowed.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..auth.origins import OriginPolicy

#: Seconds a browser may cache a preflight answer.
PREFLIGHT_MAX_AGE = 600


def allow_cors(blueprint: Blueprint, policy: OriginPolicy) -> None:
    """Add CORS headers to every response of ``blueprint`` whose request's origin the
    policy allows (a refused origin gets none at all)."""

    @blueprint.after_request
    def add_cors_headers(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if not policy.any:
            response.vary.add("Origin")  # allowed, refused: it depends on the origin
        if not origin or not policy.allows(origin, request.environ):
            return response
        response.headers["Access-Control-Allow-Origin"] = "*" if policy.any else origin
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            wanted = request.headers.get("Access-Control-Request-Headers")
            if wanted:
                response.headers["Access-Control-Allow-Headers"] = wanted
            response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response
