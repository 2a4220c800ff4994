"""Under eventlet, each websocket is closed once.

When a client closes its websocket (the page is left, the tab closed, the widget
unmounted), eventlet's websocket answers the close frame, shuts the socket down and
closes it. Engine.IO's writer then closes the same websocket again as the connection
ends; that second ``shutdown`` fails on the closed socket, and eventlet writes
``socket shutdown error: [Errno 9] Bad file descriptor`` to ``wsgi.errors`` (gunicorn's
error log, without a newline): one line per chat the client closed, under ``gunicorn -k
eventlet`` (whose client socket is what eventlet's websocket closes). Harmless, but it
buries real errors.

The fix is at the source, for the servers we create: their Engine.IO server gets a
websocket class whose ``close`` does its work once and nothing the second time.
"""

from __future__ import annotations

import functools
from typing import Any

from flask_socketio import SocketIO


def close_websockets_once(socketio: SocketIO) -> None:
    """Give ``socketio``'s Engine.IO server (eventlet mode only) websockets that close
    once. Leaves a websocket class it does not know (someone else's) alone."""
    eio = socketio.server.eio
    if eio.async_mode != "eventlet":
        return
    from engineio.async_drivers import eventlet as driver

    drivers: dict[str, Any] = eio._async
    if drivers.get("websocket") is not driver.WebSocketWSGI:
        return
    # A copy: the driver's table is shared by every Engine.IO server of the process.
    eio._async = {**drivers, "websocket": _close_once_class(driver.WebSocketWSGI)}


@functools.cache
def _close_once_class(base: type) -> type:
    class CloseOnceWebSocketWSGI(base):  # type: ignore[misc]
        def __init__(self, handler: Any, server: Any) -> None:
            def handle(ws: Any) -> Any:
                _make_close_idempotent(ws)
                return handler(ws)

            super().__init__(handle, server)

    return CloseOnceWebSocketWSGI


def _make_close_idempotent(ws: Any) -> None:
    close = ws.close
    closed = False

    def close_once(*args: Any, **kwargs: Any) -> None:
        nonlocal closed
        if closed:
            return
        closed = True
        close(*args, **kwargs)

    # An instance attribute: eventlet's own ``self.close(...)`` (on the client's close
    # frame) goes through it too.
    ws.close = close_once
