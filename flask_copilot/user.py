"""The authenticated user of a chat session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class User:
    identifier: str
    display_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "displayName": self.display_name,
            "metadata": self.metadata,
        }
