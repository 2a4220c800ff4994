"""What a file is (sniffed from its bytes), what is accepted, the signed grants, and the
streaming multipart reader: the sans-IO parts of files, without a server."""

from __future__ import annotations

import io
import os

import pytest

from flask_copilot.files import (
    FileRef,
    InvalidFileToken,
    UploadGrant,
    UploadLimits,
    accepts,
    element_type,
    is_active,
    normalise_accept,
    sniff_mime,
)
from flask_copilot.files.multipart import MalformedUpload, MultipartReader
from flask_copilot.files.tokens import FileSigner
from tests import media


@pytest.mark.parametrize(
    ("data", "name", "mime"),
    [
        (media.png(), "x.bin", "image/png"),
        (media.pdf(), "notes.txt", "application/pdf"),
        (media.wav(), "a", "audio/wav"),
        (media.clip(), "clip", "video/webm"),
        (b"a,b\n1,2\n", "t.csv", "text/csv"),
        (b"just words", "photo.png", "text/plain"),  # the name claims a binary type
        (media.svg_with_script("/x"), "cat.png", "image/svg+xml"),
        (b"\xef\xbb\xbf<!DOCTYPE html><p>hi", "a.txt", "text/html"),
        (b'<?xml version="1.0"?><note/>', "a.txt", "application/xml"),
        (b"MZ\x90\x00" + b"\0" * 60, "setup.pdf", "application/x-msdownload"),
        (b"\x00\x01binary\xff", "data.pdf", "application/octet-stream"),
        (b"", "empty.txt", "application/octet-stream"),
    ],
)
def test_the_type_comes_from_the_content(data: bytes, name: str, mime: str) -> None:
    assert sniff_mime(data[:8192], name) == mime


def test_accept_patterns_and_extensions() -> None:
    images = normalise_accept(["image/*"])
    assert accepts(images, "image/png", "a.png")
    assert not accepts(images, "application/pdf", "a.png")
    csv = normalise_accept({"text/csv": [".csv"]})
    assert accepts(csv, "text/plain", "data.csv")  # text content under a text extension
    assert not accepts(normalise_accept([".pdf"]), "application/octet-stream", "evil.pdf")
    assert accepts(normalise_accept(None), "application/octet-stream", "x")
    with pytest.raises(ValueError):
        normalise_accept(["images"])


def test_kinds_and_active_types() -> None:
    assert [
        element_type(m) for m in ("image/svg+xml", "application/pdf", "audio/wav", "text/csv")
    ] == [
        "image",
        "pdf",
        "audio",
        "file",
    ]
    assert (
        is_active("image/svg+xml") and is_active("text/html") and is_active("application/atom+xml")
    )
    assert not is_active("image/png") and not is_active("text/plain")


def test_grants_references_and_url_tokens_are_signed() -> None:
    signer = FileSigner("secret-one")
    limits = UploadLimits(("application/pdf",), 1024, 1)
    grant = UploadGrant("session", "thread", "ann", "ask-1", limits)
    assert signer.read_upload_grant(signer.grant_upload(grant)) == grant
    ref = FileRef("id", "threads/a/b", "a.pdf", "application/pdf", 10, "session")
    assert signer.read_reference(signer.reference(ref)) == ref
    url = signer.url_token("threads/a/b", "a.pdf", "application/pdf", "ann")
    assert signer.read_url_token(url, 60).owner == "ann"
    other = FileSigner("secret-two")
    for check in (
        lambda: other.read_upload_grant(signer.grant_upload(grant)),
        lambda: other.read_url_token(url, 60),
        # a token of one kind is no token of another
        lambda: signer.read_reference(signer.grant_upload(grant)),
        lambda: signer.read_url_token(signer.reference(ref), 60),
        lambda: signer.read_url_token(url[:-2] + "xx", 60),
    ):
        with pytest.raises(InvalidFileToken):
            check()


def test_url_tokens_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    import itsdangerous.timed

    signer = FileSigner("secret")
    url = signer.url_token("threads/a/b", "a.pdf", "application/pdf", None)
    now = itsdangerous.timed.time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 61)
    with pytest.raises(InvalidFileToken):
        signer.read_url_token(url, 60)


def body(*parts: tuple[str, str | None, bytes], boundary: str = "b0undary") -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += (
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
        )
    return out + f"--{boundary}--\r\n".encode()


def test_the_multipart_reader_streams_part_by_part() -> None:
    big = os.urandom(500_000)
    stream = io.BytesIO(
        body(("note", None, b"hi"), ("file", "a.bin", big), ("file", "b.txt", b"b"))
    )
    reader = MultipartReader(stream.read, b"b0undary")
    seen = []
    largest = 0
    while (part := reader.next_part()) is not None:
        data = b""
        while chunk := reader.read(10_000):
            largest = max(largest, len(chunk))
            data += chunk
        seen.append((part.name, part.filename, data))
    assert seen == [("note", None, b"hi"), ("file", "a.bin", big), ("file", "b.txt", b"b")]
    assert largest <= 10_000


def test_the_multipart_reader_skips_unread_parts_and_refuses_a_cut_body() -> None:
    data = body(("file", "a.bin", b"a" * 100_000), ("file", "b.bin", b"b"))
    reader = MultipartReader(io.BytesIO(data).read, b"b0undary")
    assert [p.filename for p in iter(reader.next_part, None)] == ["a.bin", "b.bin"]
    cut = MultipartReader(io.BytesIO(data[:50_000]).read, b"b0undary")
    with pytest.raises(MalformedUpload):
        while cut.next_part() is not None:
            while cut.read():
                pass
