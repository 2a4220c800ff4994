"""Mode-neutral concurrency primitives (threading, eventlet, gevent).

Library code never calls ``time.sleep`` or ``threading.Event`` directly: under an
unpatched eventlet/gevent hub those would freeze every client. Everything goes through
the async driver Flask-SocketIO/Engine.IO picked for the configured mode.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

from flask_socketio import SocketIO

from ..core.session import WaitableEvent

logger = logging.getLogger("flask_copilot")


class ReusableThreads:
    """Runs each job on an idle thread, or on a new one when none is idle.

    Threading mode starts a runner for every message; starting an OS thread was one of
    the largest costs per message (bench/, py-spy). Reusing idle threads removes it, and
    a job never waits for a busy thread, so one blocking handler never delays another.
    Idle threads exit after ``idle_timeout`` seconds.
    """

    def __init__(self, idle_timeout: float = 30.0) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._idle = 0  # idle threads not yet promised a job
        self._idle_timeout = idle_timeout

    def submit(self, target: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            self._jobs.put((target, args))
            if self._idle > 0:
                self._idle -= 1  # promised to one of the idle threads
                return
        threading.Thread(target=self._work, daemon=True, name="copilot-runner").start()

    def _work(self) -> None:
        while True:
            try:
                target, args = self._jobs.get(timeout=self._idle_timeout)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0:  # nobody promised this thread a job: retire
                        self._idle -= 1
                        return
                continue  # promised just now: the job is in the queue
            try:
                target(*args)
            except Exception:  # a job's failure must not kill the pool: log it
                logger.exception("a background job failed")
            with self._lock:
                self._idle += 1


class Runtime:
    """Spawn, sleep and wait the way the configured async mode wants."""

    def __init__(self, socketio: SocketIO, async_mode: str) -> None:
        self._socketio = socketio
        self.async_mode = async_mode
        # Greenlets only run when the current one yields; threads are preempted.
        self.cooperative = async_mode in ("eventlet", "gevent")
        self._threads = None if self.cooperative else ReusableThreads()

    def spawn(self, target: Callable[..., Any], *args: Any) -> None:
        if self._threads is not None:
            self._threads.submit(target, *args)
        else:  # a greenlet costs next to nothing
            self._socketio.start_background_task(target, *args)

    def sleep(self, seconds: float) -> None:
        self._socketio.sleep(seconds)

    def yield_now(self) -> None:
        """Let other greenlets (e.g. the websocket writer) run, so a handler that never
        sleeps still gets its emits onto the wire as they happen."""
        if self.cooperative:
            self._socketio.sleep(0)

    def create_event(self) -> WaitableEvent:
        server = self._socketio.server
        if server is None:  # pragma: no cover - init_app always creates it first
            raise RuntimeError("SocketIO is not initialised with an app yet")
        event: WaitableEvent = server.eio.create_event()
        return event


def is_monkey_patched(async_mode: str) -> bool:
    """Whether blocking calls (``time.sleep``, sockets) yield to the hub in this process.

    Only inspects modules already imported: checking must not import eventlet (it warns
    at import) in a process that does not use it.
    """
    if async_mode == "gevent":
        monkey = sys.modules.get("gevent.monkey")
        return bool(monkey and monkey.is_module_patched("socket"))
    if async_mode == "eventlet":
        patcher = sys.modules.get("eventlet.patcher")
        return bool(patcher and patcher.is_monkey_patched("socket"))
    return True
