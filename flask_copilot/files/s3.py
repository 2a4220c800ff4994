"""Files in an S3-compatible bucket (``COPILOT_STORAGE = "s3://bucket/prefix"``), through
boto3 (the ``flask-copilot[s3]`` extra). Every host and worker sees the same files.

Writes stream: a file smaller than one part is one ``PutObject``; a larger one is a
multipart upload of ``PART_SIZE`` parts, read one part at a time (so memory stays at one
part whatever the file's size) and aborted when the source fails, so nothing is kept.
Reads ask S3 for the byte range wanted (HTTP range requests of audio and video).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping
from typing import Any

from .base import CHUNK, Readable, StorageError, check_key

#: S3's smallest part is 5 MiB (except the last); 8 MiB is boto3's own default.
PART_SIZE = 8 * 1024 * 1024


def _read_part(source: Readable) -> bytes:
    buffer = io.BytesIO()
    while buffer.tell() < PART_SIZE:
        chunk = source.read(min(CHUNK, PART_SIZE - buffer.tell()))
        if not chunk:
            break
        buffer.write(chunk)
    return buffer.getvalue()


class S3Storage:
    def __init__(
        self, bucket: str, prefix: str = "", client_options: Mapping[str, Any] | None = None
    ) -> None:
        try:
            import boto3
            import botocore.exceptions
        except ImportError:  # pragma: no cover - depends on the environment
            raise StorageError("S3 storage needs boto3: pip install 'flask-copilot[s3]'") from None
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client: Any = boto3.client("s3", **dict(client_options or {}))
        self._errors = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
        self._client_error = botocore.exceptions.ClientError

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def __repr__(self) -> str:
        return f"<S3Storage {self.describe()}>"

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _fail(self, what: str, error: Exception) -> StorageError:
        return StorageError(f"{what} {self.describe()}: {error}")

    def put(self, key: str, source: Readable) -> int:
        name = self._key(key)
        first = _read_part(source)
        if len(first) < PART_SIZE:
            try:
                self._client.put_object(Bucket=self.bucket, Key=name, Body=first)
            except self._errors as error:
                raise self._fail("cannot write to", error) from None
            return len(first)
        try:
            upload_id = self._client.create_multipart_upload(Bucket=self.bucket, Key=name)[
                "UploadId"
            ]
        except self._errors as error:
            raise self._fail("cannot write to", error) from None
        parts: list[dict[str, Any]] = []
        size = 0
        try:
            part = first
            while part:
                number = len(parts) + 1
                answer = self._client.upload_part(
                    Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=part
                )
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                size += len(part)
                part = _read_part(source)
            self._client.complete_multipart_upload(
                Bucket=self.bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException as error:
            # If this fails too, the bucket's lifecycle rules clean up what is left.
            with contextlib.suppress(*self._errors):
                self._client.abort_multipart_upload(
                    Bucket=self.bucket, Key=name, UploadId=upload_id
                )
            if isinstance(error, self._errors):
                raise self._fail("cannot write to", error) from None
            raise
        return size

    def open(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        options: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if start or end is not None:
            if end is not None and end <= start:
                return iter(())
            options["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            body = self._client.get_object(**options)["Body"]
        except self._client_error as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from None
            raise self._fail("cannot read from", error) from None
        except self._errors as error:
            raise self._fail("cannot read from", error) from None

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        return chunks()

    def size(self, key: str) -> int | None:
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except self._client_error as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._fail("cannot read from", error) from None
        except self._errors as error:
            raise self._fail("cannot read from", error) from None
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except self._errors as error:
            raise self._fail("cannot delete from", error) from None

    def delete_prefix(self, prefix: str) -> None:
        folder = self._key(prefix) + "/"
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=folder
            )
            for page in pages:
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:  # at most 1,000 a page: DeleteObjects' own limit
                    self._client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                    )
        except self._errors as error:
            raise self._fail("cannot delete from", error) from None

    def local_path(self, key: str) -> str | None:
        return None
