"""gunicorn server hooks for the test servers (``-c python:tests.gunicorn_hooks``)."""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Say when a worker has loaded the app and is about to serve: gunicorn's
    "Listening at" comes from the master before any worker has booted, and under load
    a worker takes seconds to import the app."""
    worker.log.info("Worker serving (pid: %s)", worker.pid)
