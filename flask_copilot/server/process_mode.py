"""The async mode this process really runs in, told by what started it.

A gunicorn worker class or a monkey-patched process fixes the mode before the app is
imported: threading mode inside gunicorn's gevent worker (or gevent mode inside its
gthread worker) is never what the user meant. This is not the auto-detection
Flask-SocketIO does (it picks eventlet whenever eventlet is *installed*); it reads only
what is already running, from modules already imported, and imports nothing itself.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from .runtime import is_monkey_patched

#: gunicorn's worker modules (imported by its master and inherited by its workers,
#: whether the class came from ``-k``, ``--worker-class`` or a config file), by the
#: async mode each needs. Custom workers subclass one of these, so they count too.
_GUNICORN_WORKERS = (
    ("gunicorn.workers.ggevent", "gevent", "gevent"),
    ("gunicorn.workers.geventlet", "eventlet", "eventlet"),
    ("gunicorn.workers.gthread", "threading", "gthread"),
    ("gunicorn.workers.sync", "threading", "sync"),
)


@dataclass(frozen=True)
class ProcessMode:
    mode: str
    #: What says so, for messages: "gunicorn's gevent worker (-k gevent)".
    source: str
    #: The gunicorn worker kind (``sync``, ``gthread``, ``gevent``, ``eventlet``), if any.
    gunicorn_worker: str | None = None


def detect_process_mode() -> ProcessMode | None:
    """The mode the running server or patching fixes, or None when nothing does (a
    plain interpreter: the configured mode stands)."""
    if "gunicorn.arbiter" in sys.modules:
        for module, mode, worker in _GUNICORN_WORKERS:
            if module in sys.modules:
                return ProcessMode(mode, f"gunicorn's {worker} worker (-k {worker})", worker)
    for mode in ("gevent", "eventlet"):
        if is_monkey_patched(mode):
            return ProcessMode(mode, f"a process monkey-patched by {mode}")
    return None
