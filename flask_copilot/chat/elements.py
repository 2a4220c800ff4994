"""Elements: files and media shown with a message, and the files the user uploads.

``Text``, ``Image``, ``File``, ``Pdf``, ``Audio``, ``Video`` are made from a ``path=``, a
``content=`` (bytes or str) or a ``url=``. They are parts of a message: given to
``Message(elements=[…])`` they are stored and sent with it; ``element.send(for_id=…)``
shows (or ``update()`` replaces) one under a message already shown, ``remove()`` takes
it away. Bytes from ``path``/``content`` go to the copilot's storage (a local folder or
an S3 bucket, ``COPILOT_STORAGE``) and reach the browser through short-lived signed
URLs bound to the user; a ``url=`` element is shown from that URL as it is.

The user's uploads arrive on ``msg.elements`` (and from ``AskFileMessage``) as
:class:`File` elements: ``name``, ``mime`` (sniffed from the content), ``size`` (bytes),
``path`` / ``read()`` / ``open()`` whatever the storage, and ``type`` (``image``, ``pdf``…:
how the widget shows it).
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

from ..core.session import BaseSession, StoredFile, new_id
from ..errors import CopilotError
from ..files import FileRef, FileService, LimitedReader, element_type, read_head, sniff_mime
from ..files.sniff import HEAD_BYTES, guess_from_name
from .context import checkpoint, require_session

DISPLAYS = ("inline", "side", "page")
IMAGE_SIZES = ("small", "medium", "large")
#: Text elements up to this size travel inside the event itself; larger ones are
#: fetched from their URL by the widget.
INLINE_TEXT_BYTES = 64 * 1024


class _ChunkReader(io.RawIOBase):
    """A binary file over an iterator of chunks (a storage read)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = chunk
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


