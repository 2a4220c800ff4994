"""Persisted messages per second: the store on SQLite and PostgreSQL vs raw floors.

    .venv/bin/python bench/store_bench.py [--messages 2000] [--pg URL]

Each store write is what the runtime does per message shown: ``upsert_message`` in its
own transaction (ownership check and thread touch included). Floors, measured in the
same run: the same row inserted with the bare driver, one transaction per message
(``sqlite3`` / ``psycopg``), and, for SQLite, one ``executemany`` into memory (the
cheapest a row can be). Read ratios, not absolute numbers. "mean/p99 ms" is how long one
write takes: under gevent/eventlet a SQLite write holds the hub that long (sqlite3 is a
C call); a PostgreSQL write yields while it waits for the server.

Loops are bounded: ``--messages`` per configuration (split among writers), and each
configuration stops after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_copilot.store import MessageRecord
from flask_copilot.store.sqlalchemy_store import SQLAlchemyStore

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROW_SQL = (
    "INSERT INTO floor_messages (id, thread_id, type, author, content, created_at, "
    "is_error, metadata, actions) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
FLOOR_DDL = (
    "CREATE TABLE floor_messages (seq {serial} PRIMARY KEY, id VARCHAR(64) UNIQUE NOT NULL, "
    "thread_id VARCHAR(64) NOT NULL, type VARCHAR(32) NOT NULL, author VARCHAR(255) NOT "
    "NULL, content TEXT NOT NULL, created_at VARCHAR(40) NOT NULL, is_error BOOLEAN NOT "
    "NULL, metadata TEXT NOT NULL, actions TEXT NOT NULL)"
)
CONTENT = "A typical assistant answer of a couple of sentences. " * 4


@dataclass
class Result:
    name: str
    writers: int
    count: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def _row(thread_id: str) -> tuple[object, ...]:
    now = datetime.now(UTC).isoformat()
    return (
        str(uuid.uuid4()),
        thread_id,
        "assistant_message",
        "Bot",
        CONTENT,
        now,
        False,
        "{}",
        "[]",
    )


def _record() -> MessageRecord:
    return MessageRecord(id=str(uuid.uuid4()), type="assistant_message", content=CONTENT)


def run_writers(
    name: str,
    writers: int,
    total: int,
    max_seconds: float,
    make_writer: Callable[[int], Callable[[], None]],
) -> Result:
    """Run ``writers`` threads, each calling its write function ``total // writers``
    times (or until ``max_seconds``), timing each call."""
    per_writer = max(1, total // writers)
    latencies: list[list[float]] = [[] for _ in range(writers)]
    functions = [make_writer(n) for n in range(writers)]
    start_line = threading.Barrier(writers + 1)

    def work(n: int) -> None:
        write, mine = functions[n], latencies[n]
        start_line.wait()
        deadline = time.perf_counter() + max_seconds
        for _ in range(per_writer):
            began = time.perf_counter()
            write()
            mine.append(time.perf_counter() - began)
            if began > deadline:
                break

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    flat = [x for mine in latencies for x in mine]
    return Result(name, writers, len(flat), elapsed, flat)


# --- SQLite -------------------------------------------------------------------------


def sqlite_executemany_floor(total: int) -> Result:
    conn = sqlite3.connect(":memory:")
    conn.execute(FLOOR_DDL.format(serial="INTEGER"))
    rows = [_row("t") for _ in range(total)]
    began = time.perf_counter()
    with conn:
        conn.executemany(ROW_SQL.format(p="?"), rows)
    elapsed = time.perf_counter() - began
    conn.close()
    return Result("floor: sqlite3 executemany, memory", 1, total, elapsed, [elapsed / total])


def sqlite_commit_floor(path: str, writers: int, total: int, max_seconds: float) -> Result:
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute(FLOOR_DDL.format(serial="INTEGER"))
    setup.commit()
    setup.close()

    def make_writer(n: int) -> Callable[[], None]:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA synchronous=NORMAL")
        sql, thread_id = ROW_SQL.format(p="?"), f"t{n}"

        def write() -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, _row(thread_id))
            conn.execute("COMMIT")

        return write

    return run_writers(
        "floor: sqlite3 file, 1 tx/message", writers, total, max_seconds, make_writer
    )


def store_writers(
    name: str, store: SQLAlchemyStore, writers: int, total: int, max_seconds: float
) -> Result:
    def make_writer(n: int) -> Callable[[], None]:
        thread_id = store.create_thread(owner=f"user{n}").id
        owner = f"user{n}"
        return lambda: store.upsert_message(thread_id, _record(), owner=owner) and None

    return run_writers(name, writers, total, max_seconds, make_writer)


def store_updates(name: str, store: SQLAlchemyStore, total: int, max_seconds: float) -> Result:
    """Stream end: the same message rewritten by id."""
    thread_id = store.create_thread(owner="updater").id
    record = store.upsert_message(thread_id, _record(), owner="updater")
    counter = iter(range(10**9))

    def make_writer(_: int) -> Callable[[], None]:
        def write() -> None:
            content = f"{CONTENT} {next(counter)}"
            store.upsert_message(
                thread_id, MessageRecord(record.id, record.type, content), owner="updater"
            )

        return write

    return run_writers(name, 1, total, max_seconds, make_writer)


# --- PostgreSQL ---------------------------------------------------------------------


def pg_commit_floor(conninfo: str, writers: int, total: int, max_seconds: float) -> Result:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as setup:
        setup.execute("DROP TABLE IF EXISTS floor_messages")
        setup.execute(FLOOR_DDL.format(serial="BIGSERIAL"))
    connections: list[psycopg.Connection[tuple[object, ...]]] = []

    def make_writer(n: int) -> Callable[[], None]:
        conn = psycopg.connect(conninfo)
        connections.append(conn)
        sql, thread_id = ROW_SQL.format(p="%s"), f"t{n}"

        def write() -> None:
            conn.execute(sql, _row(thread_id))
            conn.commit()

        return write

    try:
        return run_writers("floor: psycopg, 1 tx/message", writers, total, max_seconds, make_writer)
    finally:
        for conn in connections:
            conn.close()


def pg_schema(url: str) -> tuple[str, str, Callable[[], None]] | None:
    """A throwaway schema: (SQLAlchemy URL, psycopg conninfo, drop)."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        print(f"PostgreSQL skipped: {error}".strip(), file=sys.stderr)
        return None
    name = f"bench_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE SCHEMA "{name}"')
    option = f"-csearch_path={name}"
    scoped = base.update_query_dict({"options": option})

    def drop() -> None:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')
        conn.close()

    conninfo = f"{admin}{'&' if '?' in admin else '?'}options={option.replace('=', '%3D')}"
    return scoped.render_as_string(hide_password=False), conninfo, drop


