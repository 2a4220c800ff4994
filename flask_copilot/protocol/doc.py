"""Generate ``docs/protocol.md`` from the wire schemas (``python -m flask_copilot.protocol.doc``).

``--check FILE`` exits 1 when FILE differs from what the schemas say (CI runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, missing, validate

from .schemas import CLIENT_EVENTS, PROTOCOL_VERSION, SERVER_EVENTS, EventSpec, HandshakeAuth

INTRO = f"""\
# The flask_copilot wire protocol (version {PROTOCOL_VERSION})

Generated from `flask_copilot/protocol/schemas.py` by `python -m flask_copilot.protocol.doc`;
CI fails when this file differs from the schemas. Do not edit by hand.

## Transport

Socket.IO 5 (Engine.IO 4; socket.io-client 4.x). The widget first reads
`GET {{server}}/copilot/settings`, which names the Engine.IO path, the namespace and
the transports to use (default: websocket only, so several workers need no sticky
sessions):

```json
{{"protocol": {PROTOCOL_VERSION}, "socket": {{"path": "ws/socket.io", "namespace": "/copilot",
  "transports": ["websocket"]}}, "auth": {{"mode": "off", "required": false}},
  "features": {{"history": false, "feedback": true}}, "ui": {{"name": "Assistant"}}}}
```

`auth.mode` is `COPILOT_AUTH`: `required` (every connection needs a user), `optional`
(anonymous visitors too; a token that is sent must be valid) or `off` (nobody is
identified); `auth.required` is `mode == "required"`, for older clients.

## Sessions, sequence numbers, replay

- A connection is refused (`connect_error`, message `code: detail`) when the handshake
  is invalid (`invalid_handshake`), its origin is not allowed (`origin_not_allowed`), the
  token is missing (with sign-in required) or bad (`not_authenticated`), the server
  cannot identify users as configured (`server_misconfigured`), or the user or the
  address already has as many live sessions as allowed (`too_many_sessions`;
  `COPILOT_MAX_SESSIONS_PER_USER` / `_PER_ADDRESS`, detached sessions are ended to make
  room first).
- A new connection creates a **chat session** with a server-made id; `on_chat_start`
  is queued as its first job. A connection whose handshake names the `sessionId` of a
  live session of the same user **reattaches** to it (`restored: true`).
- After connecting, the client sends `ready`. The server answers `session` and then
  replays the session's events with `seq > lastSeq` (from a buffer bounded in events,
  `COPILOT_REPLAY_BUFFER`, and in bytes, `COPILOT_REPLAY_BUFFER_BYTES`: the oldest
  leave first; for a new session, all of them). Until `ready`, nothing is
  sent to the socket (events are buffered).
- **Every server-to-client event carries `seq`**, per session, from 1, increasing by 1;
  `session` carries the number of the last event so far without taking one. Clients
  ignore events with `seq` not above the highest they have seen, except `session`;
  on `restored: false` they start from 0 again. When the buffer no longer holds
  everything after `lastSeq`, an `error` with code `replay_incomplete` follows the replay.
- A session whose sockets are all gone is kept `COPILOT_SESSION_TIMEOUT` seconds, then
  ended (`on_chat_end`). The newest socket of a session wins: an older one is
  disconnected when a newer one sends `ready`.

## Handlers and ordering

`client_message` is acknowledged at once (`{{"ok": true, "id": …}}`); the server echoes
the message as `new_message` (with `metadata.clientId`) and queues `on_message`.
Handlers of one session run one at a time, in arrival order; each is wrapped in
`task_start`/`task_end` carrying the `messageId` it handles. A stream ends with a
`new_message`/`update_message` for the same id with `streaming: false`. Clients wait for
each `client_message` ack before sending the next, which keeps order whatever the
server's Socket.IO handler settings.

## Messages that were never answered

