"""Optional: stream replies from any OpenAI-compatible chat-completions endpoint.

Used by the demo when ``OPENAI_API_KEY`` is set (``OPENAI_BASE_URL`` defaults to
OpenAI's, ``OPENAI_MODEL`` to ``gpt-4o-mini``). Plain ``urllib`` and server-sent
events, no SDK: under gevent/eventlet the monkey-patched socket keeps it cooperative.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from typing import Any


def configured() -> bool:
    return bool(os.environ.get("OPENAI_API_KEY"))


def stream_chat(messages: list[dict[str, str]], timeout: float = 60) -> Iterator[str]:
    """Yield the reply's text as the endpoint produces it."""
    base = os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1").rstrip("/")
    body = {
        "model": os.environ.get("OPENAI_MODEL", "gpt-4o-mini"),
        "messages": messages,
        "stream": True,
    }
    request = urllib.request.Request(
        f"{base}/chat/completions",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}",
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        for raw in response:
            line = raw.decode("utf-8").strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            chunk: dict[str, Any] = json.loads(data)
            for choice in chunk.get("choices") or []:
                token = (choice.get("delta") or {}).get("content")
                if token:
                    yield token
