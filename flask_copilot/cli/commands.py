"""Command line: ``flask copilot run|create-secret|token`` and ``flask-copilot run``.

``run`` must monkey-patch eventlet/gevent *before* the user's app (or Flask, or
sockets) is imported. This process has imported all of those already, so ``run``
replaces itself (``exec``) with a fresh interpreter whose very first statement patches.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import timedelta
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo, pass_script_info

from ..config import ASYNC_MODES

BOOTSTRAP = """\
import sys
mode = sys.argv[1]
if mode == "gevent":
    from gevent import monkey
    monkey.patch_all()
elif mode == "eventlet":
    import eventlet
    eventlet.monkey_patch()
from flask_copilot.cli.serve import serve
serve(sys.argv[2:])
"""

copilot_cli = AppGroup("copilot", help="flask_copilot: run the server, make secrets and tokens.")


def exec_server(app_ref: str, mode: str, host: str, port: int) -> NoReturn:
    """Replace this process with a server for ``app_ref``, patched for ``mode`` first."""
    os.environ["COPILOT_ASYNC_MODE"] = mode
    argv = [sys.executable, "-c", BOOTSTRAP, mode, app_ref, "--host", host, "--port", str(port)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)


_mode_option = click.option(
    "--mode",
    type=click.Choice(ASYNC_MODES),
    default=lambda: os.environ.get("COPILOT_ASYNC_MODE", "threading"),
    show_default="threading, or $COPILOT_ASYNC_MODE",
    help="Async mode; eventlet/gevent monkey-patch before the app is imported.",
)
_host_option = click.option("--host", default="127.0.0.1", show_default=True)
_port_option = click.option("--port", default=8000, type=int, show_default=True)


@copilot_cli.command("run", with_appcontext=False)
@_mode_option
@_host_option
@_port_option
@pass_script_info
def run_command(info: ScriptInfo, mode: str, host: str, port: int) -> None:
    """Serve the app (``--app``/``FLASK_APP``) with the copilot in MODE."""
    if not info.app_import_path:
        raise click.UsageError("Name the app: flask --app module:app copilot run")
    exec_server(info.app_import_path, mode, host, port)


@copilot_cli.command("create-secret", with_appcontext=False)
@click.option(
    "--raw/--env",
    default=None,
    help='Print the bare secret (--raw) or a COPILOT_AUTH_SECRET="…" line for a .env '
    "file (--env). Default: the line on a terminal, the bare secret otherwise, so "
    "`export COPILOT_AUTH_SECRET=$(flask copilot create-secret)` works.",
)
def create_secret_command(raw: bool | None) -> None:
    """Print a new random COPILOT_AUTH_SECRET."""
    secret = secrets.token_urlsafe(48)
    if raw is None:
        raw = not sys.stdout.isatty()
    click.echo(secret if raw else f'COPILOT_AUTH_SECRET="{secret}"')


@copilot_cli.command("token")
@click.argument("identifier")
@click.option("--display-name", default=None)
@click.option("--metadata", default="{}", help="JSON object stored in the token.")
@click.option("--expires-in", default=3600, type=int, show_default=True, help="Seconds.")
def token_command(
    identifier: str, display_name: str | None, metadata: str, expires_in: int
) -> None:
    """Print an access token for user IDENTIFIER, signed with COPILOT_AUTH_SECRET (or
    the key the app derives from its SECRET_KEY)."""
    from ..server.http_auth import create_jwt
    from ..server.state import get_state
    from ..user import User

    try:
        secret = get_state(current_app).auth().signing_key()
    except (RuntimeError, ValueError) as exc:  # no key; ConfigError is a ValueError
        raise click.UsageError(str(exc)) from None
    try:
        meta = json.loads(metadata)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--metadata") from None
    user = User(identifier, display_name, meta)
    click.echo(create_jwt(user, timedelta(seconds=expires_in), secret=secret))


@click.group(help="flask_copilot command line.")
def main() -> None:
    pass


@main.command("run")
@click.argument("app_ref")
@_mode_option
@_host_option
@_port_option
def standalone_run(app_ref: str, mode: str, host: str, port: int) -> None:
    """Serve APP_REF (module:app, module:create_app(), or file.py) in MODE."""
    exec_server(app_ref, mode, host, port)