A `client_message` acknowledged `ok` is stored (persistence on) and queued; one that
cannot be stored is refused (`store_unavailable`) and may be sent again with the same
`clientId`. If the server process holding the session stops before the message's
handler ends (`task_end` with its id), nobody will answer it: the client reconnects,
gets a new session (`restored: false`), and, when the thread is resumed,
`session.unanswered` lists those messages. A client also knows it by itself: a message
acknowledged without `askAnswer` whose `task_end` had not come when its session was
lost was not answered. Offer to send it again: a new `client_message` with the same
text and `resendOf` naming it (it is then no longer reported).

## Text

Every string a client sends (any field, and inside metadata and function results) is
Unicode text: a lone UTF-16 surrogate (what `"😀".slice(0, 1)` sends) becomes U+FFFD,
as the web platform does when it encodes such a string; NUL (U+0000) is refused
(`invalid_event` naming the field).

## Steps and page functions

- A **step** (a tool call, a page function call, any `Step` a handler opens) is a
  message of `type: "step"`: `new_message` when it starts (`step.status: running`),
  `update_message` when it ends (`done` or `error`), stored and resumed like any
  message. Its `author` is its name, its `content` its output, `step.input` its input;
  `parentId` is the message it belongs to (by default the user message being answered)
  or the step it is nested in.
- The page declares functions and shares values with `page_state`, after each
  `session` and on every change. A `call_fn` for a declared function has had its `args`
  checked against the declared `parameters` (all of JSON Schema but `pattern`, which the
  widget checks); the widget checks again before running the handler. A function
  declared with `confirm` is called only after the user clicked Allow: the step shows
  Allow / Deny actions with an `ask` of kind `action`, and the `call_fn` carries the
  clicked action's id as `approvalId`. Undeclared names still go to the page's
  `copilot-call-fn` / `chainlit-call-fn` listeners.

## Files over HTTP

Elements travel inside `message.elements` (and alone as `element`); their `url` is a path
on the copilot's server, resolved against the server's origin:

- `GET {{prefix}}/copilot/files/<token>/<name>` serves a stored file to whoever holds the
  signed URL until it expires (`COPILOT_FILE_URL_TTL`, default an hour; renew with
  `file_url`); it works in `<img>`, `<audio>`, `<video>` and frames, which send no
  credentials. A request that carries `Authorization: Bearer` of another user, a forged
  or expired token, or a deleted file gets `404`. Range requests (`206`),
  `X-Content-Type-Options: nosniff`, `Cache-Control: private`; SVG, HTML and XML under
  `Content-Security-Policy: sandbox` (HTML and XML as attachments); `?download=1` asks
  for an attachment.
