"""The registry of the app's handlers (``@copilot.on_message`` and friends)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]

HOOK_NAMES = (
    "on_chat_start",
    "on_message",
    "on_chat_end",
    "on_stop",
    "on_chat_resume",
    "on_audio_start",
    "on_audio_chunk",
    "on_audio_end",
    "on_feedback",
    "set_chat_profiles",
    "set_starters",
    "identity_loader",
    "header_auth_callback",
)


class HookRegistry:
    """One handler per hook name, plus action callbacks by action name.

    Filled by the decorators, possibly before ``init_app``; read by the runner.
    """

    def __init__(self) -> None:
        self._hooks: dict[str, Handler] = {}
        self.action_callbacks: dict[str, Handler] = {}

    def register(self, name: str, handler: Handler) -> Handler:
        if name not in HOOK_NAMES:
            raise ValueError(f"unknown hook {name!r}")
        if not callable(handler):
            raise TypeError(f"@copilot.{name} needs a function, got {handler!r}")
        self._hooks[name] = handler
        return handler

    def get(self, name: str) -> Handler | None:
        return self._hooks.get(name)
