"""The demo's phrase parser (examples/demo/assistant.py)."""

from __future__ import annotations

import pytest

from examples.demo.assistant import Command, parse


@pytest.mark.parametrize(
    ("said", "command"),
    [
        ("add milk", Command("add", {"title": "milk"})),
        ('Add "Oat Milk".', Command("add", {"title": "Oat Milk"})),
        ("add a row Bread", Command("add", {"title": "Bread"})),
        ("highlight 2", Command("highlight", {"row": 2})),
        ("select row #3", Command("highlight", {"row": 3})),
        ("done 1", Command("done", {"row": 1})),
        ("undo 2", Command("undo", {"row": 2})),
        ("remove 3", Command("remove", {"row": 3})),
        ("show milk", Command("filter", {"query": "milk"})),
        ("show all", Command("show_all")),
        ("clear the filter", Command("show_all")),
        ("What did I select?", Command("selection")),
        ("help", Command("help")),
    ],
)
def test_phrases(said: str, command: Command) -> None:
    assert parse(said) == command


@pytest.mark.parametrize("said", ["hello there", "", "highlight", "remove the last one"])
def test_anything_else_is_not_a_command(said: str) -> None:
    assert parse(said) is None
