"""The storage behind one interface: a local folder and an S3-compatible bucket (moto's
standalone server, a real HTTP server started here), the same behaviour from both."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flask_copilot.files import LimitedReader, LimitExceeded, Storage
from flask_copilot.files.local import LocalStorage
from flask_copilot.files.s3 import PART_SIZE, S3Storage
from tests.servers import S3_OPTIONS, make_bucket, s3_server

KEY = "threads/abc/file-1"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"test-{tmp_path.name.lower().replace('_', '-')}"[:60]
    make_bucket(endpoint, bucket)
    return S3Storage(bucket, "copilot", {"endpoint_url": endpoint, **S3_OPTIONS})


def read(storage: Storage, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join(storage.open(key, start, end))


class Failing:
    """A source that gives ``good`` bytes, then fails like a cut-off upload."""

    def __init__(self, good: int) -> None:
        self._left = good

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            raise ConnectionResetError("the client went away")
        size = min(size if size > 0 else 65536, self._left)
        self._left -= size
        return b"x" * size


def test_put_open_size_delete(storage: Storage) -> None:
    data = os.urandom(200_000)
    assert storage.size(KEY) is None
    assert storage.put(KEY, io.BytesIO(data)) == len(data)
    assert storage.size(KEY) == len(data)
    assert read(storage, KEY) == data
    assert read(storage, KEY, 1000, 1010) == data[1000:1010]
    assert read(storage, KEY, 199_990) == data[199_990:]
    storage.delete(KEY)
    assert storage.size(KEY) is None
    with pytest.raises(FileNotFoundError):
        read(storage, KEY)
    storage.delete(KEY)  # deleting nothing is fine


def test_a_large_file_streams_in_parts(storage: Storage) -> None:
    data = os.urandom(PART_SIZE * 2 + 12345)  # three parts on S3
    assert storage.put(KEY, io.BytesIO(data)) == len(data)
    assert storage.size(KEY) == len(data)
    assert read(storage, KEY, PART_SIZE - 5, PART_SIZE + 5) == data[PART_SIZE - 5 : PART_SIZE + 5]
    assert read(storage, KEY) == data


@pytest.mark.parametrize("good", [1000, PART_SIZE + 1000])
def test_a_failed_write_keeps_nothing(storage: Storage, good: int) -> None:
    storage.put(KEY, io.BytesIO(b"old"))
    with pytest.raises(ConnectionResetError):
        storage.put(KEY, Failing(good))
    assert read(storage, KEY) == b"old"  # the old bytes, untouched
    with pytest.raises(ConnectionResetError):
        storage.put("threads/abc/new", Failing(good))
    assert storage.size("threads/abc/new") is None
    if isinstance(storage, S3Storage):
        uploads: Any = storage._client.list_multipart_uploads(Bucket=storage.bucket)
        assert uploads.get("Uploads", []) == []  # aborted, not left behind
    else:
        assert sorted(p.name for p in (storage.root / "threads" / "abc").iterdir()) == ["file-1"]


def test_a_limit_is_checked_while_streaming(storage: Storage) -> None:
    reader = LimitedReader(io.BytesIO(b"y" * 300_000), limit=100_000)
    with pytest.raises(LimitExceeded):
        storage.put(KEY, reader)
    assert reader.count <= 100_000 + 65536  # stopped at the chunk that crossed the line
    assert storage.size(KEY) is None


def test_a_prefix_is_deleted_with_everything_under_it(storage: Storage) -> None:
    for i in range(3):
        storage.put(f"threads/one/{i}", io.BytesIO(b"1"))
    storage.put("threads/two/0", io.BytesIO(b"2"))
    storage.delete_prefix("threads/one")
    assert [storage.size(f"threads/one/{i}") for i in range(3)] == [None, None, None]
    assert storage.size("threads/two/0") == 1


def test_keys_are_checked(storage: Storage) -> None:
    for bad in ("../etc/passwd", "/abs", "a/../b", "", "a//b"):
        with pytest.raises(ValueError):
            storage.put(bad, io.BytesIO(b"x"))


def test_the_local_folder_is_made_on_first_write_only(tmp_path: Path) -> None:
    root = tmp_path / "later"
    storage = LocalStorage(root)
    assert storage.size(KEY) is None
    assert not root.exists()
    storage.put(KEY, io.BytesIO(b"x"))
    assert (root / KEY).read_bytes() == b"x"
