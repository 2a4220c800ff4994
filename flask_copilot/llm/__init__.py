"""The AI in the copilot: a tool-calling assistant over any OpenAI-compatible endpoint.

Needs the ``llm`` extra: ``pip install "flask-copilot[llm]"`` (the official ``openai``
SDK). See ``docs/llm.md``.
"""

try:
    import openai as _openai  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        'flask_copilot.llm needs the openai package: pip install "flask-copilot[llm]"'
    ) from exc

from .assistant import Assistant
from .conversation import history_messages, page_state_message
from .failures import ModelFailure, describe
from .tools import Tool, ToolArgumentsError, tool_from_function

__all__ = [
    "Assistant",
    "ModelFailure",
    "Tool",
    "ToolArgumentsError",
    "describe",
    "history_messages",
    "page_state_message",
    "tool_from_function",
]
