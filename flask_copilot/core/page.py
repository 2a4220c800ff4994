"""What the host page tells the server about itself: the functions it declares
(``registerCopilotFunction``) and the values it shares (``setCopilotContext``), with its
URL and title. The widget sends them at connect and on every change; each arrival
replaces the previous state of the session (``context.session.page_functions``,
``context.session.page_context``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PageFunction:
    """A function the page declared: its name, what it does, and its parameters as a
    JSON Schema (``{"type": "object", ...}``). ``confirm``: the user approves each call."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    confirm: bool = False


@dataclass(frozen=True)
class ContextValue:
    value: Any
    description: str = ""


@dataclass(frozen=True)
class PageContext(Mapping[str, Any]):
    """The page's shared values by key (``page_context["rows"]``), with their
    descriptions (``page_context.describe("rows")``), and the page's ``url`` and
    ``title``."""

    shared: Mapping[str, ContextValue] = field(default_factory=dict)
    url: str | None = None
    title: str | None = None

    def __getitem__(self, key: str) -> Any:
        return self.shared[key].value

    def __iter__(self) -> Iterator[str]:
        return iter(self.shared)

    def __len__(self) -> int:
        return len(self.shared)

    def describe(self, key: str) -> str:
        """The description the page gave for ``key`` (empty when none)."""
        return self.shared[key].description

    def as_text(self) -> str:
        """The page's state as text for a model: URL, title, then each value (JSON)
        under its key and description."""
        lines = []
        if self.url:
            lines.append(f"URL: {self.url}")
        if self.title:
            lines.append(f"Title: {self.title}")
        for key, item in self.shared.items():
            heading = f"{key} ({item.description})" if item.description else key
            lines.append(f"\n{heading}:\n{json.dumps(item.value, ensure_ascii=False, indent=1)}")
        return "\n".join(lines).strip()
