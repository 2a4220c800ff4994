/**
 * Wire protocol types shared by the transport, the store and the tests.
 * Mirrors docs/protocol.md on the server side (protocol version 1).
 */

export const PROTOCOL_VERSION = 1;

export type MessageType = "assistant_message" | "user_message" | "system_message" | "step";

export type StepStatus = "running" | "done" | "error";

/** What a `type: "step"` message carries besides its name (`author`) and output (`content`). */
export interface WireStep {
  /** `tool`, `run`, `llm`, … */
  kind: string;
  input: string | null;
  status: StepStatus;
  /** How to show input and output (`json`: as code). */
  language?: string | null;
  start?: string | null;
  end?: string | null;
}

/** A button under a message (`Action` on the server); a click sends `action {actionId}`. */
export interface WireAction {
  id: string;
  name: string;
  label: string;
  tooltip?: string;
  payload?: Record<string, unknown>;
  forId?: string | null;
}

export type ElementType = "text" | "image" | "file" | "pdf" | "audio" | "video";
export type ElementDisplay = "inline" | "side" | "page";

/** A file or media part of a message (`ElementBody` on the server). */
export interface WireElement {
  id: string;
  forId?: string | null;
  type: ElementType;
  name: string;
  mime?: string | null;
  display: ElementDisplay;
  /** A path on the copilot's server (signed, short-lived; renew with `file_url`) or an external URL. */
  url?: string | null;
  bytes?: number | null;
  /** image: small / medium / large */
  size?: "small" | "medium" | "large" | null;
  /** text: shown as code in this language */
  language?: string | null;
  /** text: the text itself (small ones) */
  content?: string | null;
  page?: number | null;
  autoPlay?: boolean;
}

/** A chat message as the server sends it. */
export interface WireMessage {
  id: string;
  threadId?: string | null;
  type: MessageType;
  author?: string | null;
  content: string;
  createdAt?: string;
  streaming?: boolean;
  isError?: boolean;
  parentId?: string | null;
  metadata?: Record<string, unknown>;
  actions?: WireAction[];
  elements?: WireElement[];
  /** The feedback the user gave (on a resumed conversation's messages). */
  feedback?: WireFeedback | null;
  /** On `type: "step"` messages. */
  step?: WireStep | null;
}

/** 1 thumbs up, 0 thumbs down. */
export type FeedbackValue = 0 | 1;

export interface WireFeedback {
  value: FeedbackValue;
  comment?: string | null;
}

/** One past conversation, as `list_threads` answers it. */
export interface ThreadSummary {
  id: string;
  name?: string | null;
  createdAt?: string;
  updatedAt?: string;
}

/** GET {server}/copilot/settings */
export interface ServerSettings {
  protocol: number;
  socket: { path: string; namespace: string; transports?: string[] };
  /** mode (COPILOT_AUTH): "required" (every user signed in), "optional" (anonymous visitors
   * chat too; signed-in ones are identified), "off" (nobody is identified). */
  auth?: { mode?: "required" | "optional" | "off"; required?: boolean };
  /** history: past conversations can be listed and resumed (by signed-in users); feedback: thumbs are stored; uploads: files can be attached. */
  features?: { history?: boolean; feedback?: boolean; uploads?: boolean };
  uploads?: UploadLimits;
  /** urlTtl: seconds a signed file URL is valid. */
  files?: { urlTtl?: number };
  ui?: { name?: string; title?: string };
  limits?: { pageStateBytes?: number };
}

/** What the server takes (checked here before uploading, and again on the server). */
export interface UploadLimits {
  maxFiles: number;
  maxSizeMb: number;
  /** MIME patterns (`image/*`) and extensions (`.csv`). */
  accept: string[];
}

/** One file stored by `POST {server}/copilot/uploads` (201 `{files: [...]}`). */
export interface UploadedFile {
  ref: string;
  id: string;
  name: string;
  mime: string;
  size: number;
  type: ElementType;
}

/** The Socket.IO handshake `auth` payload. */
export interface HandshakeAuth {
  clientType: "copilot";
  accessToken?: string;
  sessionId?: string;
  lastSeq?: number;
  threadId?: string;
  language?: string;
}

