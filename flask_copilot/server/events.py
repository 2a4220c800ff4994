"""What every socket event handler shares: find the session, validate the payload,
refuse by name. ``client_event`` wraps each ``on_<event>`` method with it."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from flask import request
from marshmallow import ValidationError

from ..core.session import ChatSession
from ..protocol.schemas import CLIENT_EVENTS
from ..store import StoreError
from .state import CopilotState

logger = logging.getLogger("flask_copilot")

ErrorReply = dict[str, Any]
# One instance per schema: building one per event cost ~10% of a message's server CPU
# (bench/, py-spy); marshmallow schemas keep no state between loads.
_CLIENT_SCHEMAS = {name: spec.schema() for name, spec in CLIENT_EVENTS.items()}
NO_SESSION: ErrorReply = {
    "ok": False,
    "error": {"code": "no_session", "message": "This socket's session has ended."},
}


def describe_errors(messages: Any, prefix: str = "") -> str:
    """Flatten marshmallow's nested error dict into ``field: problem; …``."""
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            path = f"{prefix}.{name}" if prefix and name else (name or prefix)
            parts.append(describe_errors(value, path))
        return "; ".join(part for part in parts if part)
    text = " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
    return f"{prefix}: {text}" if prefix else text


class Refused(Exception):
    """A client event was refused; ``reply`` is its acknowledgement."""

    def __init__(self, reply: ErrorReply) -> None:
        super().__init__(reply["error"]["message"])
        self.reply = reply


EventMethod = Callable[[Any, ChatSession, dict[str, Any]], Any]


def client_event(name: str) -> Callable[[EventMethod], Callable[..., Any]]:
    """Wrap an ``on_<event>`` method: find the socket's session, validate the payload
    against the event's schema, and answer refusals; the method gets both."""

    def decorate(method: EventMethod) -> Callable[..., Any]:
        @functools.wraps(method)
        def handler(self: EventHandlers, data: Any = None, *extra: Any) -> Any:
            session = self._session()
            if session is None:
                return NO_SESSION
            try:
                if extra:
                    raise Refused(
                        self._refuse(
                            session, name, "invalid_event", f"{name}: send one payload object."
                        )
                    )
                return method(self, session, self._load(session, name, data))
            except Refused as refused:
                return refused.reply
            except StoreError:
                logger.exception("store failure while handling %s", name)
                return self._refuse(
                    session, name, "store_unavailable", "Saved conversations are unavailable now."
                )

        return handler

    return decorate


class EventHandlers:
    """Base of the namespace: the session of the current socket, validation, refusals."""

    state: CopilotState

    def _byte_limit(self, event: str) -> int | None:
        """The most bytes of JSON ``event`` may carry (beyond Engine.IO's frame limit)."""
        if event == "page_state":
            return self.state.config.max_page_state_bytes
        return None

    def _load(self, session: ChatSession, event: str, data: Any) -> dict[str, Any]:
        """``data`` validated against the event's schema; raises :class:`Refused`."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise Refused(
                self._refuse(
                    session, event, "invalid_event", f"{event}: the payload must be an object."
                )
            )
        limit = self._byte_limit(event)
        if limit is not None:
            try:
                size = len(json.dumps(data, separators=(",", ":"), allow_nan=False).encode())
            except (TypeError, ValueError, RecursionError):
                raise Refused(
                    self._refuse(
                        session, event, "invalid_event", f"{event}: the payload is not JSON."
                    )
                ) from None
            if size > limit:
                raise Refused(
                    self._refuse(
                        session,
                        event,
                        "too_large",
                        f"{event}: {size} bytes of JSON; the limit is {limit} "
                        "(COPILOT_MAX_PAGE_STATE_BYTES).",
                    )
                )
        try:
            loaded: dict[str, Any] = _CLIENT_SCHEMAS[event].load(data)
        except ValidationError as exc:
            raise Refused(
                self._refuse(
                    session,
                    event,
                    "invalid_event",
                    f"{event}: {describe_errors(exc.messages)}",
                    fields=exc.messages,
                )
            ) from None
        return loaded

    def _refuse(
        self,
        session: ChatSession,
        event: str,
        code: str,
        message: str,
        fields: Any = None,
    ) -> ErrorReply:
        logger.info("refused %s from session %s: %s", event, session.id, message)
        session.emit("error", {"code": code, "message": message, "event": event, "fields": fields})
        return {"ok": False, "error": {"code": code, "message": message}}

    def _session(self) -> ChatSession | None:
        return self.state.registry.by_sid(request.sid)  # type: ignore[attr-defined]
