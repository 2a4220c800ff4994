"""How many chat sessions one user, and one address, may hold in this process.

Every session keeps a replay buffer (bounded in bytes) and lives on for
``COPILOT_SESSION_TIMEOUT`` after its socket left, so without a bound one client could
pin memory by opening sessions. Before a new session starts, the oldest *detached*
sessions of the same user or address end to make room (a reloaded page leaves one
behind); only when every one of them still has a socket is the new one refused.
Counted per process: that is where the memory is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..auth.addresses import client_address
from ..config import CopilotConfig
from ..core.session import ChatSession, SessionRegistry
from ..user import User

logger = logging.getLogger("flask_copilot")


class TooManySessions(Exception):
    """No room for a new session; the message says whose limit it is."""


@dataclass(frozen=True)
class _Limit:
    most: int | None
    counts: Callable[[ChatSession], bool]
    refusal: str


class SessionLimits:
    def __init__(self, config: CopilotConfig, registry: SessionRegistry) -> None:
        self._config = config
        self._registry = registry
        self._proxy_warned = False

    def client_address(self, environ: Mapping[str, Any]) -> str | None:
        """The connecting client's address (``X-Forwarded-For`` only behind trusted
        proxies); warns once when a proxy seems to be in front and none is trusted."""
        config = self._config
        if (
            not self._proxy_warned
            and config.trusted_proxies == 0
            and config.max_sessions_per_address is not None
            and environ.get("HTTP_X_FORWARDED_FOR")
        ):
            self._proxy_warned = True
            logger.warning(
                "connections come through a proxy (X-Forwarded-For) but "
                "COPILOT_TRUSTED_PROXIES is 0: COPILOT_MAX_SESSIONS_PER_ADDRESS counts "
                "them all as the proxy's address (%s)",
                environ.get("REMOTE_ADDR"),
            )
        return client_address(environ, config.trusted_proxies)

    def make_room(self, user: User | None, address: str | None) -> list[ChatSession]:
        """The detached sessions to end so that a new session of ``user`` from
        ``address`` fits; raises :class:`TooManySessions` when ending them cannot help
        (then nothing needs to end)."""
        config = self._config
        limits = [
            _Limit(
                config.max_sessions_per_user,
                lambda s: (
                    user is not None and s.user is not None and s.user.identifier == user.identifier
                ),
                "this user already has {n} open chats (COPILOT_MAX_SESSIONS_PER_USER)",
            ),
            _Limit(
                config.max_sessions_per_address,
                lambda s: address is not None and s.address == address,
                "{n} chats are already open from this address (COPILOT_MAX_SESSIONS_PER_ADDRESS)",
            ),
        ]
        sessions = [s for s in self._registry.all() if not s.ended]
        to_end: dict[str, ChatSession] = {}
        for limit in limits:
            if limit.most is None:
                continue
            live = [s for s in sessions if limit.counts(s)]
            if len(live) < limit.most:
                continue
            detached = sorted(
                (s for s in live if s.detached_at is not None), key=lambda s: s.detached_at or 0
            )
            if len(live) - len(detached) >= limit.most:
                raise TooManySessions(limit.refusal.format(n=len(live)))
            for session in detached[: len(live) - limit.most + 1]:
                to_end[session.id] = session
        return list(to_end.values())
