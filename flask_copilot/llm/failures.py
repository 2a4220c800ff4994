"""What to tell the user, and what to log, when the model's endpoint fails."""

from __future__ import annotations

import re
from dataclasses import dataclass

import openai

_CONTEXT_TOO_LONG = re.compile(
    r"context.{0,12}(length|window)|maximum context|too many tokens|prompt is too long"
    r"|input is too long|exceeds the (model'?s )?(maximum|limit)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ModelFailure:
    #: A short sentence for the user.
    message: str
    #: What happened, for the log.
    detail: str


def _body_message(exc: openai.APIError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return exc.message


def describe(exc: Exception) -> ModelFailure | None:
    """The user's message and the log's detail for a failed model call; ``None`` for
    an exception that is not the endpoint's (a bug: it goes to the crash handler)."""
    if isinstance(exc, openai.APITimeoutError):
        return ModelFailure(
            "The AI model took too long to answer. Please try again.",
            f"timed out: {exc}",
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelFailure(
            "The assistant could not reach its AI model. Please try again.",
            f"connection failed: {exc.__cause__ or exc}",
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        text = _body_message(exc)
        detail = f"HTTP {status} (request id {exc.request_id or '-'}): {text}"
        if status in (401, 403):
            return ModelFailure(
                "The assistant's AI model refused its credentials. The site's team has "
                "to fix its API key.",
                detail,
            )
        if status == 429:
            return ModelFailure(
                "The AI model is busy right now (too many requests). Please try again in a moment.",
                detail,
            )
        code = getattr(exc, "code", None)
        if status in (400, 413, 422) and (
            code == "context_length_exceeded" or _CONTEXT_TOO_LONG.search(text)
        ):
            return ModelFailure(
                "This conversation is now too long for the AI model. Start a new chat to go on.",
                detail,
            )
        if status == 404:
            return ModelFailure(
                "The assistant's AI model is not available. The site's team has to "
                "check its configuration.",
                detail,
            )
        if status >= 500:
            return ModelFailure("The AI model had a problem answering. Please try again.", detail)
        return ModelFailure("The AI model could not answer this request.", detail)
    if isinstance(exc, openai.APIError):
        return ModelFailure(
            "The AI model stopped answering halfway. Please try again.",
            f"error in the stream: {exc.message}",
        )
    return None
