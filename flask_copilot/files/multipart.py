"""A streaming ``multipart/form-data`` reader on Werkzeug's sans-IO decoder.

Werkzeug's own form parser writes each file to a temporary file before the view sees
it. This reader hands out one part at a time instead, and each part's bytes as the
request body delivers them, so an upload goes straight from the socket to the storage
(and a limit is checked while it streams) with at most one chunk in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.datastructures import Headers
from werkzeug.sansio.multipart import (
    NEED_DATA,
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
)

from .base import CHUNK


class MalformedUpload(ValueError):
    """The body is not the multipart data its headers announced."""


@dataclass(frozen=True)
class Part:
    name: str
    #: None for a plain form field.
    filename: str | None
    headers: Headers


class MultipartReader:
    """``next_part()`` moves to the next part (skipping what is left of the current one);
    ``read(n)`` gives the current part's bytes, ``b""`` at its end."""

    def __init__(
        self, read: Callable[[int], bytes], boundary: bytes, *, max_parts: int = 64
    ) -> None:
        self._read = read
        self._decoder = MultipartDecoder(boundary, max_form_memory_size=None, max_parts=max_parts)
        self._buffer = b""
        self._in_part = False
        self._part_done = True
        self._finished = False
        self._pending: Part | None = None

    def _next_event(self) -> object:
        while True:
            try:
                event = self._decoder.next_event()
            except ValueError as error:  # werkzeug reports a broken body this way
                raise MalformedUpload(str(error)) from None
            if event is not NEED_DATA:
                return event
            data = self._read(CHUNK)
            if not data:
                if self._decoder.complete:
                    return Epilogue(b"")
                # The body ended before its closing boundary: a cut-off upload.
                self._decoder.receive_data(None)
                try:
                    event = self._decoder.next_event()
                except ValueError as error:
                    raise MalformedUpload(str(error)) from None
                if event is NEED_DATA:
                    raise MalformedUpload("the body ended in the middle of a part")
                return event
            self._decoder.receive_data(data)

    def next_part(self) -> Part | None:
        """The next part's headers, or None after the last one."""
        while not self._part_done:
            if not self.read(CHUNK):
                break
        if self._pending is not None:
            part, self._pending = self._pending, None
            return part
        while not self._finished:
            event = self._next_event()
            if isinstance(event, (Field, File)):
                self._part_done = False
                self._buffer = b""
                filename = event.filename if isinstance(event, File) else None
                return Part(event.name, filename, event.headers)
            if isinstance(event, Epilogue):
                self._finished = True
        return None

    def read(self, size: int = CHUNK, /) -> bytes:
        """Up to ``size`` bytes of the current part (``b""`` at its end)."""
        if size < 0:
            size = CHUNK
        while not self._part_done and len(self._buffer) < size:
            event = self._next_event()
            if isinstance(event, Data):
                self._buffer += event.data
                if not event.more_data:
                    self._part_done = True
            elif isinstance(event, (Field, File)):
                # A part that ends without a final Data event: keep the next one.
                self._part_done = True
                filename = event.filename if isinstance(event, File) else None
                self._pending = Part(event.name, filename, event.headers)
            elif isinstance(event, Epilogue):
                self._part_done = True
                self._finished = True
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
