"""The key that signs the app's own access tokens when ``COPILOT_AUTH_SECRET`` is not set.

Derived from Flask's ``SECRET_KEY`` the way itsdangerous derives its keys (an HMAC of a
purpose label under the secret key, as Flask's session cookie and Flask-WTF do with
salts of their own), so the copilot needs no secret of its own when it only mints
tokens for the app's own signed-in users (``@copilot.identity_loader``). ``SECRET_KEY``
itself never signs a token and the derived key signs nothing else, so a token cannot
pass for anything else the app signs, nor the other way round.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

#: What the derived key is for; changing it invalidates every token minted before.
TOKEN_KEY_PURPOSE = b"flask-copilot.access-token.v1"


@functools.lru_cache(maxsize=16)
def derive_token_key(secret_key: str | bytes) -> str:
    """An HS256 key for access tokens, derived from ``secret_key`` (Flask's
    ``SECRET_KEY``). Deterministic: every worker of the app derives the same key."""
    key = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    return hmac.new(key, TOKEN_KEY_PURPOSE, hashlib.sha256).hexdigest()
