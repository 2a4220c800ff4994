"""A PostgreSQL database for the tests that need one (the store's, and end-to-end ones).

The server at 127.0.0.1:5432 (trust auth; maintenance database ``test``), or
``COPILOT_TEST_POSTGRES_URL``. When it is down, the fixture starts the machine's cluster
with ``pg_ctlcluster`` and waits. The test session gets its own database
(``copilot_test_<random>``, dropped at the end) and each test its own schema in it.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get(
    "COPILOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _postgres_up(url: str) -> bool:
    try:
        with psycopg.connect(_conninfo(url), connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def _start_postgres(url: str, deadline_s: float = 60.0) -> None:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        pytest.fail(f"PostgreSQL is not reachable at {url} and no cluster is installed")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
        check=False,
        timeout=deadline_s,
    )
    deadline = time.monotonic() + deadline_s
    while not _postgres_up(url):
        if time.monotonic() > deadline:
            pytest.fail(f"PostgreSQL did not come up at {url} within {deadline_s:.0f} s")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a database made for this test session."""
    if not _postgres_up(POSTGRES_URL):
        _start_postgres(POSTGRES_URL)
    name = f"copilot_test_{uuid.uuid4().hex[:12]}"
    admin = _conninfo(POSTGRES_URL)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A fresh, empty schema in the session's database, as the URL's search path."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_conninfo(postgres_database), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(postgres_database).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with psycopg.connect(_conninfo(postgres_database), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
