"""Who may chat, and the keys of their tokens: one app's auth mode, resolved from its
configuration and hooks each time it is needed (hooks may be registered after
``init_app``; ``SECRET_KEY`` may be set after it too).

Modes (``COPILOT_AUTH``):

- ``required``: every connection needs a user (a valid token, or a same-origin page
  whose cookies ``@copilot.header_auth_callback`` accepts); others are refused.
- ``optional``: anonymous visitors chat; a user with a valid token (or accepted
  cookies) is identified. An invalid token is still refused: it is a mistake or an
  attack, never an anonymous visitor.
- ``off``: nobody is identified; a token that arrives is ignored (with a warning).

Unset, the mode is ``required`` when the app says how its users sign in
(``COPILOT_AUTH_SECRET``, or the seeds' ``CHAINLIT_AUTH_SECRET``; an identity loader;
a header callback), else ``off``: what the extension always did.

Keys: ``COPILOT_AUTH_SECRET`` when set (shared with another site's backend that mints
tokens). Otherwise a key derived from Flask's ``SECRET_KEY`` (see ``auth/keys.py``), and
from each of ``SECRET_KEY_FALLBACKS`` for verifying, so rotating ``SECRET_KEY`` the way
Flask documents keeps tokens minted before working until they expire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..auth.keys import derive_token_key
from ..auth.tokens import DEFAULT_MAX_TOKEN_TTL, InvalidToken, decode_token
from ..config import ConfigError, CopilotConfig
from ..core.hooks import HookRegistry
from ..user import User

CREATE_SECRET = "export COPILOT_AUTH_SECRET=$(flask copilot create-secret)"


@dataclass(frozen=True)
class AuthPolicy:
    mode: str
    #: Keys that verify tokens; the first one signs. Empty: no token can be checked.
    keys: tuple[str, ...]
    #: The longest lifetime a token may claim (``COPILOT_MAX_TOKEN_TTL``).
    max_ttl: float = DEFAULT_MAX_TOKEN_TTL

    @property
    def required(self) -> bool:
        return self.mode == "required"

    @property
    def identifies_users(self) -> bool:
        return self.mode != "off"

    def signing_key(self) -> str:
        if not self.keys:
            raise RuntimeError(
                "There is no key to sign access tokens: set Flask's SECRET_KEY (the "
                "copilot derives its token key from it) or COPILOT_AUTH_SECRET "
                f"({CREATE_SECRET})."
            )
        return self.keys[0]

    def verify(self, token: str) -> User:
        """The token's user; raises :class:`InvalidToken` with the main key's reason."""
        if not self.keys:
            raise InvalidToken("this server has no key to verify access tokens")
        error: InvalidToken | None = None
        for key in self.keys:
            try:
                return decode_token(token, key, self.max_ttl)
            except InvalidToken as exc:
                error = error or exc
        assert error is not None
        raise error


def resolve_auth(
    config: CopilotConfig, hooks: HookRegistry, app_config: Mapping[str, Any]
) -> AuthPolicy:
    """The app's auth policy; raises :class:`ConfigError` saying exactly what to set
    when the configuration cannot work."""
    loader = hooks.get("identity_loader") is not None
    header = hooks.get("header_auth_callback") is not None
    keys = _token_keys(config, app_config)
    mode = config.auth_mode or ("required" if config.auth_secret or loader or header else "off")
    if mode == "off" and (loader or header):
        hook = "identity_loader" if loader else "header_auth_callback"
        raise ConfigError(
            f"COPILOT_AUTH is 'off' but @copilot.{hook} is registered, and 'off' identifies "
            "nobody. Set COPILOT_AUTH = 'optional' (anonymous visitors chat, signed-in "
            f"users are identified) or 'required', or remove @copilot.{hook}."
        )
    if loader and not keys:
        raise ConfigError(
            "@copilot.identity_loader is registered but there is no key to sign the tokens "
            "it mints for your signed-in users: set Flask's SECRET_KEY (app.secret_key = "
            "…; the copilot derives its own token key from it), or set COPILOT_AUTH_SECRET "
            f"({CREATE_SECRET}) when another site's backend mints tokens too."
        )
    if mode != "off" and not keys and not header:
        raise ConfigError(
            f"COPILOT_AUTH is {mode!r} but nothing can identify a user: set "
            f"COPILOT_AUTH_SECRET ({CREATE_SECRET}) for tokens minted by your backend, or "
            "register @copilot.identity_loader (with Flask's SECRET_KEY set) or "
            "@copilot.header_auth_callback."
        )
    return AuthPolicy(mode=mode, keys=keys, max_ttl=config.max_token_ttl)


def _token_keys(config: CopilotConfig, app_config: Mapping[str, Any]) -> tuple[str, ...]:
    if config.auth_secret:
        return (config.auth_secret,)
    secret_key = app_config.get("SECRET_KEY")
    if not secret_key:
        return ()
    fallbacks = app_config.get("SECRET_KEY_FALLBACKS") or ()
    return tuple(derive_token_key(key) for key in (secret_key, *fallbacks) if key)
