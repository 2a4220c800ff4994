"""Persistence: users, threads, messages, elements' metadata and feedback.

``open_store(app.config["COPILOT_DATABASE_URL"], app.instance_path)`` gives a
:class:`Store` (or ``None`` when persistence is off). The schema is created or upgraded
on open; nobody runs a migration command. ``check_store_url`` says whether a URL can
work without opening anything (the extension checks at ``init_app`` and opens on first
use, so importing an app creates no database).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .base import (
    ElementRecord,
    FeedbackRecord,
    MessageRecord,
    NotFound,
    SchemaVersionError,
    Store,
    StoreConfigError,
    StoreError,
    ThreadPage,
    ThreadRecord,
    UserRecord,
)

#: What ``COPILOT_DATABASE_URL`` holds when the user did not set it: a SQLite file in
#: the app's instance folder.
DEFAULT_DATABASE = "default"
DEFAULT_SQLITE_FILE = "copilot.sqlite3"

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_SQLITE_FILE",
    "ElementRecord",
    "FeedbackRecord",
    "MessageRecord",
    "NotFound",
    "SchemaVersionError",
    "Store",
    "StoreConfigError",
    "StoreError",
    "ThreadPage",
    "ThreadRecord",
    "UserRecord",
    "check_store_url",
    "open_store",
]


def check_store_url(url: str | None, instance_path: str) -> None:
    """Raise :class:`StoreConfigError` for a URL :func:`open_store` would refuse (not a
    URL, an unsupported database, a driver that is not installed, the folder of a
    SQLite file missing), without creating a file or connecting to a server."""
    _check_type(url)
    if url is None or url == DEFAULT_DATABASE:
        return
    from .sqlalchemy_store import check_url

    try:
        check_url(url, instance_path)
    except StoreConfigError as error:
        raise StoreConfigError(f"COPILOT_DATABASE_URL: {error}") from None


def _check_type(url: object) -> None:
    if url is not None and (not isinstance(url, str) or not url.strip()):
        raise StoreConfigError(
            f"COPILOT_DATABASE_URL must be a database URL, {DEFAULT_DATABASE!r} or None; "
            f"got {url!r}"
        )


def open_store(
    url: str | None,
    instance_path: str,
    *,
    engine_options: Mapping[str, Any] | None = None,
) -> Store | None:
    """Open the store ``url`` names, creating or upgrading its schema.

    ``None`` disables persistence (returns ``None``). ``"default"`` means
    ``<instance_path>/copilot.sqlite3`` (the folder is created). Relative SQLite paths
    are taken relative to ``instance_path``. ``engine_options`` go to
    ``sqlalchemy.create_engine`` (e.g. ``pool_size``).

    Raises :class:`StoreConfigError` (a ``ValueError``) for a URL that cannot work, and
    :class:`StoreError` when the database cannot be reached or upgraded.
    """
    _check_type(url)
    if url is None:
        return None
    if url == DEFAULT_DATABASE:
        try:
            os.makedirs(instance_path, exist_ok=True)
        except OSError as error:
            raise StoreConfigError(
                f"cannot create the instance folder {instance_path} for the copilot "
                f"database: {error}"
            ) from None
        url = "sqlite:///" + os.path.join(os.path.abspath(instance_path), DEFAULT_SQLITE_FILE)

    from .sqlalchemy_store import SQLAlchemyStore

    try:
        return SQLAlchemyStore(url, instance_path=instance_path, engine_options=engine_options)
    except StoreConfigError as error:
        raise StoreConfigError(f"COPILOT_DATABASE_URL: {error}") from None
