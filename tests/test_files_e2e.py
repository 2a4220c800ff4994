"""Elements, uploads and file asks over a real socket and real HTTP, in every async mode:
what the handler receives, what the client is shown, what is refused (and that nothing
of it is kept), and who may read a file."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flask_copilot import User, create_jwt
from flask_copilot.testing import CopilotTestClient, LiveServer, ServerRefused, UploadRefused
from tests import media
from tests.servers import gunicorn_server, wait_until_serving

APP = "tests.apps.files_app:create_app()"
SECRET = "files-e2e-secret-of-at-least-32-bytes"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files(instance: Path) -> list[Path]:
    """Every file the local storage holds (temporary parts included)."""
    root = instance / "copilot-files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(scope="module", params=["threading", "gevent", "eventlet", "gthread"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """(url, instance folder) of files_app in one async mode."""
    instance = tmp_path_factory.mktemp(f"files-{request.param}")
    if request.param == "threading":
        os.environ["FILES_INSTANCE"] = str(instance)
        from tests.apps.files_app import create_app

        try:
            app = create_app()
        finally:
            del os.environ["FILES_INSTANCE"]
        with LiveServer(app) as server:
            yield server.url, instance
    else:
        with gunicorn_server(APP, request.param, FILES_INSTANCE=str(instance)) as (url, _):
            wait_until_serving(url)
            yield url, instance


@pytest.fixture
def client(served: tuple[str, Path]) -> Iterator[CopilotTestClient]:
    with CopilotTestClient(served[0]) as test_client:
        yield test_client
        assert test_client.protocol_violations == []


def test_the_handler_receives_the_uploads_and_shows_them_back(client: CopilotTestClient) -> None:
    png, pdf = media.png(), media.pdf()
    reply = client.chat("here", files=[("photo.png", png), ("doc.pdf", pdf)])
    assert reply.text.splitlines() == [
        f"photo.png image/png {len(png)} {sha(png)}",
        f"doc.pdf application/pdf {len(pdf)} {sha(pdf)}",
    ]
    image, document = reply.elements
    assert (image["type"], image["name"], image["bytes"]) == ("image", "photo.png", len(png))
    assert (document["type"], document["mime"]) == ("pdf", "application/pdf")
    assert client.download(image["url"]) == png
    assert client.download(document["url"]) == pdf
    # The user's own message carries them too.
    mine = [m for m in client.messages.values() if m["type"] == "user_message"][-1]
    assert [e["name"] for e in mine["elements"]] == ["photo.png", "doc.pdf"]


def test_every_element_kind_is_sent_and_served(client: CopilotTestClient) -> None:
    reply = client.chat("show all")
    kinds = [(e["type"], e["mime"], e["display"]) for e in reply.elements]
    assert kinds == [
        ("image", "image/png", "inline"),
        ("file", "text/csv", "inline"),
        ("pdf", "application/pdf", "inline"),
        ("audio", "audio/wav", "inline"),
        ("video", "video/webm", "inline"),
        ("text", "text/markdown", "side"),
    ]
    image, table, _, audio, video, notes = reply.elements
    assert image["size"] == "small"
    assert client.download(table["url"]) == b"a,b\n1,2\n"
    assert client.download(video["url"]) == media.clip()
    assert notes["content"] == "# Notes\n\nSide **text**."
    status, headers, body = client.fetch(audio["url"], headers={"Range": "bytes=0-9"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 0-9/{audio['bytes']}"
    assert body == media.wav()[:10]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"].startswith("private")


def test_elements_sent_alone_are_added_updated_and_removed(client: CopilotTestClient) -> None:
    reply = client.chat("later")
    names = {m["content"]: [e["name"] for e in m["elements"]] for m in reply.messages}
    assert names == {"Elements follow.": ["renamed.png"], "Done.": []}
    events = [e.name for e in reply.events]
    assert events.count("element") == 3 and events.count("delete_element") == 1


def test_a_file_ask_is_answered_by_an_upload(client: CopilotTestClient) -> None:
    pdf = media.pdf("asked")
    asked = client.send("ask file")
    ask = client.wait_for("ask", lambda p: p["kind"] == "file")
    assert (ask["accept"], ask["maxSizeMb"], ask["maxFiles"]) == (["application/pdf"], 1.0, 1)
    client.answer_file_ask([("answer.pdf", pdf)])
    reply = client.wait_reply(asked)
    assert [m["content"] for m in reply.messages] == [
        "Send me a PDF.",
        f"got: answer.pdf application/pdf {len(pdf)} {sha(pdf)}",
    ]


def test_the_handler_reads_an_upload_through_path_and_open(client: CopilotTestClient) -> None:
    client.chat("keep", files=[("a.txt", b"some text\n" * 100)])
    assert client.chat("read back").text == "read back 1000 bytes, same=True"


# --- refusals: a clear error, nothing kept -------------------------------------------------


def test_a_too_large_file_is_refused_while_streaming(
    client: CopilotTestClient, served: tuple[str, Path]
) -> None:
    before = stored_files(served[1])
    big = media.png() + b"\0" * (2 * 1024 * 1024)  # over the app's 2 MB
    with pytest.raises(UploadRefused) as refused:
        client.upload([("big.png", big)])
    assert refused.value.status == 413
    assert refused.value.code == "too_large"
    assert refused.value.body["message"] == "big.png is larger than 2 MB."
    assert stored_files(served[1]) == before


def test_a_wrong_type_is_refused_by_its_content_not_its_name(
    client: CopilotTestClient, served: tuple[str, Path]
) -> None:
    before = stored_files(served[1])
    executable = b"MZ\x90\x00" + b"\0" * 200  # a Windows program, named like a picture
    with pytest.raises(UploadRefused) as refused:
        client.upload([("cat.png", executable)])
    assert (refused.value.status, refused.value.code) == (415, "unsupported_type")
    assert "cat.png" in refused.value.body["message"]
    assert stored_files(served[1]) == before


def test_too_many_files_are_refused_and_none_kept(
    client: CopilotTestClient, served: tuple[str, Path]
) -> None:
    before = stored_files(served[1])
    with pytest.raises(UploadRefused) as refused:
        client.upload([(f"{i}.png", media.png()) for i in range(4)])  # the app allows 3
    assert (refused.value.status, refused.value.code) == (400, "too_many_files")
    assert stored_files(served[1]) == before


def test_a_file_ask_refuses_what_it_did_not_ask_for(client: CopilotTestClient) -> None:
    asked = client.send("ask file")
    ask = client.wait_for("ask", lambda p: p["kind"] == "file")
    with pytest.raises(UploadRefused) as refused:
        client.upload([("photo.png", media.png())], token=ask["uploadToken"])
    assert refused.value.code == "unsupported_type"
    # An upload made under the session's general grant does not answer it either.
    general = client.upload([("photo.png", media.png())])
    with pytest.raises(ServerRefused) as not_accepted:
        client.send("", files=general)
    assert not_accepted.value.code == "unsupported_type"
    client.answer_file_ask([("ok.pdf", media.pdf())])
    assert client.wait_reply(asked).messages[-1]["content"].startswith("got: ok.pdf application/")


def test_uploads_need_the_session_grant(client: CopilotTestClient) -> None:
    with pytest.raises(UploadRefused) as missing:
        client.upload([("a.png", media.png())], token="not-a-grant")
    assert (missing.value.status, missing.value.code) == (401, "invalid_upload_grant")
    status, _, _ = client.fetch(
        "/copilot/uploads", method="POST", data=b"x", headers={"Content-Type": "text/plain"}
    )
    assert status == 401


def test_a_message_cannot_attach_another_sessions_upload(served: tuple[str, Path]) -> None:
    with CopilotTestClient(served[0]) as alice, CopilotTestClient(served[0]) as mallory:
        uploaded = alice.upload([("a.png", media.png())])
        with pytest.raises(ServerRefused) as refused:
            mallory.send("mine now", files=uploaded)
        assert refused.value.code == "invalid_file"


def test_markup_is_served_inert(client: CopilotTestClient) -> None:
    svg = media.svg_with_script("/beacon")
    reply = client.chat("look", files=[("drawing.svg", svg)])
    (element,) = reply.elements
    assert (element["type"], element["mime"]) == ("image", "image/svg+xml")
    status, headers, body = client.fetch(element["url"])
    assert (status, body) == (200, svg)
    assert "sandbox" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    html = client.chat("page", files=[("page.txt", b"<html><script>alert(1)</script></html>")])
    status, headers, _ = client.fetch(html.elements[0]["url"])
    assert html.elements[0]["mime"] == "text/html"
    assert headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in headers["Content-Security-Policy"]


def test_a_forged_or_altered_url_is_not_found(client: CopilotTestClient) -> None:
    reply = client.chat("here", files=[("photo.png", media.png())])
    url = reply.elements[0]["url"]
    prefix, token, name = url.rsplit("/", 2)
    forged = f"{prefix}/{token[:-3]}abc/{name}"
    assert client.fetch(forged)[0] == 404
    assert client.fetch(f"{prefix}/nothing/{name}")[0] == 404


# --- per user: who may read a file ----------------------------------------------------------


@pytest.fixture(scope="module")
def signed_in_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(url, instance) of files_app with tokens required (threading, in process)."""
    instance = tmp_path_factory.mktemp("files-auth")
    os.environ["FILES_INSTANCE"] = str(instance)
    os.environ["COPILOT_AUTH_SECRET"] = SECRET
    from tests.apps.files_app import create_app

    try:
        app = create_app()
    finally:
        del os.environ["FILES_INSTANCE"], os.environ["COPILOT_AUTH_SECRET"]
    with LiveServer(app) as server:
        yield server.url, instance


