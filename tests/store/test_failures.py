"""Whatever goes wrong below the store comes out as a StoreError, and the markers that
tell which user messages were answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from flask_copilot.store import NotFound, StoreError, open_store
from flask_copilot.store import schema as store_schema
from flask_copilot.store.sqlalchemy_store import SQLAlchemyStore
from tests.store.helpers import at, message, user_message

#: Text a database cannot (always) keep: a lone surrogate (sqlite3 and psycopg refuse
#: to encode it), NUL (PostgreSQL text refuses it).
HOSTILE = ["half\ud83d", "nul\x00byte", "\udfff"]

Operation = Callable[[SQLAlchemyStore, str], Any]


def _prepared(store: SQLAlchemyStore) -> str:
    thread = store.create_thread(owner="alice", thread_id="t-1")
    store.upsert_message(thread.id, user_message("fine", id="m-1"), owner="alice")
    return thread.id


OPERATIONS: dict[str, Operation] = {
    "message content": lambda s, text: s.upsert_message("t-1", user_message(text), owner="alice"),
    "message id": lambda s, text: s.upsert_message("t-1", message("x", id=text), owner="alice"),
    "message metadata": lambda s, text: s.upsert_message(
        "t-1", message("x", metadata={text: text}), owner="alice"
    ),
    "author": lambda s, text: s.upsert_message("t-1", message("x", author=text), owner="alice"),
    "thread id": lambda s, text: s.upsert_message(text, message("x"), owner="alice"),
    "get_thread": lambda s, text: s.get_thread(text, owner="alice"),
    "delete_thread": lambda s, text: s.delete_thread(text, owner="alice"),
    "feedback": lambda s, text: s.set_feedback(text, 1, owner="alice"),
    "feedback comment": lambda s, text: s.set_feedback("m-1", 1, owner="alice", comment=text),
    "delete_message": lambda s, text: s.delete_message(text, owner="alice"),
    "mark_handled": lambda s, text: s.mark_handled(text, owner="alice"),
    "owner": lambda s, text: s.list_threads(text),
    "user": lambda s, text: s.upsert_user(text, display_name=text),
}


@pytest.mark.parametrize("text", HOSTILE, ids=["lone-surrogate", "nul", "low-surrogate"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_hostile_text_is_stored_or_refused_with_a_store_error(
    store: SQLAlchemyStore, operation: str, text: str
) -> None:
    _prepared(store)
    try:
        OPERATIONS[operation](store, text)
    except NotFound:
        pass  # an id that matches nothing: the normal answer
    except StoreError as error:
        assert type(error) is StoreError  # not a driver or encoding error leaking out
    # Either way the store goes on working.
    assert [m.id for m in store.thread_messages("t-1", owner="alice")][:1] == ["m-1"]


def test_a_database_failure_is_a_store_error_naming_the_cause(store: SQLAlchemyStore) -> None:
    _prepared(store)
    with pytest.raises(StoreError, match=r"UnicodeEncodeError|encod|surrogate"):
        store.upsert_message("t-1", user_message("half\ud83d"), owner="alice")


def test_user_messages_remember_who_accepted_them_until_handled(store: SQLAlchemyStore) -> None:
    thread_id = _prepared(store)
    accepted = user_message("answer me", id="m-2", session_id="s-1")
    store.upsert_message(thread_id, accepted, owner="alice")
    found = {m.id: m for m in store.thread_messages(thread_id, owner="alice")}
    assert found["m-2"].session_id == "s-1" and found["m-2"].handled_at is None

    # Updating the message by id never changes who accepted it, nor its marker.
    store.upsert_message(
        thread_id, replace(accepted, content="edited", session_id="s-9"), owner="alice"
    )
    assert store.mark_handled("m-2", owner="bob") is False  # not bob's
    assert store.mark_handled("m-2", owner="alice") is True
    assert store.mark_handled("m-2", owner="alice") is False  # once
    again = {m.id: m for m in store.thread_messages(thread_id, owner="alice")}["m-2"]
    assert again.session_id == "s-1" and again.handled_at is not None
    assert again.content == "edited"


def test_anonymous_messages_are_marked_only_within_their_thread(store: SQLAlchemyStore) -> None:
    store.upsert_message("anon-1", user_message("hi", id="a-1"), owner=None)
    assert store.mark_handled("a-1", owner=None) is False  # must name the thread
    assert store.mark_handled("a-1", owner=None, thread_id="anon-2") is False
    assert store.mark_handled("a-1", owner=None, thread_id="anon-1") is True


def test_upgrading_marks_what_was_stored_before_as_handled(store_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(store_url)
    try:
        store_schema.upgrade(engine, target=2)
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
                    name="Old",
                    metadata={},
                    created_at=at(0),
                    updated_at=at(0),
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO copilot_messages (id, thread_id, type, author, content, "
                    "created_at, is_error, metadata, actions) VALUES ('old-q', 'old', "
                    "'user_message', 'alice', 'from v2', :at, false, '{}', '[]')"
                ),
                {"at": at(1) if engine.dialect.name == "postgresql" else "2026-03-01 12:00:01"},
            )
    finally:
        engine.dispose()
    store = open_store(store_url, str(tmp_path))
    assert store is not None
    try:
        [old] = store.thread_messages("old", owner="alice")
        assert old.content == "from v2" and old.handled_at == old.created_at
    finally:
        store.close()
