"""Threads: create, read, list newest first with pagination, title, rename, delete."""

from __future__ import annotations

import pytest

from flask_copilot.store import NotFound
from flask_copilot.store.sqlalchemy_store import SQLAlchemyStore
from tests.store.helpers import message, user_message


def test_create_and_get(store: SQLAlchemyStore) -> None:
    created = store.create_thread(owner="alice", metadata={"profile": "shop"})
    found = store.get_thread(created.id, owner="alice")
    assert found == created
    assert found.owner == "alice"
    assert found.name is None
    assert found.metadata == {"profile": "shop"}
    assert found.created_at == found.updated_at
    assert found.created_at.tzinfo is not None


def test_create_with_server_id_is_idempotent(store: SQLAlchemyStore) -> None:
    first = store.create_thread(owner="alice", thread_id="t-1", name="Plans")
    again = store.create_thread(owner="alice", thread_id="t-1")
    assert again == first
    assert [t.id for t in store.list_threads("alice").threads] == ["t-1"]


def test_creating_a_thread_records_its_user(store: SQLAlchemyStore) -> None:
    store.create_thread(owner="alice")
    user = store.get_user("alice")
    assert user is not None and user.display_name is None


def test_upsert_user_refreshes_details(store: SQLAlchemyStore) -> None:
    created = store.upsert_user("alice", display_name="Alice", metadata={"plan": "pro"})
    updated = store.upsert_user("alice", display_name="Alice B.", metadata={"plan": "free"})
    assert updated.created_at == created.created_at
    assert store.get_user("alice") == updated
    assert updated.display_name == "Alice B." and updated.metadata == {"plan": "free"}
    assert store.get_user("nobody") is None


def test_list_is_newest_activity_first(store: SQLAlchemyStore) -> None:
    ids = [store.create_thread(owner="alice").id for _ in range(3)]
    assert [t.id for t in store.list_threads("alice").threads] == ids[::-1]
    store.upsert_message(ids[0], message("bump"), owner="alice")
    assert [t.id for t in store.list_threads("alice").threads] == [ids[0], ids[2], ids[1]]


def test_pagination_walks_every_thread_once(store: SQLAlchemyStore) -> None:
    ids = [store.create_thread(owner="alice").id for _ in range(7)]
    store.create_thread(owner="bob")
    seen, cursor, pages = [], None, 0
    while True:
        page = store.list_threads("alice", limit=3, before_cursor=cursor)
        pages += 1
        seen += [t.id for t in page.threads]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == ids[::-1]


def test_exact_page_has_no_next_cursor(store: SQLAlchemyStore) -> None:
    for _ in range(3):
        store.create_thread(owner="alice")
    page = store.list_threads("alice", limit=3)
    assert len(page.threads) == 3 and page.next_cursor is None


@pytest.mark.parametrize("cursor", ["garbage", "", "W10", "WyJ4IiwgMV0"])
def test_foreign_cursor_is_refused(store: SQLAlchemyStore, cursor: str) -> None:
    with pytest.raises(ValueError, match="cursor"):
        store.list_threads("alice", before_cursor=cursor)


@pytest.mark.parametrize("limit", [0, -1, 101])
def test_limit_is_bounded(store: SQLAlchemyStore, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.list_threads("alice", limit=limit)


def test_first_user_message_names_the_thread(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    store.upsert_message(thread.id, message("Welcome! Ask me anything."), owner="alice")
    store.upsert_message(thread.id, message("context", type="system_message"), owner="alice")
    assert store.get_thread(thread.id, owner="alice").name is None  # type: ignore[union-attr]
    store.upsert_message(thread.id, user_message("  Where is\n my   order? "), owner="alice")
    store.upsert_message(thread.id, user_message("And the invoice?"), owner="alice")
    assert store.get_thread(thread.id, owner="alice").name == "Where is my order?"  # type: ignore[union-attr]


def test_long_title_is_shortened(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    store.upsert_message(thread.id, user_message("word " * 100), owner="alice")
    name = store.get_thread(thread.id, owner="alice").name  # type: ignore[union-attr]
    assert name is not None and len(name) == 100 and name.endswith("…")


def test_rename_wins_over_first_message(store: SQLAlchemyStore) -> None:
    thread = store.create_thread(owner="alice")
    assert store.rename_thread(thread.id, "Trip to Lisbon", owner="alice")
    store.upsert_message(thread.id, user_message("first question"), owner="alice")
    assert store.get_thread(thread.id, owner="alice").name == "Trip to Lisbon"  # type: ignore[union-attr]


def test_delete_thread_deletes_its_content(store: SQLAlchemyStore) -> None:
    from flask_copilot.store import ElementRecord

    thread = store.create_thread(owner="alice")
    reply = store.upsert_message(thread.id, message("answer"), owner="alice")
    store.set_feedback(reply.id, 1, owner="alice")
    store.add_element(
        thread.id, ElementRecord(id="e1", name="a.png", message_id=reply.id), owner="alice"
    )
    assert store.delete_thread(thread.id, owner="alice")
    assert store.get_thread(thread.id, owner="alice") is None
    assert store.thread_messages(thread.id, owner="alice") == []
    assert store.get_element("e1", owner="alice") is None
    assert not store.delete_thread(thread.id, owner="alice")
    # The ids are free again: nothing of the old thread was left behind.
    again = store.create_thread(owner="alice", thread_id=thread.id)
    store.upsert_message(again.id, message("answer", id=reply.id), owner="alice")
    assert store.get_feedback(reply.id, owner="alice") is None


def test_upsert_message_creates_its_thread(store: SQLAlchemyStore) -> None:
    store.upsert_message("fresh-thread", user_message("hi there"), owner="alice")
    thread = store.get_thread("fresh-thread", owner="alice")
    assert thread is not None and thread.name == "hi there"


def test_cannot_create_a_taken_thread_id(store: SQLAlchemyStore) -> None:
    store.create_thread(owner="alice", thread_id="t-1")
    with pytest.raises(NotFound):
        store.create_thread(owner="bob", thread_id="t-1")
