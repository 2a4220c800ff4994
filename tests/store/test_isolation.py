"""Per-user isolation, enforced by the store API whatever ids a caller passes; anonymous
threads are write-only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from flask_copilot.store import ElementRecord, NotFound
from flask_copilot.store.schema import threads
from flask_copilot.store.sqlalchemy_store import SQLAlchemyStore
from tests.store.helpers import message, user_message


@dataclass
class AliceData:
    thread_id: str
    message_id: str
    element_id: str
    snapshot: tuple[object, ...]


def _snapshot(store: SQLAlchemyStore, thread_id: str, message_id: str) -> tuple[object, ...]:
    return (
        store.get_thread(thread_id, owner="alice"),
        store.thread_messages(thread_id, owner="alice"),
        store.thread_elements(thread_id, owner="alice"),
        store.get_feedback(message_id, owner="alice"),
    )


@pytest.fixture
def alice(store: SQLAlchemyStore) -> AliceData:
    thread = store.create_thread(owner="alice")
    store.upsert_message(thread.id, user_message("my secret plan"), owner="alice")
    reply = store.upsert_message(thread.id, message("noted"), owner="alice")
    store.set_feedback(reply.id, 1, owner="alice", comment="thanks")
    store.add_element(
        thread.id,
        ElementRecord(id="alice-file", name="plan.pdf", message_id=reply.id),
        owner="alice",
    )
    return AliceData(thread.id, reply.id, "alice-file", _snapshot(store, thread.id, reply.id))


INTRUDERS = ["bob", None]


def _thread_exists(store: SQLAlchemyStore, thread_id: str) -> bool:
    with store.engine.connect() as conn:
        query = sa.select(threads.c.id).where(threads.c.id == thread_id)
        return conn.execute(query).first() is not None


@pytest.mark.parametrize("intruder", INTRUDERS)
def test_cannot_read(store: SQLAlchemyStore, alice: AliceData, intruder: str | None) -> None:
    assert store.get_thread(alice.thread_id, owner=intruder) is None
    assert store.list_threads(intruder).threads == []
    assert store.thread_messages(alice.thread_id, owner=intruder) == []
    assert store.thread_elements(alice.thread_id, owner=intruder) == []
    assert store.thread_feedback(alice.thread_id, owner=intruder) == []
    assert store.get_element(alice.element_id, owner=intruder) is None
    for thread_id in (None, alice.thread_id):
        assert store.get_feedback(alice.message_id, owner=intruder, thread_id=thread_id) is None


@pytest.mark.parametrize("intruder", INTRUDERS)
def test_cannot_change_thread(
    store: SQLAlchemyStore, alice: AliceData, intruder: str | None
) -> None:
    assert not store.rename_thread(alice.thread_id, "pwned", owner=intruder)
    assert not store.delete_thread(alice.thread_id, owner=intruder)
    with pytest.raises(NotFound):
        store.create_thread(owner=intruder, thread_id=alice.thread_id)
    with pytest.raises(NotFound):
        store.upsert_message(alice.thread_id, user_message("injected"), owner=intruder)
    with pytest.raises(NotFound):
        store.add_element(alice.thread_id, ElementRecord(id="x", name="x"), owner=intruder)
    assert _snapshot(store, alice.thread_id, alice.message_id) == alice.snapshot


@pytest.mark.parametrize("intruder", INTRUDERS)
def test_cannot_touch_messages_by_id(
    store: SQLAlchemyStore, alice: AliceData, intruder: str | None
) -> None:
    own = store.create_thread(owner=intruder, thread_id=f"own-{intruder}")
    # Re-using Alice's message id from the intruder's own thread must not overwrite it,
    # nor move it, nor leave a half-written thread behind.
    hijack = message("overwritten", id=alice.message_id)
    with pytest.raises(NotFound):
        store.upsert_message(own.id, hijack, owner=intruder)
    with pytest.raises(NotFound):
        store.upsert_message("brand-new", hijack, owner=intruder)
    assert not _thread_exists(store, "brand-new")
    for thread_id in (None, alice.thread_id, own.id):
        assert not store.delete_message(alice.message_id, owner=intruder, thread_id=thread_id)
        assert not store.delete_feedback(alice.message_id, owner=intruder, thread_id=thread_id)
        with pytest.raises(NotFound):
            store.set_feedback(alice.message_id, 0, owner=intruder, thread_id=thread_id)
    with pytest.raises(NotFound):
        store.add_element(
            own.id, ElementRecord(id="x", name="x", message_id=alice.message_id), owner=intruder
        )
    with pytest.raises(NotFound):
        store.add_element(own.id, ElementRecord(id=alice.element_id, name="x"), owner=intruder)
    assert _snapshot(store, alice.thread_id, alice.message_id) == alice.snapshot


def test_lists_only_own_threads(store: SQLAlchemyStore, alice: AliceData) -> None:
    bobs = store.create_thread(owner="bob")
    assert [t.id for t in store.list_threads("bob").threads] == [bobs.id]
    assert [t.id for t in store.list_threads("alice").threads] == [alice.thread_id]
    # A cursor made from Alice's listing does not widen Bob's.
    for _ in range(2):
        store.create_thread(owner="alice")
    cursor = store.list_threads("alice", limit=1).next_cursor
    assert [t.id for t in store.list_threads("bob", before_cursor=cursor).threads] in (
        [],
        [bobs.id],
    )


def test_anonymous_threads_are_write_only(store: SQLAlchemyStore, alice: AliceData) -> None:
    anon = store.create_thread(owner=None)
    first = store.upsert_message(anon.id, user_message("hello?"), owner=None)
    reply = store.upsert_message(anon.id, message("hi"), owner=None)
    store.upsert_message(anon.id, message("hi again", id=reply.id), owner=None)
    # Nobody lists or reads them back: there is no identity to prove ownership.
    for who in (None, "alice", "bob"):
        assert all(t.id != anon.id for t in store.list_threads(who).threads)
        assert store.get_thread(anon.id, owner=who) is None
        assert store.thread_messages(anon.id, owner=who) == []
    # Identified users cannot write into them.
    with pytest.raises(NotFound):
        store.upsert_message(anon.id, message("x"), owner="alice")
    # Anonymous operations by message id must name their thread.
    with pytest.raises(NotFound):
        store.set_feedback(reply.id, 1, owner=None)
    assert store.set_feedback(reply.id, 1, owner=None, thread_id=anon.id).value == 1
    assert store.get_feedback(reply.id, owner=None, thread_id=anon.id) is not None
    assert not store.delete_message(first.id, owner=None)
    assert not store.delete_message(first.id, owner=None, thread_id=alice.thread_id)
    assert store.delete_message(first.id, owner=None, thread_id=anon.id)
    # ...and an anonymous thread never reaches Alice's messages.
    with pytest.raises(NotFound):
        store.set_feedback(alice.message_id, 0, owner=None, thread_id=anon.id)
    assert _snapshot(store, alice.thread_id, alice.message_id) == alice.snapshot
