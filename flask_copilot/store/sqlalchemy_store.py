"""The :class:`~flask_copilot.store.base.Store`, on SQLAlchemy 2 Core (SQLite, PostgreSQL).

Why Core and not the ORM: each method is one short transaction of one to three
statements, and its result is a frozen record handed to another greenlet or thread. The
ORM's unit of work, identity map and lazy loading would add state that must not outlive
the transaction and per-row overhead on the hot path (one write per message sent), and
what we need most, ``INSERT … ON CONFLICT DO UPDATE … WHERE`` guarded by the owning
thread, is a Core statement anyway (on both dialects, with ``RETURNING`` telling whether
the row was ours).

Transactions are short and never span user code, so a write blocks nobody for longer
than its own statements:

- SQLite: WAL (readers never wait for the writer), ``busy_timeout`` (a writer waits for
  another instead of failing), ``foreign_keys=ON`` (deleting a thread deletes what is in
  it), ``synchronous=NORMAL`` (safe in WAL against crashes of the process; a power loss
  may drop the last commits, not corrupt the file). Writes start with ``BEGIN
  IMMEDIATE``, so two writers queue up front instead of deadlocking on a lock upgrade.
  Relative file paths are resolved against the app's instance folder (as
  Flask-SQLAlchemy does). ``sqlite://`` (in memory) works, on one shared connection.
- PostgreSQL (``postgresql+psycopg://``; ``postgres://`` and ``postgresql://`` mean
  psycopg 3 here): READ COMMITTED, ``pool_pre_ping`` so a restarted server costs no
  failed request (one extra round trip per transaction; ``engine_options=
  {"pool_pre_ping": False}`` trades it away).

Cooperative servers (gevent, eventlet). Database calls are cooperative only in a
monkey-patched process. psycopg 3 waits on its socket through ``select`` when gevent has
patched it (psycopg detects that itself); under eventlet it would use its C wait
function and block the hub for the whole query, so this module switches psycopg to its
``select``-based wait when it finds eventlet's patch. sqlite3 is a C library call and is
never cooperative: each write holds the hub for its duration, measured by
``bench/store_bench.py`` at about 0.4 ms per message on this 2-core VM (0.08 ms of it in
sqlite3, the rest is Python that would hold the hub anyway). Within one
process that is all it costs, as no greenlet switch can happen inside a transaction and
so no greenlet ever waits on another's SQLite lock; but several *processes* sharing one
SQLite file would make a waiting writer sleep inside ``busy_timeout``, hub included, so
for several gevent/eventlet workers use PostgreSQL. A background writer queue was left
out: it would only help that case, would need a real OS thread per async mode, and
would make "persisted" mean "queued" (a crash loses the queue) and reads racy with
writes just made.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import StaticPool

from . import schema
from .base import (
    ElementRecord,
    FeedbackRecord,
    MessageRecord,
    NotFound,
    StoreConfigError,
    StoreError,
    ThreadPage,
    ThreadRecord,
    UserRecord,
    utc_now,
)
from .schema import elements, feedback, messages, threads, users

logger = logging.getLogger(__name__)

#: Execution option that makes a SQLite transaction start with ``BEGIN IMMEDIATE``.
_WRITE = "copilot_write"
TITLE_CHARS = 100
MAX_PAGE = 100
SQLITE_BUSY_TIMEOUT_MS = 5000
#: What an upsert by id may change (never the thread, the id or the creation time).
_MESSAGE_UPDATES = (
    "type",
    "author",
    "content",
    "is_error",
    "parent_id",
    "metadata",
    "actions",
    "step",
)
_ELEMENT_UPDATES = ("message_id", "name", "mime", "size", "url", "path", "display", "metadata")


def _new_id() -> str:
    return str(uuid.uuid4())


def _title(content: str) -> str | None:
    text = " ".join(content.split())
    if not text:
        return None
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def _owned_by(owner: str | None) -> sa.ColumnElement[bool]:
    column = threads.c.user_identifier
    return column.is_(None) if owner is None else column == owner


def normalize_url(url: str | URL, instance_path: str | None = None) -> URL:
    """Parse and check a database URL; raise :class:`StoreConfigError` saying why not."""
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError) as error:
        raise StoreConfigError(f"{url!r} is not a database URL ({error})") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        if backend == "postgres" or not driver:
            parsed = parsed.set(drivername="postgresql+" + (driver or "psycopg"))
    elif backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise StoreConfigError(f"SQLite driver {driver!r} is not supported; use sqlite:///")
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            if not path.is_absolute() and instance_path is not None:
                path = Path(instance_path) / path
            if not path.parent.is_dir():
                raise StoreConfigError(f"the folder of the SQLite file {path} does not exist")
            parsed = parsed.set(database=str(path))
    else:
        raise StoreConfigError(
            f"database {backend!r} is not supported; use sqlite:///path/to/file.sqlite3 "
            "or postgresql+psycopg://user:password@host/dbname"
        )
    return parsed


def _missing_driver(url: URL, error: ImportError) -> StoreConfigError:
    return StoreConfigError(
        f"the driver for {url.drivername} is not installed ({error}); "
        "for PostgreSQL: pip install 'flask-copilot[postgres]'"
    )


def check_url(url: str | URL, instance_path: str | None = None) -> None:
    """What :class:`SQLAlchemyStore` would refuse about ``url`` at open, found without
    opening it: a bad URL, an unsupported database, a driver that is not installed."""
    parsed = normalize_url(url, instance_path)
    try:
        parsed.get_dialect().import_dbapi()
    except ImportError as error:
        raise _missing_driver(parsed, error) from None


def _is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


def _make_psycopg_cooperative() -> None:
    """Under eventlet, use psycopg's ``select``-based wait (eventlet's ``select`` is
    green) instead of its C wait, which blocks the hub. gevent needs nothing: psycopg
    checks for gevent's patch itself."""
    patcher = sys.modules.get("eventlet.patcher")
    if patcher is None or not patcher.is_monkey_patched("select"):
        return
    import psycopg.waiting

    if psycopg.waiting.wait is not psycopg.waiting.wait_select:
        psycopg.waiting.wait = psycopg.waiting.wait_select
        logger.info("eventlet is patched: psycopg waits through select (cooperative)")


