"""Persistence through the real server: what is shown is stored as it is shown,
conversations resume with their feedback, users see only their own, and it all
survives a server restart."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from flask_copilot import User, create_jwt
from flask_copilot.server.state import get_state
from flask_copilot.store import Store
from flask_copilot.testing import CopilotTestClient, LiveServer
from tests.apps.history_app import SECRET, create_app
from tests.servers import gunicorn_server


def token(identifier: str) -> str:
    return create_jwt(User(identifier), secret=SECRET)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    database = tmp_path_factory.mktemp("db") / "history.sqlite3"
    return create_app(f"sqlite:///{database}")


@pytest.fixture(scope="module")
def server(app: Flask) -> Iterator[str]:
    with LiveServer(app) as live:
        yield live.url


def store_of(app: Flask) -> Store:
    persister = get_state(app).persister
    assert persister is not None
    return persister.store


def client(server: str, user: str, **kwargs: object) -> CopilotTestClient:
    return CopilotTestClient(server, access_token=token(user), **kwargs)  # type: ignore[arg-type]


def test_messages_are_stored_as_they_are_shown(app: Flask, server: str) -> None:
    with client(server, "alice") as alice:
        thread_id = alice.session_info["threadId"]  # type: ignore[index]
        alice.chat("plan my trip")
        alice.send("selected: Lisbon", type="system_message")
        alice.chat("thanks")
    stored = [(m.type, m.content) for m in store_of(app).thread_messages(thread_id, owner="alice")]
    assert stored == [
        ("assistant_message", "How can I help?"),
        ("user_message", "plan my trip"),
        ("assistant_message", "Noted: plan my trip"),
        ("system_message", "selected: Lisbon"),
        ("assistant_message", "Noted: selected: Lisbon"),
        ("user_message", "thanks"),
        ("assistant_message", "Noted: thanks"),
    ]
    thread = store_of(app).get_thread(thread_id, owner="alice")
    assert thread is not None and thread.name == "plan my trip"


def test_a_chat_nobody_wrote_in_is_not_stored(app: Flask, server: str) -> None:
    with client(server, "fred") as fred:
        thread_id = fred.session_info["threadId"]  # type: ignore[index]
        fred.wait_for("new_message")  # the greeting
        fred.send("page context", type="system_message")
        fred.wait_for("new_message", lambda p: p["message"]["content"] == "Noted: page context")
    assert store_of(app).get_thread(thread_id, owner="fred") is None
    with client(server, "fred") as fred:
        assert fred.call("list_threads", {})["threads"] == []


def test_a_crash_never_loses_what_the_user_typed(app: Flask, server: str) -> None:
    with client(server, "alice") as alice:
        reply = alice.chat("crash")
        assert reply.errors
        thread_id = alice.session_info["threadId"]  # type: ignore[index]
    stored = store_of(app).thread_messages(thread_id, owner="alice")
    assert [m.content for m in stored if m.type == "user_message"] == ["crash"]
    assert any(m.is_error for m in stored)


def test_a_plain_view_with_http_context_persists(app: Flask, server: str) -> None:
    request = urllib.request.Request(f"{server}/test/note/view-thread-1", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read()) == {"ok": True}
    stored = store_of(app).thread_messages("view-thread-1", owner="alice")
    assert [m.content for m in stored] == ["Written from a plain view"]


def test_history_lists_resumes_and_keeps_feedback(server: str) -> None:
    with client(server, "bob") as bob:
        thread_id = bob.session_info["threadId"]  # type: ignore[index]
        reply = bob.chat("what is WAL?")
        answer_id = reply.messages[0]["id"]
        assert bob.call("feedback", {"messageId": answer_id, "value": 0})["ok"]
        changed = bob.call(
            "feedback", {"messageId": answer_id, "value": 1, "comment": "clear, thanks"}
        )
        assert changed["ok"] is True
        listed = bob.call("list_threads", {})
        assert listed["ok"] and listed["threads"][0]["id"] == thread_id
        assert listed["threads"][0]["name"] == "what is WAL?"
    with urllib.request.urlopen(f"{server}/test/feedback", timeout=5) as response:
        seen = [f for f in json.loads(response.read()) if f["message"] == answer_id]
    assert [(f["value"], f["comment"]) for f in seen] == [(0, None), (1, "clear, thanks")]

    again = client(server, "bob")
    try:
        info = again.connect(
            auth={"clientType": "copilot", "accessToken": token("bob"), "threadId": thread_id}
        )
        assert info["threadId"] == thread_id and info["resumedThread"] is True
        welcome = again.wait_for(
            "new_message", lambda p: p["message"]["content"].startswith("Welcome back")
        )
        assert welcome["message"]["content"] == "Welcome back to 'what is WAL?' (3 messages)"
        shown = {m["id"]: m for m in again.messages.values()}
        assert shown[answer_id]["feedback"] == {"value": 1, "comment": "clear, thanks"}
        assert again.chat("and after resuming?").text == "Noted: and after resuming?"
        removed = again.call("feedback", {"messageId": answer_id, "value": None})
        assert removed == {"ok": True}
    finally:
        again.disconnect()


def test_users_never_reach_each_others_conversations(server: str) -> None:
    with client(server, "carol") as carol:
        carols_thread = carol.session_info["threadId"]  # type: ignore[index]
        carols_answer = carol.chat("carol's secret").messages[0]["id"]
    with client(server, "dave") as dave:
        listed = dave.call("list_threads", {})
        assert carols_thread not in [t["id"] for t in listed["threads"]]
        stolen = dave.call("feedback", {"messageId": carols_answer, "value": 1})
        assert stolen["ok"] is False and stolen["error"]["code"] == "not_found"
        deleted = dave.call("delete_thread", {"threadId": carols_thread})
        assert deleted["ok"] is False and deleted["error"]["code"] == "not_found"
    intruder = client(server, "dave")
    try:
        info = intruder.connect(
            auth={"clientType": "copilot", "accessToken": token("dave"), "threadId": carols_thread}
        )
        assert info["threadId"] != carols_thread and info["resumedThread"] is False
        refused = intruder.wait_for("error", lambda p: p["code"] == "thread_not_found")
        assert "new one started" in refused["message"]
        assert all("secret" not in m["content"] for m in intruder.messages.values())
    finally:
        intruder.disconnect()
    with client(server, "carol") as carol:  # still there for its owner
        assert carols_thread in [t["id"] for t in carol.call("list_threads", {})["threads"]]
        assert carol.call("delete_thread", {"threadId": carols_thread}) == {"ok": True}
        assert carols_thread not in [t["id"] for t in carol.call("list_threads", {})["threads"]]


def test_anonymous_users_have_no_history() -> None:
    app = Flask(__name__)
    from flask_copilot import Copilot

    app.config["COPILOT_DATABASE_URL"] = "sqlite://"
    Copilot(app)
    with LiveServer(app) as live, CopilotTestClient(live.url) as anonymous:
        assert anonymous.settings()["features"] == {
            "history": False,
            "feedback": True,
            "uploads": True,
        }
        refused = anonymous.call("list_threads", {})
        assert refused["ok"] is False and refused["error"]["code"] == "no_history"


def test_conversations_survive_a_server_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'restart.sqlite3'}"
    target = "tests.apps.history_app:create_app()"
    with (
        gunicorn_server(target, "gevent", COPILOT_TEST_DATABASE_URL=url) as (server, _),
        client(server, "erin") as erin,
    ):
        thread_id = erin.session_info["threadId"]  # type: ignore[index]
        answer = erin.chat("remember me").messages[0]["id"]
        assert erin.call("feedback", {"messageId": answer, "value": 1})["ok"]
    with gunicorn_server(target, "gevent", COPILOT_TEST_DATABASE_URL=url) as (server, _):
        back = client(server, "erin")
        try:
            info = back.connect(
                auth={"clientType": "copilot", "accessToken": token("erin"), "threadId": thread_id}
            )
            assert info["resumedThread"] is True
            back.wait_for("new_message", lambda p: p["message"]["content"].startswith("Welcome"))
            contents = [m["content"] for m in back.messages.values()]
            assert contents[:3] == ["How can I help?", "remember me", "Noted: remember me"]
            assert back.messages[answer]["feedback"] == {"value": 1, "comment": None}
        finally:
            back.disconnect()


APP_MODULE = """
from flask import Flask
from flask_copilot import Copilot, Message

