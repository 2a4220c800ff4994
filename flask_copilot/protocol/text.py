"""What text we accept, decided once.

Every string that reaches us from a client is valid Unicode without NUL:

- A *lone* UTF-16 surrogate (``"😀".slice(0, 1)`` in a browser, sent through
  ``JSON.stringify`` as ``"\\ud83d"``) becomes U+FFFD, the replacement character. That is
  what the web platform itself does whenever it encodes such a string (``TextEncoder``,
  ``fetch`` bodies, form posts), so the server sees what any other request would have
  carried; the user loses half a character, never the message.
- NUL (U+0000) is refused: nobody types it and no slicing makes it, PostgreSQL cannot
  store it in text, and silently changing it would hide the page's bug.

Text the *server* makes (a handler's message) is never refused: :func:`storable` turns
both into U+FFFD on its way into the database, so the history keeps the message.
"""

from __future__ import annotations

from typing import Any

REPLACEMENT = "\ufffd"


def has_nul(text: str) -> bool:
    return "\x00" in text


def without_lone_surrogates(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (a valid pair of surrogate
    code points is joined into its character, as a browser would)."""
    if text.isascii():  # O(1) in CPython: the common case costs nothing
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def storable(text: str) -> str:
    """Server-made text as the database can keep it: lone surrogates and NUL become
    U+FFFD."""
    text = without_lone_surrogates(text)
    return text.replace("\x00", REPLACEMENT) if has_nul(text) else text


def storable_json(value: Any) -> Any:
    """A copy of ``value`` (decoded JSON) with every string, keys included, made
    :func:`storable`."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(str(k)): storable_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    return value
