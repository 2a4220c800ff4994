"""``FileService``: the storage plus what every part of the copilot needs around it (keys,
signed URLs and grants, limits). One per app, carried by every chat session as
``session.files`` so that elements and asks need nothing but the current session."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .base import Storage
from .tokens import FileSigner, UploadLimits

logger = logging.getLogger("flask_copilot")

#: The folder of the default storage, in the app's instance folder.
DEFAULT_FOLDER = "copilot-files"


@dataclass(frozen=True)
class FileSettings:
    url_base: str  # e.g. "/assistant/copilot/files"
    url_ttl: float
    limits: UploadLimits


class FileService:
    """``secret`` gives the key everything is signed with, read on first use (Flask's
    ``SECRET_KEY`` may be set after ``init_app``); without one, a random key of this
    process (``shared``: several processes, where that breaks URLs across workers, so
    it is logged)."""

    def __init__(
        self,
        storage: Storage,
        secret: Callable[[], str | bytes | None],
        settings: FileSettings,
        *,
        shared: bool = False,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self._secret = secret
        self._shared = shared
        self._fallback: bytes | None = None
        self._signers: dict[str | bytes, FileSigner] = {}

    @property
    def signer(self) -> FileSigner:
        key = self._secret()
        if not key:
            if self._fallback is None:
                self._fallback = secrets.token_bytes(32)
                if self._shared:
                    logger.warning(
                        "flask_copilot: neither COPILOT_AUTH_SECRET nor SECRET_KEY is set, "
                        "so each worker signs file URLs and upload grants with a key of "
                        "its own and the others refuse them: set SECRET_KEY."
                    )
            key = self._fallback
        signer = self._signers.get(key)
        if signer is None:
            signer = self._signers[key] = FileSigner(key)
        return signer

    @property
    def limits(self) -> UploadLimits:
        """The limits of uploads outside a file ask (``COPILOT_MAX_UPLOAD_MB`` & co)."""
        return self.settings.limits

    @staticmethod
    def thread_prefix(thread_id: str) -> str:
        # Hashed: thread ids may come from the app (init_http_context) in any spelling.
        return "threads/" + hashlib.sha256(thread_id.encode()).hexdigest()[:32]

    def key_for(self, thread_id: str, file_id: str) -> str:
        return (
            f"{self.thread_prefix(thread_id)}/{hashlib.sha256(file_id.encode()).hexdigest()[:32]}"
        )

    def signed_url(self, key: str, name: str, mime: str, owner: str | None) -> str:
        """A URL path (on the copilot's server) that serves ``key`` until the TTL passes."""
        token = self.signer.url_token(key, name, mime, owner)
        return f"{self.settings.url_base}/{token}/{quote(_safe_name(name), safe='')}"

    def delete_thread_files(self, thread_id: str) -> None:
        self.storage.delete_prefix(self.thread_prefix(thread_id))


def _safe_name(name: str) -> str:
    """The last path part, for the URL's cosmetic file name."""
    tail = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return tail or "file"


def open_storage(
    spec: str, instance_path: str, s3_options: Mapping[str, Any] | None = None
) -> Storage:
    """The storage ``COPILOT_STORAGE`` names: ``"default"`` (a folder in the instance
    folder), a folder path (or ``file://`` URL), or ``s3://bucket/prefix``."""
    if spec.startswith("s3://"):
        from .s3 import S3Storage

        bucket, _, prefix = spec[len("s3://") :].partition("/")
        if not bucket:
            raise ValueError(f"COPILOT_STORAGE: no bucket in {spec!r}")
        return S3Storage(bucket, prefix, s3_options)
    from .local import LocalStorage

    if spec == "default":
        return LocalStorage(os.path.join(instance_path, DEFAULT_FOLDER))
    path = spec[len("file://") :] if spec.startswith("file://") else spec
    if not os.path.isabs(path):
        path = os.path.join(instance_path, path)
    return LocalStorage(path)
