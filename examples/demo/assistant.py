"""The demo's "model": a few phrases it understands, without any API key.

``parse("add milk")`` turns what the user typed into a :class:`Command` (or ``None``);
the app turns commands into calls of the page's functions. Kept free of Flask so it is
easy to read and to test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

HELP = (
    "I can work this list for you. Try:\n\n"
    "- **add milk** — add a row\n"
    "- **highlight 2** — point at row 2\n"
    "- **done 1** / **undo 1** — tick a row off, or not\n"
    "- **show milk** / **show all** — filter the list\n"
    "- **remove 3** — delete a row (I ask first)\n"
    "- click a row, then ask **what did I select?**"
)

_NUMBER = r"#?(\d+)"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("help", re.compile(r"^(help|\?|what can you do\??)$")),
    ("add", re.compile(r"^(?:add|new|create)\s+(?:a\s+row\s+)?[\"']?(.+?)[\"']?$")),
    ("highlight", re.compile(rf"^(?:highlight|select|point at|go to)\s+(?:row\s+)?{_NUMBER}$")),
    ("done", re.compile(rf"^(?:done|tick|check|complete)\s+(?:row\s+)?{_NUMBER}$")),
    ("undo", re.compile(rf"^(?:undo|untick|uncheck|reopen)\s+(?:row\s+)?{_NUMBER}$")),
    ("remove", re.compile(rf"^(?:remove|delete)\s+(?:row\s+)?{_NUMBER}$")),
    ("show_all", re.compile(r"^(?:show|list)\s+(?:all|everything)$|^clear\s+(?:the\s+)?filter$")),
    ("filter", re.compile(r"^(?:show|filter|find|search)\s+(?:for\s+)?[\"']?(.+?)[\"']?$")),
    ("selection", re.compile(r"what(?:'s| is| did i)\s+(?:i\s+)?(?:select|selected|pick|picked)")),
]


@dataclass(frozen=True)
class Command:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


def parse(text: str) -> Command | None:
    """The command in ``text``, or ``None`` when the demo does not understand it."""
    said = " ".join(text.strip().rstrip(".!").split())
    lowered = said.lower()
    for name, pattern in _PATTERNS:
        match = pattern.search(lowered)
        if not match:
            continue
        if name == "add":
            # Keep the user's capitalisation for the new row's title.
            title = said[match.start(1) : match.end(1)]
            return Command("add", {"title": title})
        if name == "filter":
            return Command("filter", {"query": match.group(1)})
        if name in ("highlight", "done", "undo", "remove"):
            return Command(name, {"row": int(match.group(1))})
        return Command(name)
    return None