export interface SessionInfo {
  seq: number;
  sessionId: string;
  threadId: string | null;
  restored: boolean;
  user: { identifier: string; displayName?: string | null; metadata?: Record<string, unknown> } | null;
  /** The handshake's threadId was resumed (its messages are replayed next). */
  resumedThread?: boolean;
  /** Ids of the resumed thread's messages accepted but never answered (the server holding them stopped). */
  unanswered?: string[];
  /** The `X-Copilot-Upload` header for uploads (null: uploads are off). */
  uploadToken?: string | null;
}

/** Server -> client events (every payload carries `seq`). */
export interface ServerEvents {
  new_message: { seq: number; message: WireMessage };
  update_message: { seq: number; message: WireMessage };
  delete_message: { seq: number; id: string };
  stream_start: { seq: number; message: WireMessage };
  stream_token: { seq: number; id: string; token: string; isSequence?: boolean };
  element: { seq: number; element: WireElement };
  delete_element: { seq: number; id: string; forId?: string | null };
  task_start: { seq: number; messageId?: string | null };
  task_end: { seq: number; messageId?: string | null };
  error: { seq: number; code: string; message: string; event?: string };
  /** `approvalId`: the Allow the user clicked, for a function declared with `confirm`. */
  call_fn: { seq: number; callId: string; name: string; args: unknown; timeout?: number; approvalId?: string | null };
  call_fn_cancel: { seq: number; callId: string; reason?: string };
  /** The handler waits for the user; the question arrived before as `new_message` (`messageId`). */
  ask: {
    seq: number;
    askId: string;
    kind: AskKind;
    messageId: string;
    timeout?: number;
    /** file asks: what may be uploaded, with this grant. */
    accept?: string[];
    maxSizeMb?: number;
    maxFiles?: number;
    uploadToken?: string | null;
  };
  ask_end: { seq: number; askId: string; reason: AskEndReason };
}

export type AskKind = "text" | "action" | "file";
export type AskEndReason = "answered" | "timeout" | "stopped" | "cancelled";

export type ServerEventName = keyof ServerEvents;

/** Events whose arrival goes through seq de-duplication (everything but `session`). */
export const SERVER_EVENTS: ServerEventName[] = [
  "new_message",
  "update_message",
  "delete_message",
  "stream_start",
  "stream_token",
  "element",
  "delete_element",
  "task_start",
  "task_end",
  "error",
  "call_fn",
  "call_fn_cancel",
  "ask",
  "ask_end",
];

/** Client -> server `client_message`. */
export interface ClientMessage {
  clientId: string;
  type: "user_message" | "system_message";
  content: string;
  metadata?: Record<string, unknown>;
  /** The id of an unanswered message this one sends again. */
  resendOf?: string;
  /** `ref`s of uploaded files to attach. */
  files?: string[];
}

/** `askAnswer`: the message answered a waiting ask, so no handler (no task_end) comes for it. */
export type ClientMessageAck =
  | { ok: true; id: string; duplicate?: boolean; askAnswer?: boolean }
  | { ok: false; error: { code: string; message: string } };

export interface ErrorBody {
  code: string;
  message: string;
}

/** Acknowledgement of `action`, `feedback`, `delete_thread` (an `id` may come along). */
export type Ack = { ok: true; id?: string } | { ok: false; error: ErrorBody };

/** Acknowledgement of `file_url`. */
export type FileUrlAck = { ok: true; url: string } | { ok: false; error: ErrorBody };

/** Acknowledgement of `list_threads`. */
export type ThreadListAck = { ok: true; threads: ThreadSummary[]; next?: string | null } | { ok: false; error: ErrorBody };

export type CallFnResult = { callId: string; value: unknown } | { callId: string; error: string };

/** Client -> server `page_state`: what the page declares and shares (see pageTools.ts). */
export interface PageState {
  functions: Array<{ name: string; description: string; parameters: Record<string, unknown>; confirm: boolean }>;
  context: Record<string, { value: unknown; description: string }>;
  url: string;
  title: string;
}
