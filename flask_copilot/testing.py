"""Test your copilot over a real socket: a protocol-speaking client and a live server.

.. code-block:: python

    from flask_copilot.testing import CopilotTestClient, LiveServer

    def test_echo(app):
        with LiveServer(app) as server, CopilotTestClient(server.url) as client:
            reply = client.chat("hello")
            assert reply.text == "You said: hello"

    def test_files(app):
        with LiveServer(app) as server, CopilotTestClient(server.url) as client:
            reply = client.chat("what is this?", files=[("cat.png", png_bytes)])
            image = reply.elements[0]
            assert client.download(image["url"]) == png_bytes

The client behaves like the widget: it reads ``/copilot/settings``, connects with a
client type and token, sends ``ready``, applies every event to its view of the chat
(``client.messages``), and validates each event against the protocol schemas, so a
test also catches a server that breaks the protocol.
"""

from __future__ import annotations

import json
import mimetypes
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import engineio
import socketio
from werkzeug.serving import BaseWSGIServer

try:  # what python-socketio's client needs for websockets (and polling)
    import requests  # noqa: F401
    import websocket  # noqa: F401
except ImportError as missing:
    raise ImportError(
        "flask_copilot.testing needs the [testing] extra: pip install "
        f"'flask-copilot[testing]' (the Socket.IO client's packages; {missing})"
    ) from None

from .protocol.schemas import SERVER_EVENTS
from .server.dev_server import WebsocketClosingRequestHandler, make_dev_server

Predicate = Callable[[dict[str, Any]], bool]
#: A file to upload: ``(name, bytes)``, ``(name, bytes, content_type)`` or a path.
Upload = tuple[str, bytes] | tuple[str, bytes, str] | str | os.PathLike[str]
_SERVER_SCHEMAS = {name: spec.schema() for name, spec in SERVER_EVENTS.items()}


class ProtocolViolation(AssertionError):
    """The server sent an event that does not match the protocol schemas."""


class ConnectionRefused(socketio.exceptions.ConnectionError):  # type: ignore[misc]
    """The server refused the connection; ``reason`` is what it said."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UploadRefused(Exception):
    """``POST /copilot/uploads`` answered with an error; ``status`` and ``code`` say which."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('error')}: {body.get('message')}")
        self.status = status
        self.code = body.get("error")
        self.body = body


class ServerRefused(Exception):
    """The server answered a client event with ``ok: false``."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.error = error


@dataclass
class ReceivedEvent:
    name: str
    payload: dict[str, Any]
    received_at: float


@dataclass
class Reply:
    """Everything the server sent while handling one user message."""

    message_id: str
    events: list[ReceivedEvent]
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The content of the reply's messages, joined by newlines."""
        return "\n".join(m["content"] for m in self.messages)

    @property
    def tokens(self) -> list[ReceivedEvent]:
        return [e for e in self.events if e.name in ("stream_start", "stream_token")]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["isError"]]

    #: The steps shown while handling it (tool calls, page function calls), in order.
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def elements(self) -> list[dict[str, Any]]:
        """The elements of the reply's messages, in order."""
        return [e for m in self.messages for e in m["elements"]]


class _InOrderEngineIOClient(engineio.Client):  # type: ignore[misc]
    """An Engine.IO client that hands each received message on, on the thread that
    read it, in the order the server sent them.

    python-engineio's client starts a new thread for every message, so under load a
    later event can be handled before an earlier one (the test client would then drop
    the earlier one as a replay). The widget, like any browser client, sees them in
    order; so must its stand-in."""

    def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)


class _InOrderClient(socketio.Client):  # type: ignore[misc]
    """A Socket.IO client whose events are handled one at a time, in arrival order."""

    def _engineio_client_class(self) -> type[engineio.Client]:
        return _InOrderEngineIOClient


def _reason(data: Any) -> str:
    if isinstance(data, dict):
        return str(data.get("message", data))
    return str(data)