# --- report -------------------------------------------------------------------------


def report(rows: list[tuple[Result, Result | None]]) -> None:
    print()
    print(
        f"{'configuration':<42} {'writers':>7} {'msgs':>6} {'msgs/s':>9} "
        f"{'mean ms':>8} {'p99 ms':>7}  vs floor"
    )
    for result, floor in rows:
        latencies = sorted(result.latencies)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        ratio = f"{result.rate / floor.rate:6.2f}x of '{floor.name}'" if floor else "-"
        print(
            f"{result.name:<42} {result.writers:>7} {result.count:>6} {result.rate:>9.0f} "
            f"{statistics.fmean(latencies) * 1000:>8.3f} {p99 * 1000:>7.3f}  {ratio}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--max-seconds", type=float, default=15.0)
    parser.add_argument("--pg", default=os.environ.get("COPILOT_BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    total, cap = args.messages, args.max_seconds
    rows: list[tuple[Result, Result | None]] = []

    with tempfile.TemporaryDirectory() as folder:
        memory_floor = sqlite_executemany_floor(total)
        rows.append((memory_floor, None))
        floors = {n: sqlite_commit_floor(f"{folder}/floor{n}.db", n, total, cap) for n in (1, 4)}
        memory = SQLAlchemyStore("sqlite://")
        rows.append((store_writers("store: SQLite memory", memory, 1, total, cap), memory_floor))
        memory.close()
        store = SQLAlchemyStore(f"sqlite:///{folder}/copilot.sqlite3")
        for writers in (1, 4):
            rows.append((floors[writers], None))
            name = "store: SQLite file (WAL)"
            rows.append((store_writers(name, store, writers, total, cap), floors[writers]))
        rows.append(
            (store_updates("store: SQLite file, update by id", store, total, cap), floors[1])
        )
        store.close()

    scoped = None if args.no_pg else pg_schema(args.pg)
    if scoped is not None:
        url, conninfo, drop = scoped
        try:
            pg_floors = {n: pg_commit_floor(conninfo, n, total, cap) for n in (1, 4)}
            store = SQLAlchemyStore(url)
            for writers in (1, 4):
                rows.append((pg_floors[writers], None))
                name = "store: PostgreSQL"
                rows.append((store_writers(name, store, writers, total, cap), pg_floors[writers]))
            rows.append(
                (store_updates("store: PostgreSQL, update by id", store, total, cap), pg_floors[1])
            )
            store.close()
        finally:
            drop()
    report(rows)


if __name__ == "__main__":
    main()
