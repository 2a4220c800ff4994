"""Files over HTTP: uploads in (``POST /copilot/uploads``) and files out
(``GET /copilot/files/<token>/<name>``).

Uploads stream from the request body into the storage through a multipart reader
(``files/multipart.py``): nothing is buffered whole, in memory or in a temporary file.
While a file streams its type is sniffed from its first bytes and its size counted;
a broken limit (size, count, type) refuses the request with a JSON error, and whatever
the request had stored is deleted again. The credential is the session's upload grant
in the ``X-Copilot-Upload`` header (never a cookie), good only while its chat session
lives, on any worker.

Files are served from signed URLs only (``files/tokens.py``); anything else, including
another user's bearer token, gets the same 404 as a file that does not exist. Markup
that could run script (SVG, HTML, XML) is served under ``Content-Security-Policy:
sandbox`` (and as an attachment, except SVG, which ``<img>`` shows); everything with
``X-Content-Type-Options: nosniff``; ranges for audio and video (Werkzeug's
conditional responses, on a seekable view of the storage).
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request, send_file
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wsgi import wrap_file

from ..auth.tokens import InvalidToken, bearer_token
from ..core.session import new_id
from ..files import (
    FileRef,
    InvalidFileToken,
    LimitedReader,
    LimitExceeded,
    StorageError,
    UploadGrant,
    UploadLimits,
    accepts,
    element_type,
    is_active,
    read_head,
    sniff_mime,
)
from ..files.base import CHUNK, Storage
from ..files.multipart import MalformedUpload, MultipartReader
from ..files.sniff import HEAD_BYTES
from ..files.tokens import seconds_left
from .state import CopilotState

logger = logging.getLogger("flask_copilot")

UPLOAD_HEADER = "X-Copilot-Upload"
#: Per-file multipart overhead (headers, boundary) allowed on top of the file limits.
PART_OVERHEAD = 16 * 1024
#: After a refusal the rest of the body is read and dropped (so the client, still
#: sending, gets the answer instead of a reset), up to this much; then the
#: connection is closed.
DRAIN_LIMIT = 64 * 1024 * 1024
_INERT = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.name = status, code, message, name


def _answer(status: int, code: str, message: str, **extra: Any) -> Response:
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def clean_name(raw: str) -> str:
    """The user's file name, made harmless: its last path part, no control characters,
    at most 200 characters."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .") or "file"
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (stem[:190] + dot + extension[:9]) if dot and len(extension) < 10 else name[:200]
    return name


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _drain(stream: Any) -> bool:
    """Read and drop the rest of the body; False when more than ``DRAIN_LIMIT`` was left."""
    drained = 0
    try:
        while drained <= DRAIN_LIMIT:
            chunk = stream.read(CHUNK)
            if not chunk:
                return True
            drained += len(chunk)
    except (ClientDisconnected, OSError):
        return True
    return False


def _set_disposition(response: Response, kind: str, name: str) -> None:
    """As ``send_file`` writes it: an ASCII ``filename``, and ``filename*`` when needed."""
    try:
        name.encode("ascii")
        response.headers.set("Content-Disposition", kind, filename=name)
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        quoted = quote(name, safe="!#$&+^`|~")
        response.headers.set(
            "Content-Disposition",
            kind,
            filename=simple or "file",
            **{"filename*": f"UTF-8''{quoted}"},
        )


class _StoredFile(io.RawIOBase):
    """A seekable, readable view of a stored file, opening a ranged read of the storage
    at the position asked for (Werkzeug's range responses seek, then read)."""

    def __init__(self, storage: Storage, key: str) -> None:
        self._storage, self._key = storage, key
        self._position = 0
        self._chunks: Any = None
        self._left = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("seek from the end")
        if offset != self._position:
            self._drop()
            self._position = offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        if self._chunks is None:
            self._chunks = self._storage.open(self._key, self._position)
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = chunk
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        self._position += size
        return size

    def _drop(self) -> None:
        if self._chunks is not None and hasattr(self._chunks, "close"):
            self._chunks.close()
        self._chunks, self._left = None, b""

    def close(self) -> None:
        self._drop()
        super().close()


