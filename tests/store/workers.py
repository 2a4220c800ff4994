"""Run in child processes by the concurrency tests (importable by ``spawn``)."""

from __future__ import annotations

import time
from typing import Any


def open_at(url: str, instance_path: str, start_at: float, results: Any) -> None:
    """Open the store at wall-clock time ``start_at``, write one message, report."""
    from flask_copilot.store import MessageRecord, open_store

    time.sleep(max(0.0, start_at - time.time()))
    try:
        store = open_store(url, instance_path)
        assert store is not None
        store.upsert_message(
            "shared",
            MessageRecord(id=f"m-{time.time_ns()}", type="user_message", content="hi"),
            owner="alice",
        )
        store.close()
        results.put("ok")
    except Exception as error:  # noqa: BLE001 - the parent fails the test with it
        results.put(repr(error))
