"""Files: where the bytes of uploads and media elements live (a local folder, or an
S3-compatible bucket), what they are (sniffed from their content), and the signed
grants and URLs that let only their owner upload and read them. No Flask here: the
HTTP side is ``server/uploads.py``."""

from .base import LimitedReader, LimitExceeded, Readable, Storage, StorageError, read_head
from .service import FileService, FileSettings, open_storage
from .sniff import accepts, element_type, is_active, normalise_accept, sniff_mime
from .tokens import FileRef, InvalidFileToken, UploadGrant, UploadLimits, UrlGrant

__all__ = [
    "FileRef",
    "FileService",
    "FileSettings",
    "InvalidFileToken",
    "LimitExceeded",
    "LimitedReader",
    "Readable",
    "Storage",
    "StorageError",
    "UploadGrant",
    "UploadLimits",
    "UrlGrant",
    "accepts",
    "element_type",
    "is_active",
    "normalise_accept",
    "open_storage",
    "read_head",
    "sniff_mime",
]