def add_file_routes(blueprint: Blueprint, state: CopilotState) -> None:
    files = state.files

    def session_is_live(grant: UploadGrant) -> bool:
        local = state.registry.get(grant.session_id)
        if local is not None:
            owner = local.user.identifier if local.user else None
            return not local.ended and owner == grant.owner
        record = state.cluster.lookup(grant.session_id)
        if record is None:
            return False
        return (record.user or {}).get("identifier") == grant.owner

    def store_parts(
        reader: MultipartReader, grant: UploadGrant, limits: UploadLimits
    ) -> list[FileRef]:
        stored: list[FileRef] = []
        try:
            while (part := reader.next_part()) is not None:
                if part.filename is None:
                    continue  # a plain form field: nothing we use
                name = clean_name(part.filename)
                if len(stored) >= limits.max_files:
                    raise Refusal(
                        400,
                        "too_many_files",
                        f"At most {limits.max_files} file{'s' if limits.max_files > 1 else ''} "
                        "at a time.",
                        name,
                    )
                head = read_head(reader, HEAD_BYTES)
                mime = sniff_mime(head, name)
                if not accepts(limits.accept, mime, name):
                    raise Refusal(
                        415,
                        "unsupported_type",
                        f"{name}: this kind of file ({mime}) is not accepted here "
                        f"(accepted: {', '.join(limits.accept)}).",
                        name,
                    )
                file_id = new_id()
                key = files.key_for(grant.thread_id, file_id)
                try:
                    size = files.storage.put(key, LimitedReader(reader, limits.max_bytes, head))
                except LimitExceeded:
                    raise Refusal(
                        413,
                        "too_large",
                        f"{name} is larger than {_mib(limits.max_bytes)}.",
                        name,
                    ) from None
                stored.append(FileRef(file_id, key, name, mime, size, grant.session_id))
            if not stored:
                raise Refusal(400, "no_files", "The request carried no file.")
        except BaseException:
            for ref in stored:  # nothing stored when the request fails
                try:
                    files.storage.delete(ref.key)
                except StorageError:
                    logger.exception("could not delete %s after a refused upload", ref.key)
            raise
        return stored

    @blueprint.post("/copilot/uploads")
    def upload() -> Response:
        token = request.headers.get(UPLOAD_HEADER)
        origin = request.headers.get("Origin")
        if not token:
            state.refusals.refused("an upload", "no_upload_grant", "no grant header", origin)
            return _answer(401, "no_upload_grant", f"The {UPLOAD_HEADER} header is missing.")
        try:
            grant = files.signer.read_upload_grant(token)
        except InvalidFileToken as exc:
            state.refusals.refused("an upload", "invalid_upload_grant", str(exc), origin)
            return _answer(401, "invalid_upload_grant", "The upload grant is invalid or expired.")
        try:
            live = session_is_live(grant)
        except Exception:
            logger.exception("could not look up session %s for an upload", grant.session_id)
            return _answer(503, "unavailable", "Uploads are unavailable now; try again.")
        if not live:
            state.refusals.refused("an upload", "session_ended", "no live session", origin)
            return _answer(403, "session_ended", "This chat session has ended; reconnect.")
        limits = grant.limits or files.limits
        if limits.max_files < 1:
            return _answer(403, "uploads_off", "This assistant does not take files.")
        boundary = request.mimetype_params.get("boundary")
        if request.mimetype != "multipart/form-data" or not boundary:
            return _answer(400, "bad_request", "Send the files as multipart/form-data.")
        length = request.content_length
        if length is None:
            return _answer(411, "length_required", "The request needs a Content-Length.")
        cap = limits.max_files * (limits.max_bytes + PART_OVERHEAD) + PART_OVERHEAD
        if length > cap:
            response = _answer(
                413,
                "too_large",
                f"Too much at once: at most {limits.max_files} file(s) of "
                f"{_mib(limits.max_bytes)}.",
            )
            response.headers["Connection"] = "close"
            return response
        reader = MultipartReader(request.stream.read, boundary.encode("latin-1"))
        try:
            stored = store_parts(reader, grant, limits)
        except Refusal as refusal:
            logger.info("refused an upload of session %s: %s", grant.session_id, refusal.message)
            response = _answer(refusal.status, refusal.code, refusal.message, file=refusal.name)
            if not _drain(request.stream):
                response.headers["Connection"] = "close"
            return response
        except (MalformedUpload, ClientDisconnected) as error:
            logger.info("dropped a broken upload of session %s: %s", grant.session_id, error)
            return _answer(400, "bad_request", "The upload was cut off or malformed.")
        except StorageError:
            logger.exception("could not store an upload of session %s", grant.session_id)
            return _answer(503, "storage_unavailable", "Files cannot be stored now; try again.")
        body = [
            {
                "ref": files.signer.reference(ref),
                "id": ref.id,
                "name": ref.name,
                "mime": ref.mime,
                "size": ref.size,
                "type": element_type(ref.mime),
            }
            for ref in stored
        ]
        response = jsonify(files=body)
        response.status_code = 201
        response.headers["Cache-Control"] = "no-store"
        return response

    def not_found() -> Response:
        return _answer(404, "not_found", "No such file.")

    @blueprint.route("/copilot/files/<token>/<path:name>", methods=["GET", "HEAD"])
    def download(token: str, name: str) -> Response:
        try:
            grant = files.signer.read_url_token(token, int(files.settings.url_ttl))
        except InvalidFileToken:
            return not_found()
        # The URL works without credentials (<img>, <video>); a request that does carry
        # a token must carry the owner's.
        bearer = bearer_token(request.headers)
        if bearer:
            policy = state.auth()
            if policy.identifies_users and policy.keys:
                try:
                    if policy.verify(bearer).identifier != grant.owner:
                        return not_found()
                except InvalidToken:
                    return not_found()
        try:
            size = files.storage.size(grant.key)
        except StorageError:
            logger.exception("could not read %s", grant.key)
            return _answer(503, "storage_unavailable", "Files cannot be read now; try again.")
        if size is None:
            return not_found()
        download_name = clean_name(grant.name)  # a handler's name may hold anything
        active = is_active(grant.mime)
        attachment = request.args.get("download") == "1" or (
            active and grant.mime != "image/svg+xml"
        )
        local = files.storage.local_path(grant.key)
        if local is not None:
            response = send_file(
                local,
                mimetype=grant.mime,
                as_attachment=attachment,
                download_name=download_name,
                conditional=True,
                max_age=None,
            )
        else:
            body = io.BufferedReader(_StoredFile(files.storage, grant.key), buffer_size=CHUNK)
            response = Response(
                wrap_file(request.environ, body, CHUNK),
                mimetype=grant.mime,
                direct_passthrough=True,
            )
            response.content_length = size
            response.set_etag(f"{grant.key.rsplit('/', 1)[-1]}-{size}")
            _set_disposition(response, "attachment" if attachment else "inline", download_name)
            response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = f"private, max-age={seconds_left(grant)}"
        response.headers.pop("Expires", None)
        if active:
            response.headers["Content-Security-Policy"] = _INERT
        return response