class Element:
    """Base of every element. ``display``: ``inline`` (in the message), ``side`` (a
    button in the message opens it in a side view of the panel) or ``page`` (it opens
    over the whole panel)."""

    #: How the widget shows it (the wire's ``type``).
    type: str = "file"
    _default_mime: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        name: str | None = None,
        path: str | os.PathLike[str] | None = None,
        content: bytes | str | None = None,
        url: str | None = None,
        mime: str | None = None,
        display: str = "inline",
        id: str | None = None,
        for_id: str | None = None,
    ) -> None:
        given = [source for source in (path, content, url) if source is not None]
        if len(given) != 1:
            raise ValueError(f"{type(self).__name__} needs one of path=, content= or url=")
        self._setup(name, path, content, url, mime, display, id, for_id)

    def _setup(
        self,
        name: str | None,
        path: str | os.PathLike[str] | None,
        content: bytes | str | None,
        url: str | None,
        mime: str | None,
        display: str,
        id: str | None,
        for_id: str | None,
    ) -> None:
        if display not in DISPLAYS:
            raise ValueError(f"display must be one of {DISPLAYS}, got {display!r}")
        self.id = id or new_id()
        self.for_id = for_id
        self.display = display
        self.mime = mime
        #: An external URL the element is shown from (``url=``).
        self.url = url
        self._source_path = os.fspath(path) if path is not None else None
        self._content = content.encode() if isinstance(content, str) else content
        if name is None:
            if self._source_path is not None:
                name = os.path.basename(self._source_path)
            elif url is not None:
                name = os.path.basename(urlsplit(url).path)
        self.name = name or self.type
        #: Where the bytes are in the copilot's storage, once stored.
        self.key: str | None = None
        #: The size in bytes, once known.
        self.byte_size: int | None = len(self._content) if self._content is not None else None
        self._files: FileService | None = None
        self._signed_url: str | None = None
        self._temp_path: str | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} id={self.id}>"

    # --- the bytes --------------------------------------------------------------------

    @property
    def path(self) -> str | None:
        """A local file holding the element's bytes: the ``path`` it was made from, the
        stored file in a local storage, or (S3) a temporary copy made on first use and
        deleted with this object. ``None`` for ``url=`` and not yet stored content."""
        if self._source_path is not None:
            return self._source_path
        if self.key is None or self._files is None:
            return None
        local = self._files.storage.local_path(self.key)
        if local is not None:
            return local
        if self._temp_path is None:
            fd, temp = tempfile.mkstemp(prefix="copilot-", suffix="-" + os.path.basename(self.name))
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in self._files.storage.open(self.key):
                        out.write(chunk)
            except BaseException:
                os.unlink(temp)
                raise
            self._temp_path = temp
            weakref.finalize(self, _unlink_quietly, temp)
        return self._temp_path

    def open(self) -> IO[bytes]:
        """The bytes as a binary file (streamed from the storage; close it when done)."""
        if self._content is not None:
            return io.BytesIO(self._content)
        if self._source_path is not None:
            return open(self._source_path, "rb")
        if self.key is not None and self._files is not None:
            local = self._files.storage.local_path(self.key)
            if local is not None:
                return open(local, "rb")
            return io.BufferedReader(_ChunkReader(self._files.storage.open(self.key)))
        raise CopilotError(f"{self!r} is shown from {self.url!r}: it has no bytes here")

    def read(self) -> bytes:
        """All the bytes (mind large files: ``open()`` streams)."""
        with self.open() as handle:
            return handle.read()

    # --- showing it -------------------------------------------------------------------

    def under(self, message_id: str) -> Element:
        """This element for message ``message_id``: itself, or, when it already belongs to
        another message (an upload shown back), a copy with an id of its own sharing the
        stored bytes, so each message keeps its own element."""
        if self.for_id is None or self.for_id == message_id:
            self.for_id = message_id
            return self
        twin = copy.copy(self)
        twin.id = new_id()
        twin.for_id = message_id
        return twin

    def send(self, for_id: str | None = None) -> Element:
        """Show the element under message ``for_id`` (or replace it, by id)."""
        checkpoint()
        session = require_session()
        target = for_id or self.for_id
        if not target:
            raise ValueError("element.send(for_id=message.id): an element belongs to a message")
        element = self.under(target)
        element.prepare(session)
        session.emit("element", {"element": element.to_wire()})
        publish(session, target, [element])
        return element

    def update(self) -> Element:
        """Show the element's current state (replaces it, by id)."""
        return self.send()

    def remove(self) -> None:
        """Take the element away (its bytes stay with the conversation)."""
        checkpoint()
        session = require_session()
        session.emit("delete_element", {"id": self.id, "forId": self.for_id})

    def prepare(self, session: BaseSession) -> None:
        """Store the bytes in the session's thread (once) and sign a URL for its user."""
        files = session.files
        if files is None:
            raise CopilotError("elements need the copilot's storage: is the extension set up?")
        if session.thread_id is None:
            raise CopilotError("elements need a conversation (a thread) to belong to")
        owner = session.user.identifier if session.user else None
        self.prepare_with(files, session.thread_id, owner)

    def prepare_with(self, files: FileService, thread_id: str, owner: str | None) -> None:
        if self.url is not None:
            if self.mime is None:
                self.mime = guess_from_name(self.url) or self._default_mime
            return
        # Stored once per conversation; a copy shown under another message keeps the key.
        if self.key is None or not self.key.startswith(files.thread_prefix(thread_id) + "/"):
            self._store(files, files.key_for(thread_id, self.id))
        self._files = files
        assert self.key is not None and self.mime is not None
        self._signed_url = files.signed_url(self.key, self.name, self.mime, owner)

    def _store(self, files: FileService, key: str) -> None:
        with self._source() as source:
            head = read_head(source, HEAD_BYTES)
            if self.mime is None:
                self.mime = self._default_mime or sniff_mime(head, self.name)
            self.byte_size = files.storage.put(key, LimitedReader(source, 2**62, head=head))
        self.key = key

    def _source(self) -> IO[bytes]:
        if self._content is None and self._source_path is None and self._files is None:
            raise CopilotError(f"{self!r} has no bytes to store")
        return self.open()

    # --- the wire ---------------------------------------------------------------------

    def to_wire(self) -> dict[str, Any]:
        """The protocol's ``ElementBody``."""
        wire: dict[str, Any] = {
            "id": self.id,
            "forId": self.for_id,
            "type": self.type,
            "name": self.name,
            "mime": self.mime,
            "display": self.display,
            "url": self._signed_url or self.url,
            "bytes": self.byte_size,
        }
        wire.update(self._wire_extra())
        return wire

    def _wire_extra(self) -> dict[str, Any]:
        return {}

    def stored_form(self) -> dict[str, Any]:
        """What the store keeps of it (the ``ElementRecord`` fields; bytes by key)."""
        return {
            "id": self.id,
            "name": self.name,
            "mime": self.mime,
            "size": self.byte_size,
            "url": self.url,
            "path": self.key,
            "display": self.display,
            "message_id": self.for_id,
            "metadata": {"type": self.type, **self._wire_extra()},
        }


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


