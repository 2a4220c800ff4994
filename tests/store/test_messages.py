"""Messages: insert, update by id, order, delete, the wire round trip."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flask_copilot import Action, ErrorMessage, Message
from flask_copilot.store import MessageRecord
from flask_copilot.store.sqlalchemy_store import SQLAlchemyStore
from tests.store.helpers import at, message, user_message


def test_insert_and_read_back(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    sent = message(
        "**Hi**",
        author="Bot",
        created_at=at(1),
        is_error=True,
        parent_id="p-1",
        metadata={"clientId": "c-1", "nested": {"n": [1, 2]}},
        actions=[{"id": "a1", "name": "buy", "label": "Buy", "payload": {"sku": 3}}],
    )
    stored = store.upsert_message(thread.id, sent, owner="alice")
    assert stored == replace(sent, thread_id=thread.id)
    assert store.thread_messages(thread.id, owner="alice") == [stored]


def test_messages_come_back_in_chat_order(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    late = message("third", created_at=at(3))
    first = user_message("first", created_at=at(1))
    same_a = message("second a", created_at=at(2))
    same_b = message("second b", created_at=at(2))
    for record in (late, first, same_a, same_b):
        store.upsert_message(thread.id, record, owner="alice")
    contents = [m.content for m in store.thread_messages(thread.id, owner="alice")]
    assert contents == ["first", "second a", "second b", "third"]


def test_update_by_id_keeps_place_thread_and_time(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    streamed = message("Hel", created_at=at(1))
    store.upsert_message(thread.id, streamed, owner="alice")
    store.upsert_message(thread.id, message("after", created_at=at(2)), owner="alice")
    final = replace(
        streamed, content="Hello, world", created_at=at(9), metadata={"done": True}, author="X"
    )
    store.upsert_message(thread.id, final, owner="alice")
    found = store.thread_messages(thread.id, owner="alice")
    assert [m.content for m in found] == ["Hello, world", "after"]
    assert found[0].created_at == at(1)
    assert found[0].metadata == {"done": True} and found[0].author == "X"


def test_writes_bump_thread_activity(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    store.upsert_message(thread.id, message("x"), owner="alice")
    after = store.get_thread(thread.id, owner="alice")
    assert after is not None and after.updated_at > thread.updated_at
    assert after.created_at == thread.created_at


def test_delete_message(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    keep = store.upsert_message(thread.id, message("keep"), owner="alice")
    gone = store.upsert_message(thread.id, message("gone"), owner="alice")
    store.set_feedback(gone.id, 0, owner="alice")
    assert store.delete_message(gone.id, owner="alice")
    assert not store.delete_message(gone.id, owner="alice")
    assert store.thread_messages(thread.id, owner="alice") == [keep]
    assert store.get_feedback(gone.id, owner="alice") is None


def test_delete_message_scoped_to_a_thread(store: SQLAlchemyStore) -> None:
    one = store.create_thread(owner="alice")
    two = store.create_thread(owner="alice")
    record = store.upsert_message(one.id, message("x"), owner="alice")
    assert not store.delete_message(record.id, owner="alice", thread_id=two.id)
    assert store.delete_message(record.id, owner="alice", thread_id=one.id)


def test_wire_round_trip_of_a_real_message(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    sent = Message("Pick one", author="Shop", actions=[Action("buy", {"sku": 7}, "Buy")])
    sent.thread_id = thread.id
    wire = sent.to_wire()
    store.upsert_message(thread.id, MessageRecord.from_wire(wire), owner="alice")
    error = ErrorMessage("It broke")
    error.thread_id = thread.id
    store.upsert_message(thread.id, MessageRecord.from_wire(error.to_wire()), owner="alice")
    back = [m.to_wire() for m in store.thread_messages(thread.id, owner="alice")]
    assert back[0] == wire
    assert back[1]["isError"] is True and back[1]["content"] == "It broke"


def test_from_wire_accepts_z_times_and_missing_fields() -> None:
    record = MessageRecord.from_wire(
        {"id": "m", "content": "x", "createdAt": "2026-03-01T12:00:00.000Z"}
    )
    assert record.created_at == at(0)
    assert record.type == "assistant_message" and record.author == "" and record.actions == []


def test_naive_times_are_refused(store: SQLAlchemyStore) -> None:
    from datetime import datetime

    thread = store.create_thread(owner="alice")
    with pytest.raises(Exception, match="naive"):
        store.upsert_message(
            thread.id, message("x", created_at=datetime(2026, 1, 1)), owner="alice"
        )
