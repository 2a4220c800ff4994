"""Persistence: users, threads, messages, elements' metadata and feedback.

``open_store(app.config["COPILOT_DATABASE_URL"], app.instance_path)`` gives a
:class:`Store` (or ``None`` when persistence is off). The schema is created or upgraded
on open; nobody runs a migration command.
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
    "open_store",
]


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
    if url is None:
        return None
    if not isinstance(url, str) or not url.strip():
        raise StoreConfigError(
            f"COPILOT_DATABASE_URL must be a database URL, {DEFAULT_DATABASE!r} or None; "
            f"got {url!r}"
        )
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