@pytest.fixture
def signed_in(signed_in_served: tuple[str, Path]) -> str:
    return signed_in_served[0]


def token_of(name: str) -> str:
    return create_jwt(User(name), 600, secret=SECRET)


def test_another_user_cannot_fetch_a_file_by_url_or_id(signed_in: str) -> None:
    with (
        CopilotTestClient(signed_in, access_token=token_of("alice")) as alice,
        CopilotTestClient(signed_in, access_token=token_of("bob")) as bob,
    ):
        reply = alice.chat("mine", files=[("secret.png", media.png())])
        element = reply.elements[0]
        # Alice's URL with Bob's credentials: as if it did not exist.
        bearer = {"Authorization": f"Bearer {token_of('bob')}"}
        assert bob.fetch(element["url"], headers=bearer)[0] == 404
        assert alice.fetch(element["url"], headers={"Authorization": "Bearer x"})[0] == 404
        owner = {"Authorization": f"Bearer {token_of('alice')}"}
        assert alice.fetch(element["url"], headers=owner)[0] == 200
        # By id: Bob cannot have a URL made for it.
        assert bob.call("file_url", {"elementId": element["id"]})["error"]["code"] == "not_found"
        renewed = alice.call("file_url", {"elementId": element["id"]})
        assert renewed["ok"] and alice.download(renewed["url"]) == media.png()


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never became true"
        time.sleep(0.02)


def test_deleting_a_conversation_deletes_its_files(signed_in_served: tuple[str, Path]) -> None:
    url, instance = signed_in_served
    with CopilotTestClient(url, access_token=token_of("carol")) as carol:
        before = stored_files(instance)
        carol.chat("keep", files=[("a.png", media.png()), ("b.pdf", media.pdf())])
        mine = [p for p in stored_files(instance) if p not in before]
        assert len(mine) == 2
        thread_id = (carol.session_info or {})["threadId"]
        carol.end_session()
    with CopilotTestClient(url, access_token=token_of("carol")) as again:
        assert again.call("delete_thread", {"threadId": thread_id}) == {"ok": True}
        wait_until(lambda: not any(p.exists() for p in mine))


def test_files_of_a_chat_nobody_can_reopen_go_with_its_session(
    served: tuple[str, Path],
) -> None:
    url, instance = served
    with CopilotTestClient(url) as anonymous:
        before = stored_files(instance)
        anonymous.chat("keep", files=[("a.png", media.png())])
        mine = [p for p in stored_files(instance) if p not in before]
        assert len(mine) == 1
        anonymous.end_session()
    wait_until(lambda: not mine[0].exists())
