"""The tables, and the ordered upgrade steps that build them.

Why a version table and not Alembic: the schema is five tables owned by this library,
and a library user must never run a migration command. Alembic is built around a
command line, an ``env.py`` and a script directory; run programmatically it would still
need its own lock for two workers starting at once, it would add two dependencies
(Alembic, Mako), and its ``alembic_version`` table would collide with the host app's
own Flask-Migrate history if both share one database. What we need is small: a
one-row table ``copilot_schema_version`` and a list of steps, each a function of a
connection, applied in order inside one transaction that also holds a lock:

- PostgreSQL: ``pg_advisory_xact_lock`` (DDL is transactional there, so a failed step
  leaves nothing behind);
- SQLite: the transaction starts with ``BEGIN IMMEDIATE`` (the database write lock; the
  other worker waits in ``busy_timeout``); SQLite DDL is transactional too.

The second worker to arrive waits, then reads the new version and has nothing to do.
Opening an up-to-date database takes one read and no lock.

Adding a version: append a step. A step must not use the *current* table objects when a
later version changes those tables: freeze the old definitions inside the step (the
``_v1_tables``/``_v2_tables`` builders below are such frozen definitions while they
still match ``TABLES``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine

from .base import SchemaVersionError, utc_now

#: An arbitrary constant naming our migration lock among PostgreSQL advisory locks.
ADVISORY_LOCK_KEY = 0x636F70696C6F74  # "copilot"

ID = sa.String(64)
NAME = sa.String(255)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend (SQLite keeps
    no zone: it stores naive UTC, whose text sorts chronologically)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def _v1_tables(metadata: sa.MetaData) -> None:
    """Version 1: chat history (users, threads, messages)."""
    sa.Table(
        "copilot_users",
        metadata,
        sa.Column("identifier", NAME, primary_key=True),
        sa.Column("display_name", NAME),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    sa.Table(
        "copilot_threads",
        metadata,
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "user_identifier",
            NAME,
            sa.ForeignKey("copilot_users.identifier", ondelete="CASCADE"),
        ),
        sa.Column("name", NAME),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Index("copilot_threads_by_user", "user_identifier", "updated_at", "id"),
    )
    sa.Table(
        "copilot_messages",
        metadata,
        # Write order: breaks ties between messages created in the same millisecond.
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("id", ID, nullable=False, unique=True),
        sa.Column(
            "thread_id",
            ID,
            sa.ForeignKey("copilot_threads.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("author", NAME, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("is_error", sa.Boolean(), nullable=False),
        sa.Column("parent_id", ID),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("actions", _json(), nullable=False),
        sa.Index("copilot_messages_in_thread", "thread_id", "created_at", "seq"),
    )


def _v2_tables(metadata: sa.MetaData) -> None:
    """Version 2: elements' metadata and feedback."""
    sa.Table(
        "copilot_elements",
        metadata,
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "thread_id",
            ID,
            sa.ForeignKey("copilot_threads.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("message_id", ID, sa.ForeignKey("copilot_messages.id", ondelete="CASCADE")),
        sa.Column("name", NAME, nullable=False),
        sa.Column("mime", NAME),
        sa.Column("size", sa.BigInteger()),
        sa.Column("url", sa.Text()),
        sa.Column("path", sa.Text()),
        sa.Column("display", sa.String(16), nullable=False),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Index("copilot_elements_in_thread", "thread_id"),
    )
    sa.Table(
        "copilot_feedback",
        metadata,
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "message_id",
            ID,
            sa.ForeignKey("copilot_messages.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "thread_id",
            ID,
            sa.ForeignKey("copilot_threads.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_identifier", NAME),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("value IN (0, 1)", name="copilot_feedback_value"),
        sa.Index("copilot_feedback_in_thread", "thread_id"),
    )


def _step_column() -> sa.Column[Any]:
    """Version 4: a step's details (kind, input, status, times), on ``type = 'step'``
    messages: tool calls and the other steps behind an answer."""
    return sa.Column("step", _json())


def _step_v1(conn: Connection) -> None:
    metadata = sa.MetaData()
    _v1_tables(metadata)
    metadata.create_all(conn)


def _step_v2(conn: Connection) -> None:
    metadata = sa.MetaData()
    _v1_tables(metadata)  # referenced by the new foreign keys; already there
    _v2_tables(metadata)
    metadata.create_all(
        conn, tables=[metadata.tables["copilot_elements"], metadata.tables["copilot_feedback"]]
    )


_V3_MESSAGE_COLUMNS = (
    # The chat session that accepted a user's message, and when its handler finished:
    # a message accepted by a session that is gone and never handled was not answered.
    ("session_id", ID),
    ("handled_at", UTCDateTime()),
)


def _step_v3(conn: Connection) -> None:
    preparer = conn.dialect.identifier_preparer
    table = preparer.quote("copilot_messages")
    for name, type_ in _V3_MESSAGE_COLUMNS:
        ddl = type_.compile(dialect=conn.dialect)
        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {preparer.quote(name)} {ddl}"))
    # What was stored before had its answer, or is past helping: not reported.
    conn.execute(sa.text(f"UPDATE {table} SET handled_at = created_at"))


def _step_v4(conn: Connection) -> None:
    column = _step_column()
    kind = column.type.compile(dialect=conn.dialect)
    conn.execute(sa.text(f"ALTER TABLE copilot_messages ADD COLUMN {column.name} {kind}"))


#: ``STEPS[n]`` upgrades a database at version ``n`` to ``n + 1``.
STEPS: list[Callable[[Connection], None]] = [_step_v1, _step_v2, _step_v3, _step_v4]
LATEST = len(STEPS)

#: The current tables, for queries.
METADATA = sa.MetaData()
_v1_tables(METADATA)
_v2_tables(METADATA)
for _name, _type in _V3_MESSAGE_COLUMNS:
    METADATA.tables["copilot_messages"].append_column(sa.Column(_name, _type))
METADATA.tables["copilot_messages"].append_column(_step_column())
TABLES = METADATA.tables
users = TABLES["copilot_users"]
threads = TABLES["copilot_threads"]
messages = TABLES["copilot_messages"]
elements = TABLES["copilot_elements"]
feedback = TABLES["copilot_feedback"]

_version_metadata = sa.MetaData()
schema_version = sa.Table(
    "copilot_schema_version",
    _version_metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("id = 1", name="copilot_schema_version_one_row"),
)


def current_version(conn: Connection) -> int:
    """The database's schema version; 0 when it has none of our tables yet."""
    if not sa.inspect(conn).has_table(schema_version.name):
        return 0
    version = conn.execute(sa.select(schema_version.c.version)).scalar()
    return int(version or 0)


def _check_not_newer(version: int) -> None:
    if version > LATEST:
        raise SchemaVersionError(
            f"the copilot database has schema version {version}, newer than this "
            f"flask_copilot understands ({LATEST}); upgrade flask_copilot"
        )


def upgrade(engine: Engine, target: int = LATEST, **write_options: Any) -> int:
    """Bring the schema to ``target`` (default: the latest), safely when several
    processes do it at once. Returns the version found before upgrading."""
    with engine.connect() as conn:
        found = current_version(conn)
    _check_not_newer(found)
    if found >= target:
        return found
    with engine.execution_options(**write_options).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
        schema_version.create(conn, checkfirst=True)
        found = current_version(conn)
        _check_not_newer(found)
        for version in range(found, target):
            STEPS[version](conn)
        if found < target:
            values = {"version": target, "updated_at": utc_now()}
            if found == 0:
                conn.execute(sa.insert(schema_version).values(id=1, **values))
            else:
                conn.execute(sa.update(schema_version).values(**values))
    return found
