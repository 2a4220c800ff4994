"""The app the files tests talk to (Python client, Chromium, one or two gunicorn workers).

Served in-process (threading) or by gunicorn (``tests.apps.files_app:create_app()``).
Environment: ``COPILOT_ASYNC_MODE``, ``COPILOT_STORAGE`` (``s3://…`` with
``FILES_S3_ENDPOINT``), ``COPILOT_MESSAGE_QUEUE``, ``COPILOT_DATABASE_URL``,
``COPILOT_AUTH_SECRET`` (tokens then required), ``FILES_INSTANCE`` (the instance folder:
local files and the SQLite file go there, always a temporary folder of the test).

What the handler does, by message text:

- any message with files: one reply line per file, ``name mime size sha256``, and the
  files shown back as the reply's elements.
- ``show all``: one element of each kind (image, file, pdf, audio, video, and a ``side``
  text), made from bytes in memory and a path.
- ``show page``: a text element with ``display="page"``.
- ``ask file``: an ``AskFileMessage`` for one PDF of at most 1 MB (10 s), then a reply
  describing what came (or ``no file``).
- ``later``: a message, then an image sent on its own for it, updated, and a file
  sent and removed.
- ``read back``: the last upload's bytes, read through ``open()`` and ``path``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

from flask import Flask, jsonify

from flask_copilot import (
    AskFileMessage,
    Audio,
    Copilot,
    File,
    Image,
    Message,
    Pdf,
    Text,
    Video,
    WebsocketSession,
    init_ws_context,
    user_session,
)
from tests import media

copilot = Copilot()


def describe(files: list[File]) -> str:
    return "\n".join(
        f"{f.name} {f.mime} {f.size} {hashlib.sha256(f.read()).hexdigest()}" for f in files
    )


@copilot.on_chat_start
def start() -> None:
    Message("Ready.").send()


@copilot.on_message
def on_message(msg: Message) -> None:
    if msg.elements:
        user_session.set("last_upload", msg.elements[-1])
        Message(describe(msg.elements), elements=msg.elements).send()
        return
    if msg.content == "show all":
        folder = tempfile.mkdtemp(prefix="files-app-")
        clip = os.path.join(folder, "clip.webm")
        with open(clip, "wb") as out:
            out.write(media.clip())
        Message(
            "Here is everything.",
            elements=[
                Image(content=media.png(40, 30), name="red.png", size="small"),
                File(content=b"a,b\n1,2\n", name="table.csv"),
                Pdf(content=media.pdf(), name="report.pdf"),
                Audio(content=media.wav(), name="tone.wav"),
                Video(path=clip),
                Text(content="# Notes\n\nSide **text**.", name="notes", display="side"),
            ],
        ).send()
    elif msg.content == "show page":
        Message(
            "A page.",
            elements=[Text(content="print('hi')", language="python", name="code", display="page")],
        ).send()
    elif msg.content == "ask file":
        files = AskFileMessage(
            "Send me a PDF.", accept=["application/pdf"], max_size_mb=1, timeout=10
        ).send()
        Message(f"got: {describe(files)}" if files else "no file").send()
    elif msg.content == "later":
        message = Message("Elements follow.").send()
        image = Image(content=media.png(8, 8), name="first.png")
        image.send(for_id=message.id)
        image.name = "renamed.png"
        image.update()
        extra = File(content=b"temporary", name="gone.txt")
        extra.send(for_id=message.id)
        extra.remove()
        Message("Done.").send()
    elif msg.content == "read back":
        last = user_session.get("last_upload")
        if last is None:
            Message("nothing uploaded").send()
            return
        with last.open() as handle:
            streamed = handle.read()
        with open(last.path, "rb") as handle:
            from_path = handle.read()
        same = streamed == from_path == last.read()
        Message(f"read back {len(streamed)} bytes, same={same}").send()
    else:
        Message(f"You said: {msg.content}").send()


def create_app() -> Flask:
    instance = os.environ.get("FILES_INSTANCE") or tempfile.mkdtemp(prefix="files-app-")
    app = Flask(__name__, instance_path=instance)
    app.config["SECRET_KEY"] = "files-app-test-secret"
    app.config["COPILOT_ASYNC_MODE"] = os.environ.get("COPILOT_ASYNC_MODE", "threading")
    app.config["COPILOT_MAX_UPLOAD_MB"] = float(os.environ.get("FILES_MAX_MB", "2"))
    app.config["COPILOT_MAX_FILES"] = 3
    app.config["COPILOT_UPLOAD_ACCEPT"] = ["image/*", "application/pdf", "text/*", "audio/*"]
    endpoint = os.environ.get("FILES_S3_ENDPOINT")
    if endpoint:
        app.config["COPILOT_S3_OPTIONS"] = {
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
    copilot.init_app(app)

    @app.get("/health")
    def health() -> object:
        return jsonify(ok=True, pid=os.getpid())

    @app.post("/test/push-image/<session_id>")
    def push_image(session_id: str) -> object:
        """An image pushed into a live chat from a plain view (any worker)."""
        init_ws_context(WebsocketSession.get_by_id(session_id))
        Message(f"pushed by {os.getpid()}", elements=[Image(content=media.png(5, 5))]).send()
        return jsonify(ok=True, pid=os.getpid())

    return app
