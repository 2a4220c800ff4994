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


def describe(handler: Handler) -> str:
    """``module.qualname`` of a handler, for messages."""
    module = getattr(handler, "__module__", None) or "?"
    name = getattr(handler, "__qualname__", None) or repr(handler)
    return f"{module}.{name}"


class HookRegistry:
    """One handler per hook name, plus action callbacks by action name.

    Filled by the decorators, possibly before ``init_app``; read by the runner.
    A second, different handler for the same hook raises, as Flask does for two view
    functions on one endpoint: the last one silently winning hides a mistake (a handler
    pasted twice, two modules each registering theirs) until a user meets it.
    """

    def __init__(self) -> None:
        self._hooks: dict[str, Handler] = {}
        self.action_callbacks: dict[str, Handler] = {}

    def register(self, name: str, handler: Handler) -> Handler:
        if name not in HOOK_NAMES:
            raise ValueError(f"unknown hook {name!r}")
        if not callable(handler):
            raise TypeError(f"@copilot.{name} needs a function, got {handler!r}")
        _refuse_replacing(f"@copilot.{name}", self._hooks.get(name), handler)
        self._hooks[name] = handler
        return handler

    def register_action(self, name: str, handler: Handler) -> Handler:
        if not callable(handler):
            raise TypeError(f"@copilot.action_callback({name!r}) needs a function")
        _refuse_replacing(
            f"@copilot.action_callback({name!r})", self.action_callbacks.get(name), handler
        )
        self.action_callbacks[name] = handler
        return handler

    def get(self, name: str) -> Handler | None:
        return self._hooks.get(name)


def _refuse_replacing(hook: str, registered: Handler | None, handler: Handler) -> None:
    if registered is None or registered is handler:
        return
    raise ValueError(
        f"{hook} is already registered to {describe(registered)}; cannot also register "
        f"{describe(handler)}. One handler per hook: dispatch from one function."
    )