class CopilotTestClient:
    """A widget stand-in that speaks the copilot protocol over a real Socket.IO socket."""

    def __init__(
        self,
        server_url: str,
        *,
        client_type: str = "copilot",
        access_token: str | None = None,
        transports: tuple[str, ...] | None = None,
        timeout: float = 10.0,
        page_functions: dict[str, Callable[[dict[str, Any]], Any]] | None = None,
        answer_calls: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        """``page_functions``: what the host page's ``copilot-call-fn`` listener would
        answer, by function name (raise to answer with an error). A call to any other
        name is answered like the widget does when no listener answers. With
        ``answer_calls=False`` calls are left unanswered (to test timeouts).
        ``headers``: extra HTTP headers on the handshake (``Origin``, ``Cookie``…)."""
        self.server_url = server_url.rstrip("/")
        self.client_type = client_type
        self.access_token = access_token
        self.transports = transports
        self.timeout = timeout
        self.events: list[ReceivedEvent] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.session_id: str | None = None
        self.session_info: dict[str, Any] | None = None
        self.last_seq = 0
        self.protocol_violations: list[str] = []
        self.page_functions = dict(page_functions or {})
        self.answer_calls = answer_calls
        self.headers = dict(headers or {})
        self._condition = threading.Condition()
        origin = self.headers.get("Origin")
        # websocket-client adds an Origin of its own; set ours through its option so
        # the server sees one Origin, not "theirs,ours".
        self._sio = _InOrderClient(
            reconnection=False,
            websocket_extra_options={"origin": origin} if origin else {},
        )
        self._settings: dict[str, Any] | None = None
        self._namespace = "/copilot"

    # --- connection ------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        if self._settings is None:
            request = urllib.request.Request(
                f"{self.server_url}/copilot/settings", headers=self.headers
            )
            if self.access_token:
                request.add_header("Authorization", f"Bearer {self.access_token}")
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                self._settings = json.loads(response.read())
        return self._settings

    def connect(
        self,
        *,
        session_id: str | None = None,
        last_seq: int | None = None,
        thread_id: str | None = None,
        auth: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Connect, send ``ready``, and wait for the ``session`` event; return it.

        ``session_id``/``last_seq``: reattach like the widget after a drop;
        ``thread_id``: resume a stored conversation. ``auth`` replaces the handshake
        object entirely (to test bad handshakes).
        """
        settings = self.settings()
        self._namespace = settings["socket"]["namespace"]
        handshake = auth
        if handshake is None:
            handshake = {"clientType": self.client_type}
            if self.access_token:
                handshake["accessToken"] = self.access_token
            if session_id:
                handshake["sessionId"] = session_id
            if last_seq is not None:
                handshake["lastSeq"] = last_seq
            if thread_id:
                handshake["threadId"] = thread_id
        refusals: list[str] = []
        # Handlers of one namespace: python-socketio never falls back to namespace "*"
        # once a namespace has a handler table of its own.
        self._sio.on("*", self._on_any_event, namespace=self._namespace)
        self._sio.on(
            "connect_error",
            lambda data=None: refusals.append(_reason(data)),
            namespace=self._namespace,
        )
        transports = list(self.transports or settings["socket"]["transports"])
        headers = dict(self.headers)
        if transports == ["websocket"]:
            headers.pop("Origin", None)  # sent by websocket-client's origin option
        try:
            self._sio.connect(
                self.server_url,
                namespaces=[self._namespace],
                socketio_path=settings["socket"]["path"],
                transports=transports,
                auth=handshake,
                headers=headers,
                wait_timeout=self.timeout,
            )
        except socketio.exceptions.ConnectionError:
            if refusals:
                raise ConnectionRefused(refusals[-1]) from None
            raise
        mark = self._mark()
        self.emit("ready", {"lastSeq": self.last_seq if last_seq is None else last_seq})
        session = self.wait_for("session", after=mark)
        self.session_id = session["sessionId"]
        self.session_info = session
        return session

    def disconnect(self) -> None:
        if self._sio.connected:
            self._sio.disconnect()

    @property
    def connected(self) -> bool:
        return bool(self._sio.connected)

    def __enter__(self) -> CopilotTestClient:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    # --- sending -----------------------------------------------------------------------

    def emit(
        self, event: str, data: Any = None, callback: Callable[..., Any] | None = None
    ) -> None:
        """Send any event (for protocol tests); ``callback`` gets the acknowledgement.
        A tuple ``data`` is sent as several arguments."""
        self._sio.emit(event, data, namespace=self._namespace, callback=callback)

    def call(self, event: str, data: Any = None) -> Any:
        """Send any event and return the server's acknowledgement."""
        return self._sio.call(event, data, namespace=self._namespace, timeout=self.timeout)

    def send_raw(self, packet: str | bytes) -> None:
        """Send one raw Engine.IO message, e.g. a hand-made Socket.IO packet
        (``'2/copilot,["ready",{}]'``), to test how the server takes malformed ones."""
        self._sio.eio.send(packet)

    def send(
        self,
        content: str,
        *,
        type: str = "user_message",
        metadata: dict[str, Any] | None = None,
        client_id: str | None = None,
        resend_of: str | None = None,
        files: Iterable[str | dict[str, Any]] = (),
    ) -> str:
        """Send a message and return the server's id for it (raises on refusal).

        ``files``: uploads to attach, as :meth:`upload` returned them (or their ``ref``).
        Waits for the server's acknowledgement, like the widget: that is what keeps a
        session's messages in order whatever the server's handler settings.
        ``resend_of``: the id of an ``unanswered`` message this one sends again.
        """
        payload: dict[str, Any] = {
            "clientId": client_id or str(uuid.uuid4()),
            "type": type,
            "content": content,
        }
        if metadata is not None:
            payload["metadata"] = metadata
        if resend_of is not None:
            payload["resendOf"] = resend_of
        refs = [f if isinstance(f, str) else f["ref"] for f in files]
        if refs:
            payload["files"] = refs
        ack = self.call("client_message", payload)
        if not isinstance(ack, dict) or not ack.get("ok"):
            raise ServerRefused((ack or {}).get("error", {"code": "no_ack", "message": repr(ack)}))
        return str(ack["id"])

    def chat(
        self, content: str, *, files: Iterable[Upload] = (), timeout: float | None = None
    ) -> Reply:
        """Send a user message (with ``files`` uploaded and attached) and wait for the
        full reply to it."""
        uploaded = self.upload(files) if files else []
        return self.wait_reply(self.send(content, files=uploaded), timeout=timeout)

    # --- files -------------------------------------------------------------------------

    def upload(
        self, files: Iterable[Upload], *, token: str | None = None, via: str | None = None
    ) -> list[dict[str, Any]]:
        """Upload ``files`` in one request as the widget does; return the server's
        description of each (``ref``, ``id``, ``name``, ``mime``, ``size``, ``type``).

        ``token``: the upload grant to use (default: the session's; a file ask has its
        own, see :meth:`answer_file_ask`). ``via``: the URL of another server (worker)
        of the same app to upload through. Raises :class:`UploadRefused` on refusal.
        """
        grant = token or (self.session_info or {}).get("uploadToken")
        if not grant:
            raise RuntimeError("no upload grant: connect first (or uploads are off)")
        boundary = uuid.uuid4().hex
        body = bytearray()
        for item in files:
            name, data, content_type = _upload_parts(item)
            body += (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{urllib.parse.quote(name, safe=" ._-()")}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            body += data + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        status, _, answer = self.fetch(
            (via.rstrip("/") if via else "") + "/copilot/uploads",
            method="POST",
            data=bytes(body),
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-Copilot-Upload": grant,
            },
        )
        parsed = json.loads(answer or b"{}")
        if status != 201:
            raise UploadRefused(status, parsed)
        uploaded: list[dict[str, Any]] = parsed["files"]
        return uploaded

    def pending_ask(self, kind: str | None = None) -> dict[str, Any] | None:
        """The ``ask`` event the server is waiting on (of ``kind``), if any."""
        with self._condition:
            ended = {e.payload["askId"] for e in self.events if e.name == "ask_end"}
            for event in reversed(self.events):
                if (
                    event.name == "ask"
                    and event.payload["askId"] not in ended
                    and (kind is None or event.payload["kind"] == kind)
                ):
                    return event.payload
        return None

    def answer_file_ask(
        self, files: Iterable[Upload], *, content: str = "", timeout: float | None = None
    ) -> str:
        """Answer the pending file ask (waiting for it to arrive): upload ``files`` with
        its grant and send them. Returns the id of the message that answered."""
        ask = self.wait_for("ask", lambda p: p["kind"] == "file", timeout=timeout)
        uploaded = self.upload(files, token=ask["uploadToken"])
        return self.send(content, files=uploaded)

    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """An HTTP request to the server (``url`` relative to it, as element URLs are);
        returns status, headers and body, whatever the status."""
        target = urllib.parse.urljoin(self.server_url + "/", url)
        request = urllib.request.Request(target, data=data, method=method)
        for name, value in {**self.headers, **(headers or {})}.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers.items()), error.read()

    def download(self, url: str) -> bytes:
        """The bytes behind an element's URL (raises unless the server answers 200)."""
        status, _, body = self.fetch(url)
        if status != 200:
            raise AssertionError(f"GET {url} answered {status}: {body[:200]!r}")
        return body

    def declare(
        self,
        functions: list[dict[str, Any]] | None = None,
        context: dict[str, Any] | None = None,
        *,
        url: str | None = None,
        title: str | None = None,
    ) -> Any:
        """Send ``page_state`` as the widget does for ``registerCopilotFunction`` /
        ``setCopilotContext``: ``functions`` as ``{name, description, parameters,
        confirm}``, ``context`` as ``{key: value}`` (or ``{key: {"value", "description"}}``
        via :meth:`call`). Returns the server's acknowledgement."""
        state: dict[str, Any] = {
            "functions": list(functions or []),
            "context": {key: {"value": value} for key, value in (context or {}).items()},
        }
        if url is not None:
            state["url"] = url
        if title is not None:
            state["title"] = title
        return self.call("page_state", state)

    def click(self, action_id: str) -> Any:
        """Click an action button (by the action's id); returns the server's ack."""
        return self.call("action", {"actionId": action_id})

    def actions(self) -> list[dict[str, Any]]:
        """The action buttons currently shown, under all messages."""
        with self._condition:
            return [a for m in self.messages.values() for a in m["actions"]]

    def stop(self) -> Any:
        return self.call("stop", {})

    def end_session(self) -> Any:
        """End the session (``on_chat_end`` runs) and disconnect, like "new chat"."""
        ack = self.call("end_session", {})
        self.disconnect()
        return ack

    # --- receiving ---------------------------------------------------------------------

    def _on_any_event(self, event: str, data: Any = None) -> None:
        received = ReceivedEvent(event, data, time.monotonic())
        with self._condition:
            self._check_protocol(event, data)
            if event == "session":
                # The greeting: a new session numbers its events from 1 again.
                if not data.get("restored"):
                    self.last_seq = 0
                    self.messages.clear()
            elif isinstance(data, dict) and isinstance(data.get("seq"), int):
                if data["seq"] <= self.last_seq:
                    return  # a replayed event we already have
                self.last_seq = data["seq"]
            self._apply(event, data)
            self.events.append(received)
            self._condition.notify_all()
        if event == "call_fn" and self.answer_calls:
            # Answered off the reading thread, like the page's listener: a slow page
            # function must not hold up the events (and pings) behind it.
            self._sio.start_background_task(self._answer_call, data)

    def _answer_call(self, call: dict[str, Any]) -> None:
        self.emit("call_fn_result", {"callId": call["callId"], **self._run_page_function(call)})

    def _run_page_function(self, call: dict[str, Any]) -> dict[str, Any]:
        function = self.page_functions.get(call["name"])
        if function is None:
            return {"error": f"no listener for function {call['name']!r}"}
        try:
            return {"value": function(call["args"])}
        except Exception as exc:  # noqa: BLE001 - the page reports it, as a browser would
            return {"error": str(exc)}

    def _check_protocol(self, event: str, data: Any) -> None:
        spec = SERVER_EVENTS.get(event)
        if spec is None:
            self.protocol_violations.append(f"unknown server event {event!r}")
            return
        problems = _SERVER_SCHEMAS[event].validate(data if isinstance(data, dict) else {"": data})
        if problems:
            self.protocol_violations.append(f"{event}: {problems}")

    def _apply(self, event: str, data: dict[str, Any]) -> None:
        """Keep ``self.messages`` as the widget would show it."""
        if event in ("new_message", "update_message", "stream_start"):
            message = data["message"]
            self.messages[message["id"]] = dict(message)
        elif event == "stream_token":
            message = self.messages.get(data["id"])
            if message is not None:
                if data["isSequence"]:
                    message["content"] = data["token"]
                else:
                    message["content"] += data["token"]
        elif event == "delete_message":
            self.messages.pop(data["id"], None)
        elif event == "element":
            element = data["element"]
            message = self.messages.get(element["forId"])
            if message is not None:
                kept = [e for e in message["elements"] if e["id"] != element["id"]]
                message["elements"] = [*kept, element]
        elif event == "delete_element":
            for message in self.messages.values():
                message["elements"] = [e for e in message["elements"] if e["id"] != data["id"]]

    def _mark(self) -> int:
        with self._condition:
            return len(self.events)

    def wait_for(
        self,
        event: str,
        predicate: Predicate | None = None,
        *,
        after: int = 0,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """The first ``event`` (received at index ``after`` or later) that matches."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._condition:
            index = after
            while True:
                while index < len(self.events):
                    received = self.events[index]
                    index += 1
                    if received.name != event:
                        continue
                    if predicate is None or predicate(received.payload):
                        return received.payload
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [e.name for e in self.events[after:]]
                    raise TimeoutError(f"no {event!r} event within the timeout; saw {seen}")
                self._condition.wait(remaining)

    def wait_reply(self, message_id: str, *, timeout: float | None = None) -> Reply:
        """Wait until the handler of ``message_id`` finished; collect what it sent."""
        self.wait_for("task_end", lambda p: p.get("messageId") == message_id, timeout=timeout)
        with self._condition:
            # A client that reconnected mid-reply may not have seen the start.
            start = next(
                (
                    i
                    for i, e in enumerate(self.events)
                    if e.name == "task_start" and e.payload.get("messageId") == message_id
                ),
                0,
            )
            end = next(
                i
                for i, e in enumerate(self.events)
                if e.name == "task_end" and e.payload.get("messageId") == message_id
            )
            events = self.events[start : end + 1]
            ids: list[str] = []
            step_ids: list[str] = []
            for e in events:
                if e.name not in ("new_message", "stream_start", "update_message"):
                    continue
                message = e.payload["message"]
                shown = ids if message["type"] == "assistant_message" else step_ids
                if message["type"] in ("assistant_message", "step") and message["id"] not in shown:
                    shown.append(message["id"])
            messages = [dict(self.messages[i]) for i in ids if i in self.messages]
            steps = [dict(self.messages[i]) for i in step_ids if i in self.messages]
        return Reply(message_id=message_id, events=events, messages=messages, steps=steps)

    def errors(self) -> list[dict[str, Any]]:
        """The ``error`` events received so far."""
        with self._condition:
            return [e.payload for e in self.events if e.name == "error"]

    def assistant_messages(self) -> list[dict[str, Any]]:
        with self._condition:
            return [m for m in self.messages.values() if m["type"] == "assistant_message"]


def _upload_parts(item: Upload) -> tuple[str, bytes, str]:
    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        with open(path, "rb") as handle:
            data = handle.read()
        name = os.path.basename(path)
        return name, data, mimetypes.guess_type(name)[0] or "application/octet-stream"
    if len(item) == 3:
        return item[0], item[1], item[2]
    name, data = item[0], item[1]
    return name, data, mimetypes.guess_type(name)[0] or "application/octet-stream"


class _QuietRequestHandler(WebsocketClosingRequestHandler):
    """Closes websockets cleanly, and skips per-request logging."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class LiveServer:
    """Serve ``app`` on 127.0.0.1 from a thread (threading mode only): a real HTTP and
    websocket server in the test process, started in milliseconds."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        from .server.state import get_state

        mode = get_state(app).config.async_mode
        if mode != "threading":
            raise RuntimeError(
                f"LiveServer runs threading-mode apps; this one is {mode!r}. Start "
                "eventlet/gevent apps with gunicorn or `flask-copilot run` in a subprocess."
            )
        self._server: BaseWSGIServer = make_dev_server(host, port, app, _QuietRequestHandler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
