"""Files in a local directory (the default: ``copilot-files`` in the app's instance folder).

The directory is created on the first write, not at import or start-up. A write goes to
a temporary file beside its target and is renamed into place when complete, so a reader
never sees half a file and a failed upload leaves nothing behind. Shared by the workers
of one host; for several hosts use the S3 storage.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .base import CHUNK, Readable, StorageError, check_key


class LocalStorage:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()

    def describe(self) -> str:
        return f"folder {self.root}"

    def __repr__(self) -> str:
        return f"<LocalStorage {self.root}>"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, source: Readable) -> int:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=".part-", dir=target.parent)
        except OSError as error:
            raise StorageError(f"cannot write to {self.describe()}: {error}") from None
        size = 0
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    size += len(chunk)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return size

    def open(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self._path(key)
        handle = path.open("rb")  # FileNotFoundError before the first chunk is asked for

        def chunks() -> Iterator[bytes]:
            with handle:
                handle.seek(start)
                left = None if end is None else max(0, end - start)
                while left is None or left > 0:
                    chunk = handle.read(CHUNK if left is None else min(CHUNK, left))
                    if not chunk:
                        return
                    if left is not None:
                        left -= len(chunk)
                    yield chunk

        return chunks()

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        folder = self._path(prefix)
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)

    def local_path(self, key: str) -> str | None:
        return str(self._path(key))
