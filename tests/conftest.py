from __future__ import annotations

from collections.abc import Iterator

import pytest

from flask_copilot.testing import CopilotTestClient, LiveServer
from tests.servers import gunicorn_server

#: Every end-to-end test runs against each of these servers.
SERVER_KINDS = ["threading", "gevent", "eventlet", "gthread"]


@pytest.fixture(scope="module", params=SERVER_KINDS)
def chat_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a real server running tests/apps/chat_app.py in one async mode."""
    kind = request.param
    if kind == "threading":
        from tests.apps.chat_app import create_app

        with LiveServer(create_app("threading")) as server:
            yield server.url
    else:
        with gunicorn_server("tests.apps.chat_app:create_app()", kind) as (url, _):
            yield url


@pytest.fixture
def client(chat_server: str) -> Iterator[CopilotTestClient]:
    with CopilotTestClient(chat_server) as test_client:
        yield test_client
        assert test_client.protocol_violations == []


@pytest.fixture
def make_client(chat_server: str) -> Iterator[object]:
    clients: list[CopilotTestClient] = []

    def make(**kwargs: object) -> CopilotTestClient:
        new = CopilotTestClient(chat_server, **kwargs)  # type: ignore[arg-type]
        clients.append(new)
        return new

    yield make
    for made in clients:
        made.disconnect()
        assert made.protocol_violations == []
