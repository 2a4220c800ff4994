"""Marshmallow schemas for every wire event: the single source of the protocol.

``docs/protocol.md`` is generated from :data:`CLIENT_EVENTS`, :data:`SERVER_EVENTS`
and :class:`HandshakeAuth` (``python -m flask_copilot.protocol.doc``), and a test fails
when the committed doc differs, so the doc cannot drift from the code.

Client events are *loaded* (validated) before anything acts on them; unknown fields are
refused (marshmallow's default ``RAISE``). Server events are described by schemas too;
the test client validates every event it receives against them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .json_schema import check_declared_schema
from .text import has_nul, without_lone_surrogates
from .wire_json import MAX_DEPTH

PROTOCOL_VERSION = 1

MAX_ID_CHARS = 64
MAX_TOKEN_CHARS = 8192
MAX_METADATA_BYTES = 16 * 1024
MAX_FUNCTION_RESULT_BYTES = 256 * 1024

MESSAGE_TYPES = ("user_message", "assistant_message", "system_message")
#: A step (a tool call, a page function call, any ``Step``) is a message of this type.
STEP_TYPE = "step"
SHOWN_TYPES = (*MESSAGE_TYPES, STEP_TYPE)
STEP_STATUSES = ("running", "done", "error")
ELEMENT_TYPES = ("text", "image", "file", "pdf", "audio", "video")
ELEMENT_DISPLAYS = ("inline", "side", "page")
IMAGE_SIZES = ("small", "medium", "large")
ASK_KINDS = ("text", "action", "file")
#: Uploads one client_message may carry (``COPILOT_MAX_FILES`` bounds it further).
MAX_MESSAGE_FILES = 100
MAX_FILE_REF_CHARS = 4096
CLIENT_MESSAGE_TYPES = ("user_message", "system_message")
#: Names a model can call (OpenAI's rule for tool names).
FUNCTION_NAME = r"^[A-Za-z0-9_-]{1,64}$"
MAX_PAGE_FUNCTIONS = 64
MAX_CONTEXT_KEYS = 64
CLIENT_TYPES = ("copilot", "webapp")


def _bounded_json(limit: int, what: str) -> validate.Validator:
    class _BoundedJson(validate.Validator):
        def __call__(self, value: Any) -> Any:
            try:
                size = len(json.dumps(value, separators=(",", ":"), allow_nan=False).encode())
            except (TypeError, ValueError):
                raise ValidationError(f"{what} must be JSON-serialisable.") from None
            if size > limit:
                raise ValidationError(f"{what} is {size} bytes; the limit is {limit}.")
            return value

    return _BoundedJson()


class Text(fields.String):
    """A client's string, as ``protocol/text.py`` decides: lone UTF-16 surrogates become
    U+FFFD, NUL is refused. Every string field of a client event is one."""

    default_error_messages = {"nul": "Contains a NUL character (U+0000)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_nul(text):
            raise self.make_error("nul")
        return without_lone_surrogates(text)


class JsonValue(fields.Raw):
    """Any JSON value a client sends (metadata, a function's result): its strings, keys
    included, follow the rules of :class:`Text`."""

    default_error_messages = {
        "nul": "Contains a NUL character (U+0000).",
        "deep": f"Nested deeper than {MAX_DEPTH} levels.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return self._clean(value, 0)

    def _clean(self, value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.make_error("deep")
        if isinstance(value, str):
            if has_nul(value):
                raise self.make_error("nul")
            return without_lone_surrogates(value)
        if isinstance(value, dict):
            return {self._clean(k, depth): self._clean(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self._clean(item, depth + 1) for item in value]
        return value


def _id_field(**kwargs: Any) -> Text:
    return Text(validate=validate.Length(min=1, max=MAX_ID_CHARS), **kwargs)


def _metadata_field(**kwargs: Any) -> fields.Dict:
    return fields.Dict(
        keys=Text(),
        values=JsonValue(),
        validate=_bounded_json(MAX_METADATA_BYTES, "metadata"),
        **kwargs,
    )


class _Seq(Schema):
    """Every server-to-client event of a session carries its sequence number."""

    seq = fields.Integer(
        required=True,
        metadata={"doc": "Per-session sequence number, from 1, increasing by 1."},
    )


# --- handshake ---------------------------------------------------------------------


class HandshakeAuth(Schema):
    """The Socket.IO ``auth`` object sent with the connection request."""

    clientType = Text(
        load_default="copilot",
        validate=validate.OneOf(CLIENT_TYPES),
        metadata={"doc": "`copilot` for the embedded widget (it answers function calls)."},
    )
    accessToken = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=MAX_TOKEN_CHARS),
        metadata={"doc": "JWT issued by the host site; required when auth is on."},
    )
    sessionId = _id_field(
        load_default=None,
        allow_none=True,
        metadata={"doc": "Reattach to this (detached) session after a reconnect."},
    )
    lastSeq = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0),
        metadata={"doc": "Highest `seq` the client has seen; later events are replayed."},
    )
    threadId = _id_field(
        load_default=None,
        allow_none=True,
        metadata={
            "doc": "A past conversation of this user to resume (persistence on); "
            "anything else starts a new one."
        },
    )
    language = Text(load_default=None, allow_none=True, validate=validate.Length(max=35))
    chatProfile = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))
    protocol = fields.Integer(load_default=PROTOCOL_VERSION)


# --- client to server ----------------------------------------------------------------


class ReadyEvent(Schema):
    lastSeq = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))


class ClientMessageEvent(Schema):
    clientId = _id_field(
        load_default=None,
        allow_none=True,
        metadata={"doc": "Client-made id; a resend with the same id is not handled twice."},
    )
    type = Text(load_default="user_message", validate=validate.OneOf(CLIENT_MESSAGE_TYPES))
    content = Text(
        required=True,
        metadata={"doc": "Text; at most `COPILOT_MAX_MESSAGE_CHARS` characters."},
    )
    metadata = _metadata_field(load_default=dict)
    resendOf = _id_field(
        load_default=None,
        allow_none=True,
        metadata={
            "doc": "The id of an `unanswered` message this one sends again: that one is "
            "no longer reported."
        },
    )
    files = fields.List(
        Text(validate=validate.Length(min=1, max=MAX_FILE_REF_CHARS)),
        load_default=list,
        validate=validate.Length(max=MAX_MESSAGE_FILES),
        metadata={
            "doc": "References of uploaded files (`files[].ref` of `POST /copilot/uploads`) "
            "to attach; at most `COPILOT_MAX_FILES`, or the pending file ask's `maxFiles`."
        },
    )


class FileUrlEvent(Schema):
    elementId = _id_field(required=True, metadata={"doc": "A stored element of this chat."})


class EmptyEvent(Schema):
    """An event that carries no fields (``{}`` or nothing)."""


class CallFnResultEvent(Schema):
    callId = _id_field(required=True)
    value = JsonValue(
        load_default=None,
        allow_none=True,
        validate=_bounded_json(MAX_FUNCTION_RESULT_BYTES, "value"),
    )
    error = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ActionEvent(Schema):
    actionId = _id_field(
        required=True, metadata={"doc": "The `id` of an action shown under a message."}
    )


class ListThreadsEvent(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    before = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"doc": "The `next` cursor of the previous page."},
    )


class ThreadEvent(Schema):
    threadId = _id_field(required=True)


class FeedbackEvent(Schema):
    messageId = _id_field(required=True)
    value = fields.Integer(
        required=True,
        allow_none=True,
        validate=validate.OneOf((0, 1)),
        metadata={"doc": "1 thumbs up, 0 thumbs down, null removes the feedback."},
    )
    comment = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class _DeclaredSchema(validate.Validator):
    def __call__(self, value: Any) -> Any:
        try:
            check_declared_schema(value)
        except ValueError as exc:
            raise ValidationError(f"parameters {exc}.") from None
        return value


class PageFunctionBody(Schema):
    name = Text(
        required=True,
        validate=validate.Regexp(FUNCTION_NAME, error="1–64 letters, digits, _ or -."),
        metadata={"doc": "1–64 letters, digits, `_` or `-` (the tool name a model sees)."},
    )
    description = Text(
        load_default="",
        validate=validate.Length(max=1024),
        metadata={"doc": "What it does, for the model."},
    )
    parameters = fields.Dict(
        keys=Text(),
        values=JsonValue(),
        load_default=lambda: {"type": "object", "properties": {}},
        validate=_DeclaredSchema(),
        metadata={
            "doc": "JSON Schema of the arguments (`type: object`; local `$ref` only; "
            "no `patternProperties`)."
        },
    )
    confirm = fields.Boolean(
        load_default=False, metadata={"doc": "The user approves each call first."}
    )


class ContextValueBody(Schema):
    value = JsonValue(required=True, allow_none=True, metadata={"doc": "Any JSON."})
    description = Text(load_default="", validate=validate.Length(max=500))


class PageStateEvent(Schema):
    functions = fields.List(
        fields.Nested(PageFunctionBody),
        load_default=list,
        validate=validate.Length(max=MAX_PAGE_FUNCTIONS),
        metadata={"doc": "Names unique."},
    )
    context = fields.Dict(
        keys=Text(validate=validate.Length(min=1, max=100)),
        values=fields.Nested(ContextValueBody),
        load_default=dict,
        validate=validate.Length(max=MAX_CONTEXT_KEYS),
        metadata={"doc": "Shared values by key (1–100 characters)."},
    )
    url = Text(load_default=None, allow_none=True, validate=validate.Length(max=2048))
    title = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def _unique_names(self, data: dict[str, Any], **kwargs: Any) -> None:
        names = [function["name"] for function in data.get("functions", [])]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValidationError(f"declared twice: {', '.join(duplicates)}", "functions")


# --- acks --------------------------------------------------------------------------


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)


class Ack(Schema):
    ok = fields.Boolean(required=True)
    id = fields.String(metadata={"doc": "The server's id of what was accepted, if any."})
    error = fields.Nested(ErrorBody)


class MessageAck(Schema):
    ok = fields.Boolean(required=True)
    id = fields.String(metadata={"doc": "The server's id of the accepted message."})
    duplicate = fields.Boolean(
        metadata={"doc": "The `clientId` was accepted before; `id` is that message's."}
    )
    askAnswer = fields.Boolean(
        metadata={
            "doc": "The message answered the handler's waiting `ask`: no handler runs "
            "for it (so no `task_start`/`task_end` carries its id)."
        }
    )
    error = fields.Nested(ErrorBody)


class StopAck(Schema):
    ok = fields.Boolean(required=True)
    stopped = fields.Boolean(metadata={"doc": "False when no handler was running."})


class FileUrlAck(Schema):
    ok = fields.Boolean(required=True)
    url = fields.String(metadata={"doc": "A fresh signed URL for the element's file."})
    error = fields.Nested(ErrorBody)


class ThreadSummary(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    createdAt = fields.String(required=True)
    updatedAt = fields.String(required=True)


class ThreadListAck(Schema):
    ok = fields.Boolean(required=True)
    threads = fields.List(fields.Nested(ThreadSummary))
    next = fields.String(allow_none=True, metadata={"doc": "Cursor of the next page."})
    error = fields.Nested(ErrorBody)


# --- server to client ----------------------------------------------------------------


class UserInfo(Schema):
    identifier = fields.String(required=True)
    displayName = fields.String(allow_none=True)
    metadata = fields.Dict()


class ActionBody(Schema):
    id = fields.String(required=True, metadata={"doc": "Server-made; send it back in `action`."})
    name = fields.String(required=True)
    label = fields.String(required=True)
    tooltip = fields.String(required=True)
    payload = fields.Dict(required=True)
    forId = fields.String(
        required=True, allow_none=True, metadata={"doc": "The message it is shown under."}
    )


class StepBody(Schema):
    kind = fields.String(
        required=True,
        metadata={"doc": "`tool`, `run`, `llm`, `retrieval`, … (Chainlit's step types)."},
    )
    input = fields.String(
        required=True, allow_none=True, metadata={"doc": "What the step got (tool arguments)."}
    )
    status = fields.String(required=True, validate=validate.OneOf(STEP_STATUSES))
    language = fields.String(
        allow_none=True, metadata={"doc": "How to show input and output: `json`, `text`…"}
    )
    start = fields.String(allow_none=True, metadata={"doc": "ISO 8601, UTC."})
    end = fields.String(allow_none=True, metadata={"doc": "ISO 8601, UTC; null while running."})


class ElementBody(Schema):
    """A file or media part of a message."""

    id = fields.String(required=True)
    forId = fields.String(
        required=True, allow_none=True, metadata={"doc": "The message it belongs to."}
    )
    type = fields.String(
        required=True,
        validate=validate.OneOf(ELEMENT_TYPES),
        metadata={"doc": "How to show it: " + ", ".join(f"`{t}`" for t in ELEMENT_TYPES) + "."},
    )
    name = fields.String(required=True, metadata={"doc": "File name; alt text of images."})
    mime = fields.String(required=True, allow_none=True)
    display = fields.String(
        required=True,
        validate=validate.OneOf(ELEMENT_DISPLAYS),
        metadata={
            "doc": "`inline` in the message; `side`: a button in the message opens it in a "
            "side view; `page`: it opens over the whole panel."
        },
    )
    url = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "doc": "Where the bytes are: a path on the copilot's server (resolve it against "
            "the server's origin), signed for this user and valid `COPILOT_FILE_URL_TTL` "
            "seconds (renew with `file_url`), or an external URL."
        },
    )
    bytes = fields.Integer(required=True, allow_none=True, metadata={"doc": "Size, if known."})
    size = fields.String(
        allow_none=True,
        validate=validate.OneOf(IMAGE_SIZES),
        metadata={"doc": "`image`: shown small, medium or large."},
    )
    language = fields.String(
        allow_none=True, metadata={"doc": "`text`: shown as code in this language."}
    )
    content = fields.String(
        allow_none=True, metadata={"doc": "`text`: the text itself, when small (else fetch `url`)."}
    )
    page = fields.Integer(allow_none=True, metadata={"doc": "`pdf`: the page to open at."})
    autoPlay = fields.Boolean(metadata={"doc": "`audio`, `video`: start playing when shown."})


class MessageBody(Schema):
    id = fields.String(required=True)
    threadId = fields.String(required=True, allow_none=True)
    type = fields.String(
        required=True,
        validate=validate.OneOf(SHOWN_TYPES),
        metadata={"doc": "`step`: a tool call or other step, nested by `parentId`."},
    )
    author = fields.String(required=True, metadata={"doc": "For a step, its name."})
    content = fields.String(required=True, metadata={"doc": "For a step, its output."})
    createdAt = fields.String(required=True, metadata={"doc": "ISO 8601, UTC."})
    streaming = fields.Boolean(required=True)
    isError = fields.Boolean(required=True)
    parentId = fields.String(
        required=True,
        allow_none=True,
        metadata={"doc": "A step's parent: the message it belongs to, or its enclosing step."},
    )
    metadata = fields.Dict(required=True)
    actions = fields.List(fields.Nested(ActionBody), required=True)
    elements = fields.List(fields.Nested(ElementBody), required=True)
    step = fields.Nested(
        StepBody, allow_none=True, metadata={"doc": "Present on `type: step` messages."}
    )
    feedback = fields.Dict(
        allow_none=True,
        metadata={"doc": "`{value, comment}` the user gave, on a resumed thread's messages."},
    )


class SessionEvent(_Seq):
    sessionId = fields.String(required=True)
    threadId = fields.String(required=True, allow_none=True)
    restored = fields.Boolean(
        required=True, metadata={"doc": "True when an existing session was reattached."}
    )
    user = fields.Nested(UserInfo, required=True, allow_none=True)
    resumedThread = fields.Boolean(
        metadata={"doc": "True when the handshake's `threadId` was resumed."}
    )
    unanswered = fields.List(
        fields.String(),
        metadata={
            "doc": "Ids of the resumed thread's user messages that were accepted but never "
            "answered (the server holding them stopped before their handler finished). "
            "Show them as not answered and offer to send them again (`resendOf`)."
        },
    )
    uploadToken = fields.String(
        allow_none=True,
        metadata={
            "doc": "This session's upload grant: the `X-Copilot-Upload` header of "
            "`POST /copilot/uploads`. Null when uploads are off (`COPILOT_MAX_FILES` 0)."
        },
    )


class MessageEvent(_Seq):
    message = fields.Nested(MessageBody, required=True)


class DeleteMessageEvent(_Seq):
    id = fields.String(required=True)


class ElementEvent(_Seq):
    element = fields.Nested(ElementBody, required=True)


class DeleteElementEvent(_Seq):
    id = fields.String(required=True)
    forId = fields.String(required=True, allow_none=True)


class StreamTokenEvent(_Seq):
    id = fields.String(required=True, metadata={"doc": "The message being streamed."})
    token = fields.String(required=True)
    isSequence = fields.Boolean(
        required=True, metadata={"doc": "True: `token` replaces the whole content."}
    )


class TaskEvent(_Seq):
    messageId = fields.String(
        allow_none=True,
        metadata={"doc": "The user message (or clicked action) being handled, if any."},
    )


class ErrorEvent(_Seq):
    code = fields.String(
        required=True,
        metadata={"doc": "`invalid_event`, `unknown_event`, `too_many_pending`, …"},
    )
    message = fields.String(required=True, metadata={"doc": "What was wrong, for people."})
    event = fields.String(
        allow_none=True, metadata={"doc": "The client event that caused it, if any."}
    )
    fields_ = fields.Dict(
        data_key="fields",
        allow_none=True,
        metadata={"doc": "Per-field problems, as marshmallow reports them."},
    )


class CallFnEvent(_Seq):
    callId = fields.String(required=True)
    name = fields.String(required=True)
    args = fields.Dict(required=True)
    timeout = fields.Float(required=True, metadata={"doc": "Seconds the server waits."})
    approvalId = fields.String(
        allow_none=True,
        metadata={
            "doc": "For a function declared with `confirm`: the action the user clicked to "
            "allow this call. The widget runs such a function only with it."
        },
    )


class AskEvent(_Seq):
    askId = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ASK_KINDS))
    messageId = fields.String(
        required=True, metadata={"doc": "The question, sent just before as `new_message`."}
    )
    timeout = fields.Float(required=True, metadata={"doc": "Seconds the server waits."})
    accept = fields.List(
        fields.String(), metadata={"doc": "`file`: MIME types (`image/*`) and extensions."}
    )
    maxSizeMb = fields.Float(metadata={"doc": "`file`: largest file, in MiB."})
    maxFiles = fields.Integer(metadata={"doc": "`file`: how many files at most."})
    uploadToken = fields.String(
        allow_none=True,
        metadata={"doc": "`file`: the upload grant for this ask's files (its limits apply)."},
    )


class AskEndEvent(_Seq):
    askId = fields.String(required=True)
    reason = fields.String(
        required=True,
        validate=validate.OneOf(("answered", "timeout", "stopped", "cancelled")),
    )


class CallFnCancelEvent(_Seq):
    callId = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(("timeout", "stopped")))


# --- the event tables ----------------------------------------------------------------


@dataclass(frozen=True)
class EventSpec:
    name: str
    schema: type[Schema]
    doc: str
    ack: type[Schema] | None = None


CLIENT_EVENTS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        EventSpec(
            "ready",
            ReadyEvent,
            "Sent once after each connect. The server answers `session`, then replays "
            "the events after `lastSeq` (all of them for a new session).",
        ),
        EventSpec(
            "client_message",
            ClientMessageEvent,
            "A message typed by the user, or context pushed by the host page "
            "(`system_message`). Queued behind the session's running handler; handlers "
            "of one session run one at a time in arrival order. Accepted means stored "
            "(persistence on) and queued; a message that could not be stored is refused "
            "(`store_unavailable`) and may be sent again with the same `clientId`.",
            ack=MessageAck,
        ),
        EventSpec(
            "stop",
            EmptyEvent,
            "Stop the running handler: its next framework call raises a stop "
            "exception and `on_stop` runs. Messages queued behind it still run.",
            ack=StopAck,
        ),
        EventSpec(
            "end_session",
            EmptyEvent,
            "End the session now (new chat): `on_chat_end` runs; the socket's later "
            "events get `no_session`, so the client disconnects and connects afresh.",
        ),
        EventSpec(
            "call_fn_result",
            CallFnResultEvent,
            "The page's answer to a `call_fn`: `value`, or `error` with a message. An "
            "answer for a call that is not waiting (unknown, already answered, timed out, "
            "or another session's) is refused with `unknown_call`.",
        ),
        EventSpec(
            "list_threads",
            ListThreadsEvent,
            "The signed-in user's past conversations, most recent first (persistence on). "
            "Open one by connecting afresh with its `threadId` in the handshake.",
            ack=ThreadListAck,
        ),
        EventSpec(
            "delete_thread",
            ThreadEvent,
            "Delete one of the user's past conversations.",
            ack=Ack,
        ),
        EventSpec(
            "feedback",
            FeedbackEvent,
            "Thumbs up/down (and a comment) on a message of this conversation; it can be "
            "changed or removed. Stored, then passed to `@copilot.on_feedback`.",
            ack=Ack,
        ),
        EventSpec(
            "page_state",
            PageStateEvent,
            "What the page declares (`registerCopilotFunction`) and shares "
            "(`setCopilotContext`), with its URL and title. Sent after each `session` and "
            "whenever it changes (debounced); each replaces the previous one. At most "
            "`COPILOT_MAX_PAGE_STATE_BYTES` of JSON (refused with `too_large`). Before a "
            "`call_fn` reaches the page, its arguments are checked against the declared "
            "schema.",
            ack=Ack,
        ),
        EventSpec(
            "file_url",
            FileUrlEvent,
            "A fresh signed URL for a stored element of this chat (its URL expired). "
            "Refused with `not_found` for anything else.",
            ack=FileUrlAck,
        ),
        EventSpec(
            "action",
            ActionEvent,
            "The user clicked an action button. It answers a pending `ask` of kind "
            "`action`, or runs the app's `@copilot.action_callback(name)` as a handler "
            "(its `task_start`/`task_end` carry the action id as `messageId`). Refusals: "
            "`unknown_action` (not shown, or already answered), `no_callback`, "
            "`too_many_pending`.",
            ack=Ack,
        ),
    )
}

SERVER_EVENTS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        EventSpec(
            "session",
            SessionEvent,
            "Answer to `ready`, sent before any replay. Its `seq` is the session's last "
            "event so far (it takes no number of its own and is never replayed). "
            "`restored: false` means a new session: forget the previous chat and its "
            "`seq`s, events count from 1 again.",
        ),
        EventSpec("new_message", MessageEvent, "Add a message, or replace it by `id`."),
        EventSpec("update_message", MessageEvent, "Replace a message by `id`."),
        EventSpec("delete_message", DeleteMessageEvent, "Remove a message by `id`."),
        EventSpec(
            "stream_start",
            MessageEvent,
            "A streamed message begins (`streaming: true`); content holds the first token.",
        ),
        EventSpec("stream_token", StreamTokenEvent, "Append `token` to message `id`."),
        EventSpec(
            "element",
            ElementEvent,
            "Add an element to message `element.forId`, or replace it by `id` (an element "
            "sent or updated on its own; elements sent with a message are in its `elements`).",
        ),
        EventSpec("delete_element", DeleteElementEvent, "Remove element `id`."),
        EventSpec("task_start", TaskEvent, "A handler started: show typing, enable stop."),
        EventSpec("task_end", TaskEvent, "The handler finished."),
        EventSpec(
            "error",
            ErrorEvent,
            "A client event was refused, or the session hit a limit. The connection "
            "and the session go on.",
        ),
        EventSpec(
            "call_fn",
            CallFnEvent,
            "Call a function on the host page (`copilot-call-fn` window event); answer "
            "with `call_fn_result`.",
        ),
        EventSpec(
            "ask",
            AskEvent,
            "The handler waits for the user. `text`: the user's next typed message "
            "answers it (sent as a normal `client_message`). `action`: one of the "
            "question's action buttons answers it. `file`: the next `client_message` with "
            "`files` answers it; upload them with this event's `uploadToken`, within its "
            "`accept`, `maxSizeMb` and `maxFiles`.",
        ),
        EventSpec("ask_end", AskEndEvent, "The ask is over: clear the prompt."),
        EventSpec(
            "call_fn_cancel",
            CallFnCancelEvent,
            "The server stopped waiting for `callId` (timeout, stop): drop it.",
        ),
    )
}
