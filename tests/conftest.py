from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from flask_copilot.testing import CopilotTestClient, LiveServer
from tests.postgres import postgres_database, postgres_url  # noqa: F401 (fixtures)
from tests.servers import ROOT, gunicorn_server

#: The demo's data (Flask's instance folder of every app under this repository).
#: Tests never write there: see the two fixtures below.
REPO_INSTANCE = ROOT / "instance"

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


def pytest_configure(config: pytest.Config) -> None:
    """Before collection: apps made at import time (examples' module-level ``app``) or
    by session-scoped fixtures (made before any module's ``temporary_database``) get a
    temporary database too; ``temporary_database`` gives each module its own."""
    folder = tempfile.mkdtemp(prefix="copilot-session-db-")
    before = os.environ.get("COPILOT_DATABASE_URL")
    os.environ["COPILOT_DATABASE_URL"] = f"sqlite:///{folder}/copilot.sqlite3"

    def restore() -> None:
        if before is None:
            os.environ.pop("COPILOT_DATABASE_URL", None)
        else:
            os.environ["COPILOT_DATABASE_URL"] = before
        shutil.rmtree(folder, ignore_errors=True)

    config.add_cleanup(restore)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]] | None:
    """Every file under ``folder`` with its size and modification time (None: absent)."""
    if not folder.exists():
        return None
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="session", autouse=True)
def nothing_written_to_the_repository_instance() -> Iterator[None]:
    """Fails the run when a test wrote under the repository's ``instance/`` (the demo's
    database): tests write to temporary directories only."""
    before = _snapshot(REPO_INSTANCE)
    yield
    after = _snapshot(REPO_INSTANCE)
    if after != before:
        pytest.fail(
            f"the tests wrote under {REPO_INSTANCE} (before: {before}, after: {after}); "
            "give the app a temporary database (COPILOT_DATABASE_URL) or instance_path",
            pytrace=False,
        )


@pytest.fixture(scope="module", autouse=True)
def temporary_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh SQLite file per test module, for every app that does not name its own
    database: ``COPILOT_DATABASE_URL`` is read from the environment, by the apps made
    in this process and by the servers the tests start (they inherit it). Fails the
    module that wrote under the repository's ``instance/``, naming it."""
    before = _snapshot(REPO_INSTANCE)
    url = f"sqlite:///{tmp_path_factory.mktemp('copilot-db') / 'copilot.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COPILOT_DATABASE_URL", url)
        yield url
    if _snapshot(REPO_INSTANCE) != before:
        pytest.fail(
            f"{request.module.__name__} wrote under {REPO_INSTANCE}: tests write to "
            "temporary directories only",
            pytrace=False,
        )
