"""Warnings about clients, rate-limited: refused connections and requests (WARNING, with
the reason and the origin, never the token), and tokens ignored because sign-in is off.
A flood of bad clients cannot flood the log."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("flask_copilot")


class RefusalLog:
    """At most ``burst`` lines per key in any ``window`` seconds; what is held back is
    counted, and the count is told in the next line for that key."""

    def __init__(
        self,
        *,
        window: float = 60.0,
        burst: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window
        self._burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (start of its window, lines logged in it, lines held back)
        self._seen: dict[str, tuple[float, int, int]] = {}

    def reset(self) -> None:
        """Forget every count (tests start each case from a clean slate)."""
        with self._lock:
            self._seen.clear()

    def refused(
        self, what: str, reason: str, detail: str, origin: str | None, key: str | None = None
    ) -> None:
        """``what`` (``a connection``, ``GET /api/x``) was refused for ``reason`` (the
        code the client got); ``detail`` says more, never holding a token. ``key``
        (default ``reason``) is what the rate limit counts by."""
        message = f"refused {what} from origin {origin or '(none)'}: {reason}: {detail}"
        self.warn(key or reason, message)

    def warn(self, key: str, message: str, level: int = logging.WARNING) -> None:
        now = self._clock()
        with self._lock:
            start, logged, held = self._seen.get(key, (now, 0, 0))
            if now - start >= self._window:
                start, logged = now, 0
            if logged >= self._burst:
                self._seen[key] = (start, logged, held + 1)
                return
            if len(self._seen) >= 1000:  # keys are a few codes; never let this grow
                self._seen.clear()
            self._seen[key] = (start, logged + 1, 0)
        if held:
            message += f" ({held} more like this in the last {self._window:g} s were not logged)"
        logger.log(level, "%s", message)
