"""The chat, as the messages of an OpenAI chat-completions request.

Built from the session's conversation (``context.session.history()``: what the user
saw, a resumed thread's stored messages included) so that every answer knows what was
said before, including earlier tool calls and their results. The page's current state
goes in as a system message just before the user's latest message: recent, and out of
the way of the stable part of the prompt (providers cache prompt prefixes).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..core.page import PageContext

ChatMessage = dict[str, Any]

#: Set on the steps the assistant shows for a model's tool calls, so a later turn can
#: give the model its own calls and their results back.
TOOL_CALL_ID = "toolCallId"


def _tool_call(step: dict[str, Any]) -> dict[str, Any]:
    info = step.get("step") or {}
    return {
        "id": step["metadata"][TOOL_CALL_ID],
        "type": "function",
        "function": {"name": step.get("author") or "", "arguments": info.get("input") or "{}"},
    }


def _tool_result(step: dict[str, Any]) -> ChatMessage:
    content = step.get("content") or ""
    if step.get("isError"):
        content = json.dumps({"error": content}, ensure_ascii=False)
    return {"role": "tool", "tool_call_id": step["metadata"][TOOL_CALL_ID], "content": content}


def _is_tool_step(message: dict[str, Any]) -> bool:
    return (
        message.get("type") == "step"
        and isinstance(message.get("metadata"), dict)
        and isinstance(message["metadata"].get(TOOL_CALL_ID), str)
        and (message.get("step") or {}).get("status") in ("done", "error")
    )


def history_messages(history: Sequence[dict[str, Any]]) -> list[ChatMessage]:
    """The conversation (wire messages, oldest first) as chat-completions messages.

    User and assistant messages keep their roles; the page's ``system_message``s become
    system notes; the assistant's tool-call steps become its ``tool_calls`` followed by
    one ``tool`` result each. Errors shown to the user and other steps are left out.
    """
    result: list[ChatMessage] = []
    pending: list[dict[str, Any]] = []  # tool steps of one model turn

    def flush() -> None:
        if not pending:
            return
        last = result[-1] if result else None
        if last is not None and last["role"] == "assistant" and "tool_calls" not in last:
            last["tool_calls"] = [_tool_call(s) for s in pending]
        else:
            result.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [_tool_call(s) for s in pending],
                }
            )
        result.extend(_tool_result(s) for s in pending)
        pending.clear()

    for message in history:
        kind = message.get("type")
        if _is_tool_step(message):
            pending.append(message)
            continue
        if kind == "step" or message.get("isError"):
            continue
        flush()
        content = message.get("content") or ""
        if kind == "user_message":
            result.append({"role": "user", "content": content})
        elif kind == "assistant_message" and content:
            result.append({"role": "assistant", "content": content})
        elif kind == "system_message" and content:
            result.append({"role": "system", "content": f"A note from the page: {content}"})
    flush()
    return result


def trim(messages: list[ChatMessage], limit: int) -> list[ChatMessage]:
    """The last ``limit`` messages, starting at a user message (never in the middle of
    a tool call and its results)."""
    kept = messages[-limit:] if limit > 0 else []
    while kept and kept[0]["role"] != "user":
        kept.pop(0)
    return kept


def page_state_message(page: PageContext) -> ChatMessage | None:
    text = page.as_text()
    if not text:
        return None
    return {
        "role": "system",
        "content": "The user is looking at a web page. Its current state, as the page "
        f"shares it:\n\n{text}",
    }