app = Flask(__name__)
copilot = Copilot(app)

@copilot.on_message
def echo(msg):
    Message("stored: " + msg.content).send()
"""


def test_importing_an_app_creates_no_database_the_first_chat_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default database (a SQLite file in the instance folder) is created on first
    use: not by importing the app, nor by ``flask copilot --help``."""
    import subprocess
    import sys

    monkeypatch.delenv("COPILOT_DATABASE_URL")  # the default, as a new user has it
    (tmp_path / "newapp.py").write_text(APP_MODULE, encoding="utf-8")
    instance = tmp_path / "instance"
    help_run = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "newapp", "copilot", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert help_run.returncode == 0 and "create-secret" in help_run.stdout, help_run.stderr
    assert not instance.exists()

    app = Flask("newapp", instance_path=str(instance))
    from flask_copilot import Copilot, Message

    copilot = Copilot(app)
    copilot.on_message(lambda msg: Message("stored: " + msg.content).send())
    assert not instance.exists()
    with LiveServer(app) as live, CopilotTestClient(live.url) as user:
        assert user.chat("hello").text == "stored: hello"
    assert (instance / "copilot.sqlite3").is_file()
    with store_of(app).engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.exec_driver_sql("select content from copilot_messages").scalars().all()
    assert "hello" in rows and "stored: hello" in rows


def test_a_bad_database_url_still_fails_at_init_app(tmp_path: Path) -> None:
    from flask_copilot import ConfigError, Copilot

    for url, reason in [
        ("mysql://db/chats", "not supported"),
        ("sqlite:///missing-folder/chats.sqlite3", "does not exist"),
        ("not a url", "not a database URL"),
    ]:
        app = Flask("bad", instance_path=str(tmp_path / "instance"))
        app.config["COPILOT_DATABASE_URL"] = url
        with pytest.raises(ConfigError, match=reason) as caught:
            Copilot(app)
        assert str(caught.value).count("COPILOT_DATABASE_URL") == 1
    assert not (tmp_path / "instance").exists()
