"""Several processes, one copilot: a session directory and pushes to a session's owner.

A chat session lives in the process that holds its socket (websocket-only clients never
move). Other processes find it through a Redis directory (``session id → owner``,
refreshed while the session lives, expiring when its process dies) and push events to
it through the owner's Redis channel; the owner numbers and sends them, so sequence
numbers and replay stay right. Without ``COPILOT_MESSAGE_QUEUE`` everything is local.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger("flask_copilot")

PushHandler = Callable[[str, str, dict[str, Any]], None]


@dataclass(frozen=True)
class SessionRecord:
    """What other processes know of a session."""

    session_id: str
    node: str
    client_type: str
    thread_id: str | None
    user: dict[str, Any] | None


class Cluster(Protocol):
    def start(self, on_push: PushHandler, spawn: Callable[[Callable[[], None]], None]) -> None: ...
    def announce(self, records: Iterable[SessionRecord]) -> None: ...
    def forget(self, session_id: str) -> None: ...
    def lookup(self, session_id: str) -> SessionRecord | None: ...
    def push(self, record: SessionRecord, event: str, payload: dict[str, Any]) -> bool: ...
    def is_alive(self, node: str) -> bool: ...
    @property
    def node(self) -> str: ...


class LocalCluster:
    """One process: nothing to share."""

    node = "local"

    def start(self, on_push: PushHandler, spawn: Callable[[Callable[[], None]], None]) -> None:
        return None

    def announce(self, records: Iterable[SessionRecord]) -> None:
        return None

    def forget(self, session_id: str) -> None:
        return None

    def lookup(self, session_id: str) -> SessionRecord | None:
        return None

    def push(self, record: SessionRecord, event: str, payload: dict[str, Any]) -> bool:
        return False

    def is_alive(self, node: str) -> bool:
        return node == self.node


class RedisCluster:
    """The directory and the push channels in Redis (the ``COPILOT_MESSAGE_QUEUE``)."""

    def __init__(self, url: str, namespace: str, ttl: float) -> None:
        import redis  # the 'redis' extra; imported only when a queue is configured

        self._redis_module = redis
        self._url = url
        self._prefix = f"copilot:{namespace}"
        self._ttl = max(1, int(ttl))
        self._pid: int | None = None
        self._node = ""
        self._client: Any = None

    def _ensure_process(self) -> None:
        # A node is a process. After a fork (gunicorn --preload) the child needs a
        # name and a connection of its own.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._node = f"{socket.gethostname()}:{self._pid}:{secrets.token_hex(3)}"
            self._client = self._redis_module.Redis.from_url(self._url)

    @property
    def node(self) -> str:
        self._ensure_process()
        return self._node

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}:session:{session_id}"

    def _channel(self, node: str) -> str:
        return f"{self._prefix}:node:{node}"

    def start(self, on_push: PushHandler, spawn: Callable[[Callable[[], None]], None]) -> None:
        self._ensure_process()
        spawn(lambda: self._listen(on_push))

    def _listen(self, on_push: PushHandler) -> None:
        channel = self._channel(self.node)
        while True:
            try:
                pubsub = self._client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(channel)
                for message in pubsub.listen():
                    data = json.loads(message["data"])
                    on_push(data["session"], data["event"], data["payload"])
            except Exception:
                logger.exception("copilot push listener failed; resubscribing in 1 s")
                import time

                time.sleep(1)  # patched under eventlet/gevent

    def announce(self, records: Iterable[SessionRecord]) -> None:
        self._ensure_process()
        pipe = self._client.pipeline(transaction=False)
        for record in records:
            value = json.dumps(
                {
                    "node": record.node,
                    "clientType": record.client_type,
                    "threadId": record.thread_id,
                    "user": record.user,
                }
            )
            pipe.set(self._key(record.session_id), value, ex=self._ttl)
        pipe.execute()

    def forget(self, session_id: str) -> None:
        self._ensure_process()
        self._client.delete(self._key(session_id))

    def lookup(self, session_id: str) -> SessionRecord | None:
        self._ensure_process()
        raw = self._client.get(self._key(session_id))
        if raw is None:
            return None
        data = json.loads(raw)
        return SessionRecord(
            session_id=session_id,
            node=data["node"],
            client_type=data["clientType"],
            thread_id=data["threadId"],
            user=data["user"],
        )

    def push(self, record: SessionRecord, event: str, payload: dict[str, Any]) -> bool:
        """Publish to the owner; False when no process listens there any more."""
        self._ensure_process()
        message = json.dumps({"session": record.session_id, "event": event, "payload": payload})
        receivers: int = self._client.publish(self._channel(record.node), message)
        return receivers > 0

    def is_alive(self, node: str) -> bool:
        """Whether the process ``node`` still runs: it listens on its channel until it
        stops, and Redis drops the subscription the moment its connection closes (a
        killed process's directory entries outlive it by up to the TTL)."""
        self._ensure_process()
        counts = self._client.pubsub_numsub(self._channel(node))
        return bool(counts and counts[0][1] > 0)


def open_cluster(message_queue: str | None, namespace: str, ttl: float) -> Cluster:
    if not message_queue:
        return LocalCluster()
    if not message_queue.startswith(("redis://", "rediss://", "unix://")):
        from ..config import ConfigError

        raise ConfigError(
            f"COPILOT_MESSAGE_QUEUE: only Redis URLs are supported, got {message_queue!r}"
        )
    return RedisCluster(message_queue, namespace, ttl)
