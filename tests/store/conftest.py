"""Every store test runs on SQLite (a temporary file) and on PostgreSQL (a fresh schema
of the test session's database, see ``tests/postgres.py``)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flask_copilot.store.sqlalchemy_store import SQLAlchemyStore

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'copilot.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


class TickingClock:
    """A clock that moves 1 ms per reading, so every timestamp differs and order is
    deterministic."""

    def __init__(self) -> None:
        self._start = datetime(2026, 1, 1, tzinfo=UTC)
        self._ticks = itertools.count()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._start + timedelta(milliseconds=next(self._ticks))


@pytest.fixture
def make_store(store_url: str) -> Iterator[Callable[..., SQLAlchemyStore]]:
    opened: list[SQLAlchemyStore] = []

    def make(**options: Any) -> SQLAlchemyStore:
        options.setdefault("clock", TickingClock())
        store = SQLAlchemyStore(store_url, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[..., SQLAlchemyStore]) -> SQLAlchemyStore:
    return make_store()