- `POST {{prefix}}/copilot/uploads`: `multipart/form-data` with the file parts, header
  `X-Copilot-Upload: <grant>` (the `session` event's `uploadToken`, or a file ask's).
  `201 {{"files": [{{"ref", "id", "name", "mime", "size", "type"}}]}}`: attach the `ref`s
  in `client_message.files`. The type is sniffed from the content; limits are
  `COPILOT_MAX_UPLOAD_MB` per file, `COPILOT_MAX_FILES`, `COPILOT_UPLOAD_ACCEPT` (or the
  file ask's). Refusals (nothing of the request is kept): `401 invalid_upload_grant`,
  `403 session_ended`, `413 too_large` (checked while the body streams), `415
  unsupported_type`, `400 too_many_files`, `411 length_required`, as
  `{{"error": code, "message": …, "file": name}}`.

## Errors

A client event that fails validation, is unknown, or exceeds a limit gets an `error`
event naming the problem, and, when the client asked for an acknowledgement,
`{{"ok": false, "error": {{"code": …, "message": …}}}}` (a client may then show only the
ack's error). The connection and the session go on. Events sent on a socket whose
session has ended get `no_session`. Events named `connect` or `disconnect` are the
transport's own: sent by a client they are refused (`unknown_event`). A packet that is
not valid Socket.IO (an event without a name, not a list, JSON nested deeper than 64
levels) is dropped with an `error` event (`invalid_event`, message `Malformed Socket.IO
packet: …`). A Socket.IO frame over 1 MB (more when `COPILOT_MAX_MESSAGE_CHARS` needs
it) closes the connection (Engine.IO's `maxPayload`).
"""


def _field_type(field: fields.Field[Any]) -> str:
    if isinstance(field, fields.Nested):
        nested = field.nested
        name = nested.__name__ if isinstance(nested, type) else type(nested).__name__
        return f"object ({name})"
    if isinstance(field, fields.List):
        return f"list of {_field_type(field.inner)}"
    for kind, name in (
        (fields.String, "string"),
        (fields.Integer, "integer"),
        (fields.Float, "number"),
        (fields.Boolean, "boolean"),
        (fields.Dict, "object"),
        (fields.Raw, "any JSON"),
    ):
        if isinstance(field, kind):
            return name
    return type(field).__name__


def _describe_validator(validator: object, unit: str = "characters") -> str | None:
    if isinstance(validator, validate.Length):
        if validator.min and validator.max:
            return f"{validator.min}–{validator.max} {unit}"
        if validator.max:
            return f"at most {validator.max} {unit}"
        return f"at least {validator.min} {unit}" if validator.min else None
    if isinstance(validator, validate.Range):
        low = f"≥ {validator.min}" if validator.min is not None else ""
        high = f"≤ {validator.max}" if validator.max is not None else ""
        return " and ".join(part for part in (low, high) if part) or None
    if isinstance(validator, validate.OneOf):
        return "one of " + ", ".join(f"`{choice}`" for choice in validator.choices)
    return None


def _field_notes(field: fields.Field[Any]) -> str:
    notes = []
    if field.required:
        notes.append("required")
    if field.allow_none:
        notes.append("nullable")
    default = field.load_default
    if default not in (missing, None, "") and not callable(default) and not field.required:
        notes.append(f"default `{default}`")
    unit = (
        "items"
        if isinstance(field, fields.List)
        else "keys"
        if isinstance(field, fields.Dict)
        else "characters"
    )
    for validator in field.validators:
        described = _describe_validator(validator, unit)
        if described:
            notes.append(described)
    doc = field.metadata.get("doc")
    if doc:
        notes.append(doc)
    return "; ".join(notes).replace("|", "\\|")


def _schema_table(schema: type[Schema]) -> str:
    rows = ["| field | type | notes |", "|---|---|---|"]
    for name, field in schema().fields.items():
        wire_name = field.data_key or name
        rows.append(f"| `{wire_name}` | {_field_type(field)} | {_field_notes(field)} |")
    if len(rows) == 2:
        return "No fields: send `{}` or nothing."
    return "\n".join(rows)


def _event_section(spec: EventSpec) -> str:
    parts = [f"### `{spec.name}`", "", spec.doc, "", _schema_table(spec.schema)]
    if spec.ack is not None:
        parts += ["", f"Acknowledgement ({spec.ack.__name__}):", "", _schema_table(spec.ack)]
    return "\n".join(parts)


def render() -> str:
    from .schemas import (
        ContextValueBody,
        MessageBody,
        PageFunctionBody,
        StepBody,
        UserInfo,
    )

    sections = [
        INTRO,
        "## Handshake (`auth`)\n\n" + _schema_table(HandshakeAuth),
        "## Client to server\n",
        *(_event_section(spec) for spec in CLIENT_EVENTS.values()),
        "## Server to client\n",
        *(_event_section(spec) for spec in SERVER_EVENTS.values()),
        "## Shared objects\n",
        "### Message\n\n" + _schema_table(MessageBody),
        "### Step (`message.step`)\n\n" + _schema_table(StepBody),
        "### PageFunction (`page_state.functions[]`)\n\n" + _schema_table(PageFunctionBody),
        "### ContextValue (`page_state.context[key]`)\n\n" + _schema_table(ContextValueBody),
        "### User\n\n" + _schema_table(UserInfo),
    ]
    return "\n\n".join(section.rstrip() for section in sections) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", metavar="FILE", help="fail if FILE is not current")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        path = Path(args.check)
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(
                f"{args.check} is stale: run `python -m flask_copilot.protocol.doc > {args.check}`",
                file=sys.stderr,
            )
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
