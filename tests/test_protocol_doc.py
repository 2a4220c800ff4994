from pathlib import Path

from flask_copilot.protocol.doc import render
from flask_copilot.protocol.schemas import CLIENT_EVENTS, SERVER_EVENTS

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def test_protocol_doc_matches_the_schemas() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/protocol.md is stale: python -m flask_copilot.protocol.doc > docs/protocol.md"
    )


def test_every_event_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in [*CLIENT_EVENTS, *SERVER_EVENTS]:
        assert f"### `{name}`" in text
