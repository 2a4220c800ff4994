"""The storage interface: where the bytes of files and media elements live.

One small protocol, implemented by a local directory (``local.py``, the default) and an
S3-compatible bucket (``s3.py``, shared by several hosts). Everything streams: ``put``
reads its source in chunks and ``open`` yields chunks, so a 100 MB upload never sits
whole in memory. Keys are made by this package (``threads/<thread>/<file>``), never
taken from a client.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol

#: What ``put`` reads at a time, and what ``open`` yields at most.
CHUNK = 64 * 1024

_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


class StorageError(Exception):
    """The storage failed (unreachable bucket, full disk…); the message says why."""


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Storage(Protocol):
    """Bytes by key. Implementations are safe to use from many threads or greenlets."""

    def put(self, key: str, source: Readable) -> int:
        """Store everything ``source.read`` gives under ``key`` (replacing it), reading
        it in chunks; return the number of bytes. Atomic: the key shows the old bytes
        (or none) until the new ones are complete, and when reading ``source`` raises,
        nothing is kept and the exception propagates."""
        ...

    def open(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``[start, end)`` of ``key`` in chunks; raises ``FileNotFoundError``."""
        ...

    def size(self, key: str) -> int | None:
        """The size of ``key`` in bytes, or ``None`` when there is no such key."""
        ...

    def delete(self, key: str) -> None:
        """Delete ``key`` (nothing happens when it does not exist)."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Delete every key under ``prefix/`` (a thread's files)."""
        ...

    def local_path(self, key: str) -> str | None:
        """A filesystem path holding ``key``'s bytes, when the storage is a local
        directory (served with ``send_file``); ``None`` otherwise."""
        ...

    def describe(self) -> str:
        """Where the files go, for messages and logs."""
        ...


def check_key(key: str) -> str:
    """Refuse anything that is not one of our keys (no ``..``, no absolute paths)."""
    if not isinstance(key, str) or len(key) > 512 or not _KEY.match(key) or ".." in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key


def read_head(source: Readable, size: int) -> bytes:
    """The first ``size`` bytes of ``source`` (fewer if it is shorter)."""
    head = b""
    while len(head) < size:
        chunk = source.read(size - len(head))
        if not chunk:
            break
        head += chunk
    return head


class LimitExceeded(Exception):
    """A :class:`LimitedReader` source gave more than its limit."""


class LimitedReader:
    """Reads ``head`` then ``source``; raises :class:`LimitExceeded` as soon as more than
    ``limit`` bytes came through (checked while streaming, before the excess is stored)."""

    def __init__(self, source: Readable, limit: int, head: bytes = b"") -> None:
        self._source = source
        self._head = head
        self._limit = limit
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        if self._head:
            data = self._head if size < 0 else self._head[:size]
            self._head = self._head[len(data) :]
        else:
            data = self._source.read(size if size >= 0 else CHUNK)
        self.count += len(data)
        if self.count > self._limit:
            raise LimitExceeded(self.count)
        return data
