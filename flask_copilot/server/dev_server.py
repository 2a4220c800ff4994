"""Werkzeug's server for threading mode in development (``flask-copilot run``) and in
tests (``flask_copilot.testing.LiveServer``), with websockets closed cleanly."""

from __future__ import annotations

from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class WebsocketClosingRequestHandler(WSGIRequestHandler):
    """Closes the TCP connection after a websocket ends. Werkzeug would otherwise read
    the client's close frame as a new HTTP request (logging ``code 400, message Bad
    request syntax``), and the client would wait 3 s for a close reply."""

    def run_wsgi(self) -> None:
        super().run_wsgi()
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.close_connection = True


def make_dev_server(
    host: str,
    port: int,
    app: Any,
    request_handler: type[WSGIRequestHandler] = WebsocketClosingRequestHandler,
) -> BaseWSGIServer:
    """A threaded Werkzeug server (not started), without Werkzeug's start-up banner:
    the caller says what it serves, in one line."""
    return make_server(host, port, app, threaded=True, request_handler=request_handler)
