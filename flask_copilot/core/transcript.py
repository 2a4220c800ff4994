"""The conversation as the user sees it, kept by each session for whoever answers it
(the assistant builds a model's context from it).

Fed by the session's own events: every message and step shown (``new_message``,
``stream_start``, ``update_message``) and removed (``delete_message``), including a
resumed thread's stored messages, which the server replays into the session when it
opens the thread. Bounded in count and in characters: the oldest go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

MAX_MESSAGES = 200
MAX_CHARS = 400_000

_SHOWN = ("new_message", "update_message", "stream_start")


class Transcript:
    def __init__(self, max_messages: int = MAX_MESSAGES, max_chars: int = MAX_CHARS) -> None:
        self._messages: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._chars = 0
        self._max_messages = max_messages
        self._max_chars = max_chars
        self._lock = threading.Lock()

    @staticmethod
    def _size(message: dict[str, Any]) -> int:
        step = message.get("step") or {}
        return len(message.get("content") or "") + len(step.get("input") or "")

    def observe(self, event: str, payload: dict[str, Any]) -> None:
        if event in _SHOWN:
            message = payload.get("message")
            if isinstance(message, dict) and isinstance(message.get("id"), str):
                self._upsert(message)
        elif event == "delete_message":
            with self._lock:
                gone = self._messages.pop(payload.get("id", ""), None)
                if gone is not None:
                    self._chars -= self._size(gone)

    def _upsert(self, message: dict[str, Any]) -> None:
        with self._lock:
            old = self._messages.get(message["id"])
            if old is not None:
                self._chars -= self._size(old)
            self._messages[message["id"]] = message  # keeps its place when replaced
            self._chars += self._size(message)
            while self._messages and (
                len(self._messages) > self._max_messages or self._chars > self._max_chars
            ):
                _, dropped = self._messages.popitem(last=False)
                self._chars -= self._size(dropped)

    def messages(self) -> list[dict[str, Any]]:
        """The messages and steps, oldest first (wire form, as ``Message.to_wire()``)."""
        with self._lock:
            return list(self._messages.values())
