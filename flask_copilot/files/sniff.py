"""What a file is, from its first bytes (not from its name), and whether it is accepted.

Binary formats are recognised by their magic numbers (the ``filetype`` library). Text is
told apart from binary by its bytes; the name then refines plain text (``.csv``,
``.md``…). Markup that a browser would run (SVG, HTML, XML) is recognised whatever the
name says, so that it is always served as inert (see ``is_active``). A name that claims
a binary type the content does not have counts for nothing: ``photo.png`` holding text
is ``text/plain``.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable

import filetype

#: How much of the start of a file the sniffer looks at.
HEAD_BYTES = 8192

#: What the browser shows as an element (the wire's ``type``), by MIME type.
ELEMENT_TYPES = ("text", "image", "file", "pdf", "audio", "video")

_MARKUP = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    rb"(?:<!doctype\s+(?P<doctype>\w+)|<(?P<tag>[a-zA-Z][\w:-]*))",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TAGS = {b"html", b"head", b"body", b"script", b"iframe", b"div", b"p", b"a", b"img"}
_ACTIVE = {"image/svg+xml", "text/html", "application/xhtml+xml", "text/xml", "application/xml"}
# Older spellings the sniffer reports, as browsers expect them.
_CANONICAL = {
    "audio/x-wav": "audio/wav",
    "audio/x-flac": "audio/flac",
    "audio/x-aiff": "audio/aiff",
}
# Text types a name may claim (the content being text): anything else textual is text/plain.
_TEXT_BY_NAME = {
    "text/csv",
    "text/markdown",
    "text/x-markdown",
    "application/json",
    "text/tab-separated-values",
}


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the head is still text.
        return error.start >= len(head) - 3
    return True


def _markup(head: bytes) -> str | None:
    match = _MARKUP.match(head[:HEAD_BYTES])
    if match is None:
        return None
    name = (match.group("doctype") or match.group("tag") or b"").lower()
    if name == b"svg" or b"<svg" in head[:HEAD_BYTES].lower():
        return "image/svg+xml"
    if name in _HTML_TAGS:
        return "text/html"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
        return "application/xml"
    return None


def sniff_mime(head: bytes, name: str | None = None) -> str:
    """The MIME type of a file starting with ``head`` (its first ``HEAD_BYTES`` or all)."""
    found: str | None = filetype.guess_mime(head) if head else None
    if found:
        return _CANONICAL.get(found, found)
    if head and _is_text(head):
        markup = _markup(head)
        if markup:
            return markup
        claimed = mimetypes.guess_type(name or "")[0]
        if claimed in _TEXT_BY_NAME:
            return "text/markdown" if claimed == "text/x-markdown" else claimed
        return "text/plain"
    return "application/octet-stream"


def guess_from_name(name: str | None) -> str | None:
    """A MIME type from a name or URL alone (for external URLs, never for uploads)."""
    return mimetypes.guess_type(name or "")[0]


def is_active(mime: str | None) -> bool:
    """Markup a browser would run scripts in when opened: served inert (CSP sandbox)."""
    base = (mime or "").split(";")[0].strip().lower()
    return base in _ACTIVE or base.endswith("+xml")


def element_type(mime: str | None) -> str:
    """How the widget shows a file of this type: image, pdf, audio, video or file."""
    base = (mime or "").split(";")[0].strip().lower()
    if base == "application/pdf":
        return "pdf"
    top = base.partition("/")[0]
    if top in ("image", "audio", "video"):
        return top
    return "file"


def normalise_accept(accept: Iterable[str] | dict[str, Iterable[str]] | None) -> tuple[str, ...]:
    """``["image/*", ".csv"]``, or the seeds' ``{"text/plain": [".txt"]}``, as a tuple of
    MIME patterns and extensions; ``None`` or empty means anything."""
    if not accept:
        return ("*/*",)
    items: list[str] = []
    if isinstance(accept, dict):
        for mime, extensions in accept.items():
            items.append(mime)
            items.extend(extensions or ())
    elif isinstance(accept, str):
        items = [part for part in accept.split(",")]
    else:
        items = list(accept)
    cleaned = tuple(item.strip().lower() for item in items if item and item.strip())
    for item in cleaned:
        if not (item.startswith(".") or "/" in item):
            raise ValueError(f"accept: {item!r} is neither a MIME type (image/*) nor an extension")
    return cleaned or ("*/*",)


def accepts(accept: Iterable[str], mime: str, name: str | None = None) -> bool:
    """Whether a file of (sniffed) ``mime`` named ``name`` matches ``accept``.

    A MIME pattern matches the sniffed type; an extension matches the name only when the
    content agrees with what the extension stands for (or is plain text for a text
    extension), so renaming ``evil.exe`` to ``evil.pdf`` gets it nowhere."""
    base = mime.split(";")[0].strip().lower()
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if name and "." in name else None
    for pattern in accept:
        if pattern in ("*", "*/*"):
            return True
        if pattern.startswith("."):
            if pattern != extension:
                continue
            meant = mimetypes.guess_type("x" + pattern)[0]
            if (
                meant is None
                or meant == base
                or (base.startswith("text/") and meant.startswith("text/"))
            ):
                return True
            continue
        top, _, sub = pattern.partition("/")
        if sub == "*" and base.partition("/")[0] == top:
            return True
        if pattern == base:
            return True
    return False
