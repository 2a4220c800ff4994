"""Runs an app's Socket.IO server; imported only after monkey-patching (see commands.py)."""

from __future__ import annotations

import argparse
import os
import sys

from flask.cli import ScriptInfo

from ..server.dev_server import make_dev_server
from ..server.state import get_state


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="flask-copilot run")
    parser.add_argument("app_ref")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    mode = os.environ.get("COPILOT_ASYNC_MODE", "threading")
    sys.path.insert(0, os.getcwd())
    app = ScriptInfo(app_import_path=args.app_ref).load_app()
    state = get_state(app)
    if state.config.async_mode != mode:
        sys.exit(
            f"flask-copilot run: --mode {mode} but the app configures "
            f"COPILOT_ASYNC_MODE={state.config.async_mode!r}."
        )
    url = f"http://{args.host}:{args.port}"
    if mode == "threading":
        # Werkzeug directly: Flask-SocketIO's run() would print "Werkzeug appears to be
        # used in a production deployment" next to Werkzeug's "This is a development
        # server". One line says what this is.
        server = make_dev_server(args.host, args.port, app)
        print(
            f"flask-copilot: serving {args.app_ref} ({mode}) on {url} with Werkzeug's "
            "development server; for production use gunicorn (docs/deploy.md)",
            flush=True,
        )
        server.serve_forever()
        return
    print(f"flask-copilot: serving {args.app_ref} ({mode}) on {url}", flush=True)
    state.socketio.run(app, host=args.host, port=args.port, use_reloader=False, log_output=False)
