"""``Action``: a button under a message."""

from __future__ import annotations

from typing import Any

from ..core.session import new_id


class Action:
    """A button under a message; a click runs ``@copilot.action_callback(name)`` (or
    answers an :class:`AskActionMessage`)."""

    def __init__(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        label: str = "",
        tooltip: str = "",
    ) -> None:
        self.id = new_id()
        self.name = name
        self.payload = dict(payload or {})
        self.label = label or name
        self.tooltip = tooltip
        self.for_id: str | None = None

    def __repr__(self) -> str:
        return f"<Action {self.name} label={self.label!r}>"

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Action:
        """Rebuild an action another process showed (its callback is found by name)."""
        action = cls(
            data["name"], data.get("payload"), data.get("label", ""), data.get("tooltip", "")
        )
        action.id = data["id"]
        action.for_id = data.get("forId")
        return action

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "tooltip": self.tooltip,
            "payload": self.payload,
            "forId": self.for_id,
        }
