"""The JSON codec Socket.IO packets are decoded with: bounded in size and depth.

python-socketio and python-engineio decode every client packet with ``json.loads``.
Nested ~1,000 levels deep, that raises ``RecursionError`` inside their packet decoding
(a traceback per packet); a few hundred levels parse, then break whatever walks the
value next. :class:`BoundedJSON` refuses both with a ``ValueError`` (what their decoders
expect from bad JSON), before anything else sees the value.

Encoding is plain ``json.dumps``: what the server sends is not bounded here.
"""

from __future__ import annotations

import json
from typing import Any

#: Deeper than anything the protocol uses (metadata and function results included).
MAX_DEPTH = 64
#: engine.io's own default ``max_http_buffer_size``.
MAX_CHARS = 1_000_000
#: Longest integer literal accepted (as python-engineio's own codec: huge integers
#: cost quadratic time to parse).
MAX_INT_DIGITS = 100


class JSONTooLarge(ValueError):
    """The text is longer, or nested deeper, than the codec accepts."""


def _bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise JSONTooLarge(f"an integer of {len(text)} digits")
    return int(text)


def depth_of(value: Any, limit: int) -> int:
    """Nesting depth of decoded JSON (a scalar is 0), counted without recursion; stops
    counting once past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        stack.extend((child, depth) for child in children)
    return deepest


class BoundedJSON:
    """A drop-in for the ``json`` module (``dumps``/``loads``) whose ``loads`` refuses
    text longer than ``max_chars`` or nested deeper than ``max_depth``."""

    def __init__(self, max_chars: int = MAX_CHARS, max_depth: int = MAX_DEPTH) -> None:
        self.max_chars = max_chars
        self.max_depth = max_depth

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return json.dumps(obj, **kwargs)

    def loads(self, text: str | bytes | bytearray, **kwargs: Any) -> Any:
        if len(text) > self.max_chars:
            raise JSONTooLarge(f"{len(text)} characters of JSON; the limit is {self.max_chars}")
        kwargs.setdefault("parse_int", _bounded_int)
        try:
            value = json.loads(text, **kwargs)
        except RecursionError:
            raise JSONTooLarge(f"JSON nested deeper than {self.max_depth} levels") from None
        # Without that many brackets it cannot be that deep: skip the walk.
        if isinstance(text, str):
            brackets = text.count("[") + text.count("{")
        else:
            brackets = text.count(b"[") + text.count(b"{")
        if brackets > self.max_depth and depth_of(value, self.max_depth) > self.max_depth:
            raise JSONTooLarge(f"JSON nested deeper than {self.max_depth} levels")
        return value
