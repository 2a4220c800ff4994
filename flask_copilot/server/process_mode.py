"""The async mode this process really runs in, told by what started it.

A gunicorn worker class or a monkey-patched process fixes the mode before the app is
imported: threading mode inside gunicorn's gevent worker (or gevent mode inside its
gthread worker) is never what the user meant. This is not the auto-detection
Flask-SocketIO does (it picks eventlet whenever eventlet is *installed*); it reads only
what is already running, from modules already imported, and imports nothing itself.

``init_app`` takes that mode when ``COPILOT_ASYNC_MODE`` is not set, fails when it is
set and contradicts it, and warns about processes that cannot serve chats well.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from dataclasses import dataclass, replace

from ..config import ConfigError, CopilotConfig
from .runtime import is_monkey_patched

logger = logging.getLogger("flask_copilot")

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


#: How to serve an app in each mode, for messages.
_HOW_TO_SERVE = {
    "threading": "gunicorn -k gthread --threads 100, or flask-copilot run --mode threading",
    "gevent": "gunicorn -k gevent, or flask-copilot run --mode gevent",
    "eventlet": "gunicorn -k eventlet (gunicorn<26), or flask-copilot run --mode eventlet",
}


def mode_for_this_process(config: CopilotConfig, detected: ProcessMode | None) -> CopilotConfig:
    """The mode the process runs in wins over the default (with an INFO line); an
    explicit ``COPILOT_ASYNC_MODE`` that contradicts it fails here, before a worker
    serves anyone in a mode that cannot work."""
    if detected is None or detected.mode == config.async_mode:
        return config
    if "COPILOT_ASYNC_MODE" in config.given:
        raise ConfigError(
            f"COPILOT_ASYNC_MODE is {config.async_mode!r} but this process runs "
            f"{detected.source}, which needs {detected.mode!r}: set "
            f"COPILOT_ASYNC_MODE={detected.mode}, or serve the app in "
            f"{config.async_mode} mode ({_HOW_TO_SERVE[config.async_mode]})."
        )
    logger.info(
        "flask_copilot: async mode %s, as %s needs (COPILOT_ASYNC_MODE is not set)",
        detected.mode,
        detected.source,
    )
    return replace(config, async_mode=detected.mode)


def warn_about_the_process(mode: str, detected: ProcessMode | None) -> None:
    if detected is not None and detected.mode != mode:  # only with an app's own SocketIO
        _warn(
            f"The SocketIO passed to flask_copilot runs in {mode} mode but this process "
            f"runs {detected.source}, which needs {detected.mode}: create it with "
            f"async_mode={detected.mode!r}."
        )
    elif not is_monkey_patched(mode):
        _warn(
            f"flask_copilot runs in {mode} mode but this process is not monkey-patched: "
            "a blocking call in a handler will freeze every client. Start with "
            f"`flask-copilot run --mode {mode}` or `gunicorn -k {mode}`."
        )
    if detected is not None and detected.gunicorn_worker == "sync":
        _warn(
            "gunicorn's sync worker (its default) serves one connection at a time: the "
            "first chat's websocket holds the worker and every other visitor waits. Use "
            "gunicorn -k gthread --threads 100, or -k gevent."
        )


def _warn(message: str) -> None:
    """A RuntimeWarning pointing at the user's line (``Copilot(app)``, ``init_app``):
    the first frame outside this package."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frame = sys._getframe(0)
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        package
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, RuntimeWarning, stacklevel=level)
