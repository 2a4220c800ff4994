"""open_store: disabled, the default SQLite file, URL forms, clear errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from flask_copilot.store import (
    DEFAULT_DATABASE,
    StoreConfigError,
    StoreError,
    open_store,
)
from flask_copilot.store.sqlalchemy_store import SQLAlchemyStore
from tests.store.helpers import user_message


def test_none_disables_persistence(tmp_path: Path) -> None:
    assert open_store(None, str(tmp_path)) is None


def test_default_is_a_sqlite_file_in_the_instance_folder(tmp_path: Path) -> None:
    instance = tmp_path / "nested" / "instance"
    store = open_store(DEFAULT_DATABASE, str(instance))
    assert isinstance(store, SQLAlchemyStore)
    try:
        store.upsert_message("t", user_message("hi"), owner="alice")
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        store.close()
    assert (instance / "copilot.sqlite3").is_file()


def test_relative_sqlite_path_is_in_the_instance_folder(tmp_path: Path) -> None:
    store = open_store("sqlite:///chats.db", str(tmp_path))
    assert store is not None
    store.close()
    assert (tmp_path / "chats.db").is_file()


def test_in_memory_sqlite_is_shared_by_threads(tmp_path: Path) -> None:
    store = open_store("sqlite://", str(tmp_path))
    assert store is not None
    try:
        workers = [
            threading.Thread(
                target=store.upsert_message, args=("t", user_message(f"{n}")), kwargs={"owner": "a"}
            )
            for n in range(4)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert len(store.thread_messages("t", owner="a")) == 4
    finally:
        store.close()


def test_postgres_scheme_means_psycopg(tmp_path: Path) -> None:
    from flask_copilot.store.sqlalchemy_store import normalize_url

    for given in ("postgres://u@h/db", "postgresql://u@h/db"):
        assert normalize_url(given).drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg2"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "must be a database URL"),
        (42, "must be a database URL"),
        ("not a url", "not a database URL"),
        ("mysql://u@localhost/db", "not supported"),
        ("sqlite+aiosqlite:///x.db", "not supported"),
        ("sqlite:////no/such/folder/x.db", "does not exist"),
    ],
)
def test_bad_urls_are_named(tmp_path: Path, url: object, says: str) -> None:
    with pytest.raises(StoreConfigError, match=says) as caught:
        open_store(url, str(tmp_path))  # type: ignore[arg-type]
    assert "COPILOT_DATABASE_URL" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test"
    with pytest.raises(StoreError, match="cannot open") as caught:
        open_store(url, str(tmp_path))
    assert "s3cret" not in str(caught.value)


def test_database_failures_are_store_errors(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE copilot_feedback")
    with pytest.raises(StoreError) as caught:
        store.thread_feedback(thread.id, owner="alice")
    assert "copilot_feedback" in str(caught.value)
    assert store.get_thread(thread.id, owner="alice") is not None  # the store goes on


def test_a_forked_child_gets_connections_of_its_own(tmp_path: Path) -> None:
    """gunicorn --preload forks after init_app: the child must not reuse the parent's
    pooled connections (they would interleave on one socket or file handle)."""
    import os

    store = open_store(f"sqlite:///{tmp_path / 'fork.sqlite3'}", str(tmp_path))
    assert isinstance(store, SQLAlchemyStore)
    store.upsert_user("parent")
    assert store.engine.pool.checkedin() >= 1  # the parent keeps a pooled connection
    os.register_at_fork(after_in_child=store.after_fork)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            inherited = store.engine.pool.checkedin()
            store.upsert_user("child")
            found = store.get_user("parent") is not None
            os.write(write, f"{inherited} {found}".encode())
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(child, 0)
    assert os.read(read, 100).decode() == "0 True" and status == 0
    assert store.get_user("child") is not None
    store.close()
