"""Schema creation and upgrades on first use, concurrent first use, durability."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from flask_copilot.store import SchemaVersionError, StoreError, open_store
from flask_copilot.store import schema as store_schema
from flask_copilot.store.schema import LATEST, schema_version
from flask_copilot.store.sqlalchemy_store import SQLAlchemyStore
from tests.store.helpers import at, message, user_message
from tests.store.workers import open_at


def _version(url: str) -> tuple[int, int]:
    """(version, rows in the version table)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(schema_version.c.version)).scalars().all()
    finally:
        engine.dispose()
    return (rows[0] if rows else 0), len(rows)


def test_first_open_creates_the_latest_schema(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, str(tmp_path))
    assert store is not None
    store.close()
    assert _version(store_url) == (LATEST, 1)
    engine = sa.create_engine(store_url)
    try:
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(store_schema.TABLES) | {"copilot_schema_version"} <= names


def test_upgrade_from_version_1_keeps_the_data(store_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(store_url)
    try:
        assert store_schema.upgrade(engine, target=1) == 0
        with engine.begin() as conn:
            conn.execute(
                sa.insert(store_schema.users).values(
                    identifier="alice", metadata={}, created_at=at(0)
                )
            )
            conn.execute(
                sa.insert(store_schema.threads).values(
                    id="old",
                    user_identifier="alice",
                    name="Old chat",
                    metadata={},
                    created_at=at(0),
                    updated_at=at(0),
                )
            )
            conn.execute(
                sa.insert(store_schema.messages).values(
                    id="old-reply",
                    thread_id="old",
                    type="assistant_message",
                    author="Bot",
                    content="from v1",
                    created_at=at(1),
                    is_error=False,
                    metadata={},
                    actions=[],
                )
            )
        assert not sa.inspect(engine).has_table("copilot_feedback")
    finally:
        engine.dispose()
    assert _version(store_url) == (1, 1)

    store = open_store(store_url, str(tmp_path))
    assert store is not None
    try:
        assert _version(store_url) == (LATEST, 1)
        assert [m.content for m in store.thread_messages("old", owner="alice")] == ["from v1"]
        assert store.set_feedback("old-reply", 1, owner="alice").value == 1  # a v2 table
    finally:
        store.close()


def test_a_newer_schema_is_refused(store_url: str, tmp_path: Path) -> None:
    open_store(store_url, str(tmp_path)).close()  # type: ignore[union-attr]
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.update(schema_version).values(version=LATEST + 1))
    finally:
        engine.dispose()
    with pytest.raises(SchemaVersionError, match="upgrade flask_copilot"):
        open_store(store_url, str(tmp_path))
    assert issubclass(SchemaVersionError, StoreError)


def test_concurrent_first_open_from_threads(store_url: str, tmp_path: Path) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []
    stores: list[SQLAlchemyStore] = []

    def open_one(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            store = SQLAlchemyStore(store_url)
            stores.append(store)
            store.upsert_message("shared", user_message(f"hi {n}"), owner="alice")
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    workers = [threading.Thread(target=open_one, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    try:
        assert errors == []
        assert len(stores[0].thread_messages("shared", owner="alice")) == 4
    finally:
        for store in stores:
            store.close()
    assert _version(store_url) == (LATEST, 1)


def test_concurrent_first_open_from_processes(store_url: str, tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 2.0  # both children have imported everything by then
    children = [
        context.Process(target=open_at, args=(store_url, str(tmp_path), start_at, results))
        for _ in range(2)
    ]
    for child in children:
        child.start()
    try:
        outcomes = [results.get(timeout=60) for _ in children]
    finally:
        for child in children:
            child.join(timeout=30)
    assert outcomes == ["ok", "ok"]
    assert _version(store_url) == (LATEST, 1)
    store = open_store(store_url, str(tmp_path))
    assert store is not None
    try:
        assert len(store.thread_messages("shared", owner="alice")) == 2
    finally:
        store.close()


def test_data_survives_close_and_reopen(make_store: Callable[..., SQLAlchemyStore]) -> None:
    store = make_store()
    thread = store.create_thread(owner="alice")
    store.upsert_message(thread.id, user_message("remember me", created_at=at(1)), owner="alice")
    reply = store.upsert_message(thread.id, message("I will", created_at=at(2)), owner="alice")
    store.set_feedback(reply.id, 1, owner="alice")
    before = (
        store.list_threads("alice"),
        store.thread_messages(thread.id, owner="alice"),
        store.thread_feedback(thread.id, owner="alice"),
    )
    store.close()
    reopened = make_store()
    after = (
        reopened.list_threads("alice"),
        reopened.thread_messages(thread.id, owner="alice"),
        reopened.thread_feedback(thread.id, owner="alice"),
    )
    assert after == before
    assert after[0].threads[0].name == "remember me"
