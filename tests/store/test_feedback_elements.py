"""Feedback (one per message, changeable) and elements' metadata."""

from __future__ import annotations

import pytest

from flask_copilot.store import ElementRecord, NotFound
from flask_copilot.store.sqlalchemy_store import SQLAlchemyStore
from tests.store.helpers import message


def test_feedback_is_given_changed_and_removed(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    reply = store.upsert_message(thread.id, message("42"), owner="alice")
    given = store.set_feedback(reply.id, 1, owner="alice", comment="spot on")
    assert (given.value, given.comment, given.owner, given.thread_id) == (
        1,
        "spot on",
        "alice",
        thread.id,
    )
    changed = store.set_feedback(reply.id, 0, owner="alice", comment="actually wrong")
    assert changed.id == given.id and changed.updated_at > given.updated_at
    assert store.get_feedback(reply.id, owner="alice") == changed
    assert store.thread_feedback(thread.id, owner="alice") == [changed]
    assert store.delete_feedback(reply.id, owner="alice")
    assert store.get_feedback(reply.id, owner="alice") is None
    assert not store.delete_feedback(reply.id, owner="alice")


@pytest.mark.parametrize("value", [2, -1, True, "1"])
def test_feedback_value_is_0_or_1(store: SQLAlchemyStore, value: object) -> None:
    thread = store.create_thread(owner="alice")
    reply = store.upsert_message(thread.id, message("42"), owner="alice")
    with pytest.raises(ValueError, match="0 or 1"):
        store.set_feedback(reply.id, value, owner="alice")  # type: ignore[arg-type]


def test_feedback_on_unknown_message(store: SQLAlchemyStore) -> None:
    with pytest.raises(NotFound):
        store.set_feedback("nope", 1, owner="alice")


def test_elements_are_recorded_and_listed(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    reply = store.upsert_message(thread.id, message("see"), owner="alice")
    image = ElementRecord(
        id="e1",
        name="chart.png",
        mime="image/png",
        size=2048,
        url="/copilot/files/e1",
        display="side",
        message_id=reply.id,
        metadata={"w": 640},
    )
    alone = ElementRecord(id="e2", name="notes.txt", path="/srv/files/e2", mime="text/plain")
    stored = store.add_element(thread.id, image, owner="alice")
    assert stored.thread_id == thread.id and stored.size == 2048 and stored.display == "side"
    store.add_element(thread.id, alone, owner="alice")
    assert store.get_element("e1", owner="alice") == stored
    assert [e.id for e in store.thread_elements(thread.id, owner="alice")] == ["e1", "e2"]
    renamed = store.add_element(thread.id, ElementRecord(id="e2", name="n2.txt"), owner="alice")
    assert renamed.name == "n2.txt"


def test_element_message_must_be_in_the_thread(store: SQLAlchemyStore) -> None:
    one = store.create_thread(owner="alice")
    two = store.create_thread(owner="alice")
    reply = store.upsert_message(one.id, message("x"), owner="alice")
    with pytest.raises(NotFound):
        store.add_element(
            two.id, ElementRecord(id="e", name="f", message_id=reply.id), owner="alice"
        )
    assert store.thread_elements(two.id, owner="alice") == []