class SQLAlchemyStore:
    """The store on one SQLAlchemy engine; creates or upgrades the schema on open."""

    def __init__(
        self,
        url: str | URL,
        *,
        instance_path: str | None = None,
        engine_options: Mapping[str, Any] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.url = normalize_url(url, instance_path)
        self._clock = clock
        self._serial: threading.Lock | None = None
        options: dict[str, Any] = {}
        backend = self.url.get_backend_name()
        if backend == "sqlite" and _is_memory(self.url):
            # One connection, shared: every pooled connection would be its own database.
            options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
            self._serial = threading.Lock()
        elif backend == "postgresql":
            options["pool_pre_ping"] = True
        options.update(engine_options or {})
        try:
            self.engine = sa.create_engine(self.url, **options)
        except ImportError as error:
            raise _missing_driver(self.url, error) from None
        except (sa.exc.ArgumentError, TypeError) as error:
            raise StoreConfigError(f"cannot use {self.describe()}: {error}") from None
        if backend == "sqlite":
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        elif self.url.get_driver_name() == "psycopg":
            _make_psycopg_cooperative()
        # What a database call can raise besides SQLAlchemy's own errors: the driver's
        # (PEP 249 ``Error``: raised unwrapped from connection events) and encoding
        # errors, e.g. sqlite3 refusing a lone surrogate with UnicodeEncodeError.
        driver_error = getattr(self.engine.dialect.loaded_dbapi, "Error", sqlite3.Error)
        self._failures: tuple[type[BaseException], ...] = (
            sa.exc.SQLAlchemyError,
            driver_error,
            sqlite3.Error,
            UnicodeError,
        )
        self._insert = (sqlite_dialect if backend == "sqlite" else pg_dialect).insert
        self._writer = self.engine.execution_options(**{_WRITE: True})
        self._prepare_statements()
        try:
            with self._locked():
                schema.upgrade(self.engine, **{_WRITE: True})
        except sa.exc.OperationalError as error:
            self.engine.dispose()
            raise StoreError(f"cannot open {self.describe()}: {error.orig}") from error
        except BaseException:
            self.engine.dispose()
            raise

    def _prepare_statements(self) -> None:
        """Build the per-message statements once: building an ``ON CONFLICT`` statement
        costs more than running it (a write took 1.7 ms before, 0.4 ms after, on SQLite)."""
        self._touch: dict[tuple[bool, bool], sa.Update] = {}
        for anonymous in (False, True):
            owner_column = threads.c.user_identifier
            owned = (
                owner_column.is_(None)
                if anonymous
                else owner_column == sa.bindparam("b_owner", type_=schema.NAME)
            )
            for titled in (False, True):
                values: dict[str, Any] = {
                    "updated_at": sa.bindparam("b_now", type_=schema.UTCDateTime())
                }
                if titled:
                    title = sa.bindparam("b_title", type_=schema.NAME)
                    values["name"] = sa.func.coalesce(threads.c.name, title)
                self._touch[(anonymous, titled)] = (
                    sa.update(threads)
                    .where(threads.c.id == sa.bindparam("b_thread", type_=schema.ID), owned)
                    .values(**values)
                )
        insert = self._insert(messages)
        self._upsert_message = insert.on_conflict_do_update(
            index_elements=[messages.c.id],
            set_={name: insert.excluded[name] for name in _MESSAGE_UPDATES},
            # An id already used in another thread is not ours to overwrite.
            where=messages.c.thread_id == insert.excluded.thread_id,
        ).returning(messages.c.id)

    def describe(self) -> str:
        """The URL with its password hidden, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"<SQLAlchemyStore {self.describe()}>"

    # --- transactions -----------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if self._serial is None:
            yield
        else:
            with self._serial:
                yield

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._database_errors(), self._locked(), self._writer.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._database_errors(), self._locked(), self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _database_errors(self) -> Iterator[None]:
        """Callers catch one exception type: every failure of the database, its driver
        or the encoding of a value becomes a StoreError (a NotFound stays itself)."""
        try:
            yield
        except StoreError:
            raise
        except self._failures as error:
            cause = getattr(error, "orig", None) or error
            raise StoreError(f"{self.describe()}: {type(cause).__name__}: {cause}") from error

    # --- users ------------------------------------------------------------------------

    def upsert_user(
        self,
        identifier: str,
        *,
        display_name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> UserRecord:
        values = {
            "identifier": identifier,
            "display_name": display_name,
            "metadata": dict(metadata or {}),
            "created_at": self._clock(),
        }
        statement = self._insert(users).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[users.c.identifier],
            set_={"display_name": display_name, "metadata": values["metadata"]},
        ).returning(*users.c)
        with self._write() as conn:
            row = conn.execute(statement).one()
        return _user(row)

    def get_user(self, identifier: str) -> UserRecord | None:
        with self._read() as conn:
            row = conn.execute(sa.select(users).where(users.c.identifier == identifier)).first()
        return None if row is None else _user(row)

    def _ensure_user(self, conn: Connection, owner: str | None) -> None:
        if owner is not None:
            conn.execute(
                self._insert(users)
                .values(identifier=owner, metadata={}, created_at=self._clock())
                .on_conflict_do_nothing(index_elements=[users.c.identifier])
            )

    # --- threads ----------------------------------------------------------------------

    def create_thread(
        self,
        *,
        owner: str | None,
        thread_id: str | None = None,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ThreadRecord:
        thread_id = thread_id or _new_id()
        with self._write() as conn:
            self._insert_thread(conn, thread_id, owner, name=name, metadata=metadata)
            row = conn.execute(
                sa.select(threads).where(threads.c.id == thread_id, _owned_by(owner))
            ).first()
        if row is None:
            raise NotFound(f"no thread {thread_id!r} of this user")
        return _thread(row)

    def _insert_thread(
        self,
        conn: Connection,
        thread_id: str,
        owner: str | None,
        *,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._ensure_user(conn, owner)
        now = self._clock()
        conn.execute(
            self._insert(threads)
            .values(
                id=thread_id,
                user_identifier=owner,
                name=name,
                metadata=dict(metadata or {}),
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[threads.c.id])
        )

    def get_thread(self, thread_id: str, *, owner: str | None) -> ThreadRecord | None:
        if owner is None:
            return None
        with self._read() as conn:
            row = conn.execute(
                sa.select(threads).where(threads.c.id == thread_id, _owned_by(owner))
            ).first()
        return None if row is None else _thread(row)

    def list_threads(
        self, owner: str | None, *, limit: int = 20, before_cursor: str | None = None
    ) -> ThreadPage:
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
        if owner is None:
            return ThreadPage([], None)
        query = sa.select(threads).where(_owned_by(owner))
        if before_cursor is not None:
            updated_at, thread_id = _decode_cursor(before_cursor)
            query = query.where(
                sa.or_(
                    threads.c.updated_at < updated_at,
                    sa.and_(threads.c.updated_at == updated_at, threads.c.id < thread_id),
                )
            )
        query = query.order_by(threads.c.updated_at.desc(), threads.c.id.desc()).limit(limit + 1)
        with self._read() as conn:
            rows = conn.execute(query).all()
        found = [_thread(row) for row in rows[:limit]]
        more = len(rows) > limit
        return ThreadPage(found, _encode_cursor(found[-1]) if more else None)

    def rename_thread(self, thread_id: str, name: str, *, owner: str | None) -> bool:
        if owner is None:
            return False
        with self._write() as conn:
            result = conn.execute(
                sa.update(threads)
                .where(threads.c.id == thread_id, _owned_by(owner))
                .values(name=name[: schema.NAME.length or None])
            )
        return result.rowcount > 0

    def delete_thread(self, thread_id: str, *, owner: str | None) -> bool:
        if owner is None:
            return False
        with self._write() as conn:
            result = conn.execute(
                sa.delete(threads).where(threads.c.id == thread_id, _owned_by(owner))
            )
        return result.rowcount > 0

    # --- messages ---------------------------------------------------------------------

    def upsert_message(
        self, thread_id: str, message: MessageRecord, *, owner: str | None
    ) -> MessageRecord:
        title = _title(message.content) if message.type == "user_message" else None
        touch = self._touch[(owner is None, title is not None)]
        touch_params = {"b_thread": thread_id, "b_owner": owner, "b_now": self._clock()}
        if title is not None:
            touch_params["b_title"] = title
        values = {
            "id": message.id,
            "thread_id": thread_id,
            "type": message.type,
            "author": message.author,
            "content": message.content,
            "created_at": message.created_at,
            "is_error": message.is_error,
            "parent_id": message.parent_id,
            "metadata": message.metadata,
            "actions": message.actions,
            "session_id": message.session_id,
            "handled_at": message.handled_at,
            "step": message.step,
        }
        with self._write() as conn:
            if conn.execute(touch, touch_params).rowcount == 0:
                # New thread, or someone else's. The insert does nothing in the second
                # case (and waits for a concurrent creator to commit); the second touch
                # tells which. A refusal rolls everything back.
                self._insert_thread(conn, thread_id, owner)
                if conn.execute(touch, touch_params).rowcount == 0:
                    raise NotFound(f"no thread {thread_id!r} of this user")
            if conn.execute(self._upsert_message, values).first() is None:
                raise NotFound(f"message {message.id!r} belongs to another thread")
        return replace(message, thread_id=thread_id)

    def delete_message(
        self, message_id: str, *, owner: str | None, thread_id: str | None = None
    ) -> bool:
        return self._delete_in_scope(messages.c.id, message_id, owner, thread_id)

    def mark_handled(
        self, message_id: str, *, owner: str | None, thread_id: str | None = None
    ) -> bool:
        scope = self._thread_scope(owner, thread_id)
        if scope is None:
            return False
        with self._write() as conn:
            result = conn.execute(
                sa.update(messages)
                .where(
                    messages.c.id == message_id,
                    messages.c.thread_id.in_(scope),
                    messages.c.handled_at.is_(None),
                )
                .values(handled_at=self._clock())
            )
        return result.rowcount > 0

    def _delete_in_scope(
        self, key: sa.Column[Any], message_id: str, owner: str | None, thread_id: str | None
    ) -> bool:
        """Delete the row of ``key``'s table whose ``key`` is ``message_id`` within the
        owner's threads (or the anonymous session's own thread)."""
        scope = self._thread_scope(owner, thread_id)
        if scope is None:
            return False
        table = key.table
        with self._write() as conn:
            result = conn.execute(
                sa.delete(table).where(key == message_id, table.c.thread_id.in_(scope))
            )
        return result.rowcount > 0

    def thread_messages(self, thread_id: str, *, owner: str | None) -> list[MessageRecord]:
        rows = self._rows_of_thread(
            messages, thread_id, owner, (messages.c.created_at, messages.c.seq)
        )
        return [_message(row) for row in rows]

    def _rows_of_thread(
        self,
        table: sa.Table,
        thread_id: str,
        owner: str | None,
        order_by: tuple[sa.ColumnElement[Any], ...],
    ) -> Sequence[sa.Row[Any]]:
        """Rows of ``table`` in the owner's thread (none for anonymous owners)."""
        if owner is None:
            return []
        query = (
            sa.select(table)
            .join(threads, threads.c.id == table.c.thread_id)
            .where(threads.c.id == thread_id, _owned_by(owner))
            .order_by(*order_by)
        )
        with self._read() as conn:
            return conn.execute(query).all()

    def _thread_scope(
        self, owner: str | None, thread_id: str | None
    ) -> sa.Select[tuple[str]] | None:
        """The ids of the threads an operation by ``owner`` may touch; anonymous callers
        must name their thread."""
        if owner is None and thread_id is None:
            return None
        scope = sa.select(threads.c.id).where(_owned_by(owner))
        return scope if thread_id is None else scope.where(threads.c.id == thread_id)

    # --- feedback ---------------------------------------------------------------------

    def set_feedback(
        self,
        message_id: str,
        value: int,
        *,
        owner: str | None,
        comment: str | None = None,
        thread_id: str | None = None,
    ) -> FeedbackRecord:
        if value not in (0, 1) or isinstance(value, bool):
            raise ValueError(f"feedback value must be 0 or 1, got {value!r}")
        scope = self._thread_scope(owner, thread_id)
        if scope is None:
            raise NotFound(f"no message {message_id!r} of this user")
        now = self._clock()
        with self._write() as conn:
            found_thread = conn.execute(
                sa.select(messages.c.thread_id).where(
                    messages.c.id == message_id, messages.c.thread_id.in_(scope)
                )
            ).scalar()
            if found_thread is None:
                raise NotFound(f"no message {message_id!r} of this user")
            insert = self._insert(feedback).values(
                id=_new_id(),
                message_id=message_id,
                thread_id=found_thread,
                user_identifier=owner,
                value=value,
                comment=comment,
                updated_at=now,
            )
            row = conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[feedback.c.message_id],
                    set_={"value": value, "comment": comment, "updated_at": now},
                ).returning(*feedback.c)
            ).one()
        return _feedback(row)

    def get_feedback(
        self, message_id: str, *, owner: str | None, thread_id: str | None = None
    ) -> FeedbackRecord | None:
        scope = self._thread_scope(owner, thread_id)
        if scope is None:
            return None
        with self._read() as conn:
            row = conn.execute(
                sa.select(feedback).where(
                    feedback.c.message_id == message_id, feedback.c.thread_id.in_(scope)
                )
            ).first()
        return None if row is None else _feedback(row)

    def delete_feedback(
        self, message_id: str, *, owner: str | None, thread_id: str | None = None
    ) -> bool:
        return self._delete_in_scope(feedback.c.message_id, message_id, owner, thread_id)

    def thread_feedback(self, thread_id: str, *, owner: str | None) -> list[FeedbackRecord]:
        rows = self._rows_of_thread(feedback, thread_id, owner, (feedback.c.updated_at,))
        return [_feedback(row) for row in rows]

    # --- elements ---------------------------------------------------------------------

    def add_element(
        self, thread_id: str, element: ElementRecord, *, owner: str | None
    ) -> ElementRecord:
        insert = self._insert(elements).values(
            id=element.id,
            thread_id=thread_id,
            message_id=element.message_id,
            name=element.name,
            mime=element.mime,
            size=element.size,
            url=element.url,
            path=element.path,
            display=element.display,
            metadata=element.metadata,
            created_at=element.created_at,
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[elements.c.id],
            set_={name: insert.excluded[name] for name in _ELEMENT_UPDATES},
            where=elements.c.thread_id == insert.excluded.thread_id,
        ).returning(*elements.c)
        with self._write() as conn:
            owned = conn.execute(
                sa.select(threads.c.id).where(threads.c.id == thread_id, _owned_by(owner))
            ).first()
            if owned is None:
                raise NotFound(f"no thread {thread_id!r} of this user")
            if element.message_id is not None:
                in_thread = conn.execute(
                    sa.select(messages.c.id).where(
                        messages.c.id == element.message_id, messages.c.thread_id == thread_id
                    )
                ).first()
                if in_thread is None:
                    raise NotFound(f"no message {element.message_id!r} in this thread")
            row = conn.execute(upsert).first()
            if row is None:
                raise NotFound(f"element {element.id!r} belongs to another thread")
        return _element(row)

    def get_element(self, element_id: str, *, owner: str | None) -> ElementRecord | None:
        if owner is None:
            return None
        query = (
            sa.select(elements)
            .join(threads, threads.c.id == elements.c.thread_id)
            .where(elements.c.id == element_id, _owned_by(owner))
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _element(row)

    def delete_element(
        self, element_id: str, *, owner: str | None, thread_id: str | None = None
    ) -> bool:
        return self._delete_in_scope(elements.c.id, element_id, owner, thread_id)

    def thread_elements(self, thread_id: str, *, owner: str | None) -> list[ElementRecord]:
        rows = self._rows_of_thread(
            elements, thread_id, owner, (elements.c.created_at, elements.c.id)
        )
        return [_element(row) for row in rows]

    # --- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def after_fork(self) -> None:
        # Connections opened before a fork (gunicorn --preload) belong to the parent:
        # drop them from the child's pool without closing the parent's sockets.
        self.engine.dispose(close=False)


# --- SQLite connection set-up -----------------------------------------------------------


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not open transactions itself: _sqlite_on_begin does, so that
    # DDL is transactional and writes can take the write lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch a new database file to WAL (it stays so). The switch fails at once with
    "database is locked" while another connection has the file open (busy_timeout does
    not apply to it), which happens when several workers create the file together:
    retry within the busy timeout."""
    mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
    if mode in ("wal", "memory"):
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)  # cooperative once gevent/eventlet patched time


def _sqlite_on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(_WRITE, False)
    # Straight to the driver: going through SQLAlchemy's execute costs more than BEGIN.
    dbapi_connection: Any = conn.connection.dbapi_connection
    dbapi_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")


# --- rows to records --------------------------------------------------------------------


def _user(row: sa.Row[Any]) -> UserRecord:
    return UserRecord(
        identifier=row.identifier,
        display_name=row.display_name,
        metadata=dict(row.metadata or {}),
        created_at=row.created_at,
    )


def _thread(row: sa.Row[Any]) -> ThreadRecord:
    return ThreadRecord(
        id=row.id,
        owner=row.user_identifier,
        name=row.name,
        created_at=row.created_at,
        updated_at=row.updated_at,
        metadata=dict(row.metadata or {}),
    )


def _message(row: sa.Row[Any]) -> MessageRecord:
    return MessageRecord(
        id=row.id,
        thread_id=row.thread_id,
        type=row.type,
        author=row.author,
        content=row.content,
        created_at=row.created_at,
        is_error=bool(row.is_error),
        parent_id=row.parent_id,
        metadata=dict(row.metadata or {}),
        actions=list(row.actions or []),
        session_id=row.session_id,
        handled_at=row.handled_at,
        step=dict(row.step) if row.step is not None else None,
    )


def _element(row: sa.Row[Any]) -> ElementRecord:
    return ElementRecord(
        id=row.id,
        thread_id=row.thread_id,
        message_id=row.message_id,
        name=row.name,
        mime=row.mime,
        size=row.size,
        url=row.url,
        path=row.path,
        display=row.display,
        metadata=dict(row.metadata or {}),
        created_at=row.created_at,
    )


def _feedback(row: sa.Row[Any]) -> FeedbackRecord:
    return FeedbackRecord(
        id=row.id,
        message_id=row.message_id,
        thread_id=row.thread_id,
        owner=row.user_identifier,
        value=int(row.value),
        comment=row.comment,
        updated_at=row.updated_at,
    )


# --- cursors ----------------------------------------------------------------------------


def _encode_cursor(thread: ThreadRecord) -> str:
    raw = json.dumps([thread.updated_at.isoformat(), thread.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment_text, thread_id = json.loads(raw)
        moment = datetime.fromisoformat(moment_text)
    except (binascii.Error, ValueError, TypeError) as error:
        raise ValueError(f"not a thread cursor: {cursor!r}") from error
    if moment.tzinfo is None or not isinstance(thread_id, str):
        raise ValueError(f"not a thread cursor: {cursor!r}")
    return moment, thread_id
