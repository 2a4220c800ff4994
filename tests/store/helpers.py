from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_copilot.store import MessageRecord

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def message(
    content: str = "hello",
    *,
    type: str = "assistant_message",
    id: str | None = None,
    created_at: datetime | None = None,
    **fields: Any,
) -> MessageRecord:
    return MessageRecord(
        id=id or str(uuid.uuid4()),
        type=type,
        content=content,
        created_at=created_at or datetime.now(UTC),
        **fields,
    )


def user_message(content: str = "hello", **fields: Any) -> MessageRecord:
    return message(content, type="user_message", **fields)