class File(Element):
    """A file to download (a chip with its name and size). The user's uploads are
    ``File`` elements too; their ``type`` says how the widget shows them."""

    type = "file"

    @property
    def size(self) -> int | None:
        """The size in bytes."""
        return self.byte_size

    @classmethod
    def from_upload(cls, files: FileService, ref: FileRef) -> File:
        """The element for an upload the storage holds (its reference checked)."""
        element = cls.__new__(cls)  # no path, content or url: the bytes are stored
        element._setup(ref.name, None, None, None, ref.mime, "inline", ref.id, None)
        element.type = element_type(ref.mime)
        element.key = ref.key
        element.byte_size = ref.size
        element._files = files
        return element


class Image(Element):
    """An image: lazy-loaded, click to enlarge; ``size`` is how large it is shown
    (``small``, ``medium``, ``large``)."""

    type = "image"

    def __init__(self, *, size: str = "medium", **kwargs: Any) -> None:
        if size not in IMAGE_SIZES:
            raise ValueError(f"size must be one of {IMAGE_SIZES}, got {size!r}")
        super().__init__(**kwargs)
        self.size = size

    def _wire_extra(self) -> dict[str, Any]:
        return {"size": self.size}


class Pdf(File):
    """A PDF in the browser's own viewer; ``page`` opens it at that page."""

    type = "pdf"
    _default_mime = "application/pdf"

    def __init__(self, *, page: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.page = page

    def _wire_extra(self) -> dict[str, Any]:
        return {"page": self.page}


class _Player(File):
    def __init__(self, *, auto_play: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.auto_play = auto_play

    def _wire_extra(self) -> dict[str, Any]:
        return {"autoPlay": self.auto_play}


class Audio(_Player):
    """An audio player (the browser's own)."""

    type = "audio"


class Video(_Player):
    """A video player (the browser's own)."""

    type = "video"


class Text(File):
    """Text shown as Markdown, or as code when ``language`` is given."""

    type = "text"

    def __init__(self, *, language: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.language = language
        if self.mime is None:
            self.mime = "text/plain" if language else "text/markdown"

    def _wire_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"language": self.language}
        if self._content is not None and len(self._content) <= INLINE_TEXT_BYTES:
            extra["content"] = self._content.decode("utf-8", errors="replace")
        return extra

    def stored_form(self) -> dict[str, Any]:
        form = super().stored_form()
        form["metadata"].pop("content", None)  # the bytes are in the storage
        return form


_BY_TYPE: dict[str, type[Element]] = {
    cls.type: cls for cls in (Text, Image, File, Pdf, Audio, Video)
}


def restore(
    files: FileService,
    owner: str | None,
    *,
    id: str,
    name: str,
    mime: str | None,
    size: int | None,
    url: str | None,
    path: str | None,
    display: str,
    message_id: str | None,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """The wire form of a stored element, with a fresh signed URL (resumed threads)."""
    kind = str(metadata.get("type") or "file")
    wire: dict[str, Any] = {
        "id": id,
        "forId": message_id,
        "type": kind if kind in _BY_TYPE else "file",
        "name": name,
        "mime": mime,
        "display": display if display in DISPLAYS else "inline",
        "url": url,
        "bytes": size,
    }
    for field in ("size", "page", "autoPlay", "language"):
        if field in metadata:
            wire[field] = metadata[field]
    if path is not None:
        wire["url"] = files.signed_url(path, name, mime or "application/octet-stream", owner)
    return wire


def publish(session: BaseSession, message_id: str, elements: Iterable[Element]) -> None:
    """After an event that showed ``elements`` of ``message_id``: have them persisted,
    and remember their files so the widget can renew their URLs."""
    elements = list(elements)
    stored = [element for element in elements if element.key is not None]
    forms = []
    for element in elements:
        element.for_id = message_id
        forms.append(element.stored_form())
    if forms:
        session.record("elements", {"messageId": message_id, "elements": forms})
    if stored:
        session.remember_files(
            [
                StoredFile(e.id, e.key, e.name, e.mime or "application/octet-stream")
                for e in stored
                if e.key is not None
            ]
        )
