"""Signed credentials for files: what lets a session upload, what proves an upload is
one's own, and the short-lived URLs that serve a file to its owner.

All three are ``itsdangerous`` signatures (HMAC-SHA1 over a key derived per purpose from
one secret), so any worker holding the secret checks them without shared state:

- **upload grant**, given to a chat session (``session.uploadToken``, and one per file
  ask): which session, thread and user may upload, and the ask's limits if any. Sent
  as the ``X-Copilot-Upload`` header, never as a cookie.
- **file reference**, returned for each stored upload: its key, name, type and size,
  bound to the session. The widget sends it back in ``client_message.files``.
- **URL token**, inside ``/copilot/files/<token>/<name>``: which stored file, served as
  what, to whom, until when. It works in ``<img>``/``<audio>``/``<video>``, which send
  no credentials; it expires after ``COPILOT_FILE_URL_TTL`` seconds.

Signed is not encrypted: a token's content (a storage key, a MIME type, a user id) is
readable by whoever holds it, which is only ever its owner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer


class InvalidFileToken(Exception):
    """Forged, expired, or made for something else."""


@dataclass(frozen=True)
class UploadLimits:
    accept: tuple[str, ...]
    max_bytes: int
    max_files: int


@dataclass(frozen=True)
class UploadGrant:
    session_id: str
    thread_id: str
    owner: str | None
    #: The file ask this grant answers (its limits replace the global ones).
    ask_id: str | None = None
    limits: UploadLimits | None = None


@dataclass(frozen=True)
class FileRef:
    """An upload, as its reference token says."""

    id: str
    key: str
    name: str
    mime: str
    size: int
    session_id: str


@dataclass(frozen=True)
class UrlGrant:
    key: str
    name: str
    mime: str
    owner: str | None
    expires_at: float


#: How long an upload grant and a file reference stay valid (the session must also
#: still be live for an upload).
GRANT_MAX_AGE = 24 * 3600


class FileSigner:
    def __init__(self, secret: str | bytes) -> None:
        self._uploads = URLSafeTimedSerializer(secret, salt="flask-copilot.upload-grant")
        self._refs = URLSafeTimedSerializer(secret, salt="flask-copilot.file-ref")
        self._urls = URLSafeTimedSerializer(secret, salt="flask-copilot.file-url")

    # --- upload grants --------------------------------------------------------------

    def grant_upload(self, grant: UploadGrant) -> str:
        data: dict[str, Any] = {"s": grant.session_id, "t": grant.thread_id, "u": grant.owner}
        if grant.ask_id is not None and grant.limits is not None:
            limits = grant.limits
            data.update(
                a=grant.ask_id, acc=list(limits.accept), max=limits.max_bytes, n=limits.max_files
            )
        return str(self._uploads.dumps(data))

    def read_upload_grant(self, token: str) -> UploadGrant:
        data = self._load(self._uploads, token, GRANT_MAX_AGE)
        try:
            limits = None
            if "a" in data:
                limits = UploadLimits(tuple(data["acc"]), int(data["max"]), int(data["n"]))
            return UploadGrant(data["s"], data["t"], data["u"], data.get("a"), limits)
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidFileToken(f"malformed: {error}") from None

    # --- file references ------------------------------------------------------------

    def reference(self, ref: FileRef) -> str:
        data = {
            "i": ref.id,
            "k": ref.key,
            "n": ref.name,
            "m": ref.mime,
            "b": ref.size,
            "s": ref.session_id,
        }
        return str(self._refs.dumps(data))

    def read_reference(self, token: str) -> FileRef:
        data = self._load(self._refs, token, GRANT_MAX_AGE)
        try:
            return FileRef(data["i"], data["k"], data["n"], data["m"], int(data["b"]), data["s"])
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidFileToken(f"malformed: {error}") from None

    # --- URLs -----------------------------------------------------------------------

    def url_token(self, key: str, name: str, mime: str, owner: str | None) -> str:
        return str(self._urls.dumps({"k": key, "n": name, "m": mime, "u": owner}))

    def read_url_token(self, token: str, max_age: int) -> UrlGrant:
        try:
            data, signed_at = self._urls.loads(token, max_age=max_age, return_timestamp=True)
        except (BadSignature, ValueError, TypeError) as error:
            raise InvalidFileToken(str(error)) from None
        try:
            return UrlGrant(
                data["k"], data["n"], data["m"], data["u"], signed_at.timestamp() + max_age
            )
        except (KeyError, TypeError) as error:
            raise InvalidFileToken(f"malformed: {error}") from None

    @staticmethod
    def _load(serializer: URLSafeTimedSerializer, token: str, max_age: int) -> dict[str, Any]:
        try:
            data = serializer.loads(token, max_age=max_age)
        except (BadSignature, ValueError, TypeError) as error:
            raise InvalidFileToken(str(error)) from None
        if not isinstance(data, dict):
            raise InvalidFileToken("malformed")
        return data


def seconds_left(grant: UrlGrant) -> int:
    return max(0, int(grant.expires_at - time.time()))
