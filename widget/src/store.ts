/**
 * Chat state and the pure functions that change it. No DOM, no sockets: every
 * function takes a state and returns a new one (or the same object when nothing
 * changed), so the transport can feed it replayed events and tests can drive it.
 */
import type {
  Ack,
  AskKind,
  ClientMessageAck,
  ServerEventName,
  ServerEvents,
  UploadLimits,
  WireElement,
  WireFeedback,
  WireMessage,
} from "./protocol";

export interface ChatMessage extends WireMessage {
  /** Set on messages the user typed here, and on the server's echo of them. */
  clientId?: string;
  /** Optimistic message the server has not acknowledged yet. */
  pending?: boolean;
  /** Why the server refused this message (ack `{ok: false}`). */
  failed?: string;
  /** The refusal's code: some refusals are worth sending again (see RESENDABLE). */
  failedCode?: string;
}

/** Refusals that say "not now" rather than "not this": the same text may be sent again. */
export const RESENDABLE = ["store_unavailable", "too_many_pending"];

/** A handler waiting for the user (between `ask` and `ask_end`). */
export interface AskState {
  askId: string;
  kind: AskKind;
  /** The question, a message shown in the chat. */
  messageId: string;
  /** file asks: what may be uploaded, and the grant to upload it with. */
  limits?: UploadLimits;
  uploadToken?: string | null;
}

/**
 * What the widget knows about a message beyond what the server sent: an action click
 * waiting for its ack, the error it got, a note (an ask that timed out). Kept apart
 * from the message so that an `update_message` does not wipe it.
 */
export interface MessageMark {
  actionPending?: boolean;
  actionError?: string;
  note?: string;
  /** Feedback given here (null: removed); when absent, the message's own `feedback` counts. */
  feedback?: WireFeedback | null;
  /** The comment box under the thumbs is open. */
  commentOpen?: boolean;
  feedbackError?: string;
  /** Accepted, but the server that held it stopped before answering: offer to send it again. */
  unanswered?: boolean;
}

export interface ChatState {
  messages: ChatMessage[];
  /** A server handler is running (between task_start and task_end). */
  running: boolean;
  /** Highest event seq applied; events at or below it are replays and are ignored. */
  lastSeq: number;
  ask: AskState | null;
  /** By message id. */
  marks: Record<string, MessageMark>;
  /** clientIds of the user's messages sent from here whose handler has not ended yet. */
  awaiting: string[];
  /** Elements sent on their own (`element` events), by the message they belong to. */
  elements: Record<string, WireElement[]>;
}

/**
 * Error events about these client events are not shown as chat notices: their ack's
 * error is shown where the user acted (the message, the thumbs, the history list), and a
 * refused call_fn_result or page_state concerns the page, not the user (the console
 * says it).
 */
export const QUIET_ERROR_EVENTS = ["client_message", "call_fn_result", "feedback", "list_threads", "delete_thread", "page_state"];
/** Nor these codes: a stored conversation that cannot be resumed just starts a new one. */
export const QUIET_ERROR_CODES = ["thread_not_found"];

export const initialState: ChatState = { messages: [], running: false, lastSeq: 0, ask: null, marks: {}, awaiting: [], elements: {} };

export const ASK_TIMEOUT_NOTE = "No answer in time; the assistant stopped waiting.";

/** True when an event with this seq was already applied. */
export function isDuplicate(state: ChatState, seq: unknown): boolean {
  return typeof seq === "number" && seq <= state.lastSeq;
}

function clientIdOf(message: WireMessage): string | undefined {
  const id = message.metadata && message.metadata.clientId;
  return typeof id === "string" ? id : undefined;
}

function indexOfMessage(messages: ChatMessage[], id: string, clientId?: string): number {
  let i = messages.findIndex((m) => m.id === id);
  if (i < 0 && clientId) i = messages.findIndex((m) => m.clientId === clientId);
  return i;
}

/** Insert a server message, or replace the one with the same id (or the same clientId). */
export function upsertMessage(messages: ChatMessage[], message: WireMessage): ChatMessage[] {
  const clientId = clientIdOf(message);
  const next: ChatMessage = { ...message, content: message.content ?? "" };
  if (clientId) next.clientId = clientId;
  const i = indexOfMessage(messages, message.id, clientId);
  if (i < 0) return [...messages, next];
  // An update that says nothing about feedback keeps what the message had.
  if (!("feedback" in message) && messages[i].feedback) next.feedback = messages[i].feedback;
  const copy = messages.slice();
  copy[i] = next;
  return copy;
}

function applyStreamToken(messages: ChatMessage[], e: ServerEvents["stream_token"]): ChatMessage[] {
  const i = messages.findIndex((m) => m.id === e.id);
  const token = typeof e.token === "string" ? e.token : "";
  if (i < 0) {
    // The stream_start was lost (it should not be); show the tokens anyway.
    return [...messages, { id: e.id, type: "assistant_message", content: token, streaming: true }];
  }
  const old = messages[i];
  const copy = messages.slice();
  copy[i] = { ...old, content: e.isSequence ? token : old.content + token, streaming: true };
  return copy;
}

function finishStreams(messages: ChatMessage[]): ChatMessage[] {
  if (!messages.some((m) => m.streaming)) return messages;
  return messages.map((m) => (m.streaming ? { ...m, streaming: false } : m));
}

/**
 * Apply one server event. Events whose seq was already seen are ignored (replay after
 * a reconnect); the returned state is then the very same object.
 */
export function receive<K extends ServerEventName>(state: ChatState, name: K, payload: ServerEvents[K]): ChatState {
  if (!payload || typeof payload !== "object") return state;
  const seq = (payload as { seq?: unknown }).seq;
  if (isDuplicate(state, seq)) return state;
  const lastSeq = typeof seq === "number" ? seq : state.lastSeq;
  let { messages, running, ask, marks, awaiting, elements } = state;
  switch (name) {
    case "new_message":
    case "update_message":
    case "stream_start": {
      const e = payload as ServerEvents["new_message"];
      if (e.message && typeof e.message.id === "string") {
        const message = name === "stream_start" ? { ...e.message, streaming: true } : e.message;
        messages = upsertMessage(messages, message);
      }
      break;
    }
    case "delete_message": {
      const id = (payload as ServerEvents["delete_message"]).id;
      if (messages.some((m) => m.id === id)) messages = messages.filter((m) => m.id !== id);
      if (marks[id]) {
        marks = { ...marks };
        delete marks[id];
      }
      break;
    }
    case "stream_token":
      messages = applyStreamToken(messages, payload as ServerEvents["stream_token"]);
      break;
    case "element": {
      const el = (payload as ServerEvents["element"]).element;
      if (isElement(el) && el.forId) {
        const others = (elements[el.forId] || []).filter((x) => x.id !== el.id);
        elements = { ...elements, [el.forId]: [...others, el] };
      }
      break;
    }
    case "delete_element": {
      const id = (payload as ServerEvents["delete_element"]).id;
      elements = Object.fromEntries(Object.entries(elements).map(([k, list]) => [k, list.filter((x) => x.id !== id)]));
      messages = messages.map((m) => (m.elements && m.elements.some((x) => x && x.id === id) ? { ...m, elements: m.elements.filter((x) => x.id !== id) } : m));
      break;
    }
    case "task_start":
      running = true;
      break;
    case "task_end": {
      // Its message was handled (answered, or not, by the app's choice): no longer awaited.
      const id = (payload as ServerEvents["task_end"]).messageId;
      const handled = id ? messages.find((m) => m.id === id) : undefined;
      if (handled?.clientId && awaiting.includes(handled.clientId)) awaiting = awaiting.filter((c) => c !== handled.clientId);
      running = false;
      // A handler that streamed without a final send/update: its stream is over now.
      messages = finishStreams(messages);
      // Its asks are over too (the server says so with ask_end; this is a safety net).
      ask = null;
      break;
    }
    case "ask": {
      const e = payload as ServerEvents["ask"];
      if (typeof e.askId === "string" && typeof e.messageId === "string" && ["text", "action", "file"].includes(e.kind)) {
        ask = { askId: e.askId, kind: e.kind, messageId: e.messageId };
        if (e.kind === "file") {
          ask.limits = { accept: Array.isArray(e.accept) ? e.accept : ["*/*"], maxSizeMb: Number(e.maxSizeMb) || 0, maxFiles: Number(e.maxFiles) || 1 };
          ask.uploadToken = e.uploadToken;
        }
      }
      break;
    }
    case "ask_end": {
      const e = payload as ServerEvents["ask_end"];
      if (ask && ask.askId === e.askId) {
        if (e.reason === "timeout") marks = mark(marks, ask.messageId, { note: ASK_TIMEOUT_NOTE });
        ask = null;
      }
      break;
    }
    case "error": {
      const e = payload as ServerEvents["error"];
      // A refused client_message is already shown on the message itself (from its ack);
      // a refused call_fn_result concerns the page, not the user.
      if ((e.event && QUIET_ERROR_EVENTS.includes(e.event)) || QUIET_ERROR_CODES.includes(e.code)) break;
      messages = [
        ...messages,
        {
          id: `local-error-${typeof seq === "number" ? seq : Date.now()}`,
          type: "assistant_message",
          content: String(e.message || e.code || "Error"),
          isError: true,
          metadata: { code: e.code, event: e.event, local: true },
        },
      ];
      break;
    }
    default:
      // call_fn / call_fn_cancel change no chat state; only the seq counts.
      break;
  }
  return { messages, running, lastSeq, ask, marks, awaiting, elements };
}

const NO_ELEMENTS: WireElement[] = [];

export function isElement(x: unknown): x is WireElement {
  return !!x && typeof x === "object" && typeof (x as WireElement).id === "string" && typeof (x as WireElement).type === "string";
}

/** A message's elements: those it came with, then those sent on their own for it. */
export function elementsOf(state: ChatState, m: ChatMessage): WireElement[] {
  const own = Array.isArray(m.elements) ? m.elements : NO_ELEMENTS;
  const extra = state.elements[m.id];
  if (!extra || !extra.length) return own;
  const ids = new Set(extra.map((x) => x.id));
  return [...own.filter((x) => !ids.has(x.id)), ...extra];
}

function mark(marks: Record<string, MessageMark>, id: string, patch: MessageMark): Record<string, MessageMark> {
  return { ...marks, [id]: { ...marks[id], ...patch } };
}

/** The feedback shown for a message: given here, or stored with it. */
export function feedbackOf(state: ChatState, id: string): WireFeedback | null {
  const m = state.marks[id];
  if (m && m.feedback !== undefined) return m.feedback;
  return state.messages.find((x) => x.id === id)?.feedback ?? null;
}

/** Show feedback (and the comment box's state) for message `id` at once, before the ack. */
export function setFeedback(state: ChatState, id: string, feedback: WireFeedback | null, commentOpen: boolean): ChatState {
  return { ...state, marks: mark(state.marks, id, { feedback, commentOpen, feedbackError: undefined }) };
}

/** The server refused feedback: show `previous` again, and why. */
export function failFeedback(state: ChatState, id: string, previous: WireFeedback | null, error: string): ChatState {
  return { ...state, marks: mark(state.marks, id, { feedback: previous, commentOpen: false, feedbackError: error }) };
}

/** The user clicked one of the actions under message `id`: its buttons wait for the ack. */
export function startAction(state: ChatState, id: string): ChatState {
  return { ...state, marks: mark(state.marks, id, { actionPending: true, actionError: undefined }) };
}

/** The server acknowledged (or refused) an action click. */
export function finishAction(state: ChatState, id: string, ack: Ack): ChatState {
  const error = ack && ack.ok ? undefined : (ack && !ack.ok && ack.error && ack.error.message) || "The action failed";
  return { ...state, marks: mark(state.marks, id, { actionPending: false, actionError: error }) };
}

/** Show a message the user just sent, before the server has it. */
export function addLocalMessage(
  state: ChatState,
  m: {
    clientId: string;
    content: string;
    type?: "user_message" | "system_message";
    author?: string;
    metadata?: Record<string, unknown>;
    elements?: WireElement[];
  },
): ChatState {
  const message: ChatMessage = {
    id: `local-${m.clientId}`,
    clientId: m.clientId,
    type: m.type ?? "user_message",
    author: m.author,
    content: m.content,
    createdAt: new Date().toISOString(),
    metadata: { ...(m.metadata || {}), clientId: m.clientId },
    elements: m.elements,
    pending: true,
  };
  const i = indexOfMessage(state.messages, message.id, m.clientId);
  if (i >= 0) return state; // already shown (or already echoed by the server)
  const awaiting = message.type === "user_message" ? [...state.awaiting, m.clientId] : state.awaiting;
  return { ...state, messages: [...state.messages, message], awaiting };
}

/** The server acknowledged (or refused) a client_message. */
export function ackLocalMessage(state: ChatState, clientId: string, ack: ClientMessageAck): ChatState {
  const i = state.messages.findIndex((m) => m.clientId === clientId);
  if (i < 0) return state;
  const old = state.messages[i];
  const next: ChatMessage = ack && ack.ok
    ? { ...old, id: old.id.startsWith("local-") && ack.id ? ack.id : old.id, pending: false }
    : {
        ...old,
        pending: false,
        failed: (ack && !ack.ok && ack.error && ack.error.message) || "Message not delivered",
        failedCode: (ack && !ack.ok && ack.error && ack.error.code) || undefined,
      };
  const messages = state.messages.slice();
  messages[i] = next;
  // Refused, or an answer to an ask: no handler will end for it.
  const settled = !(ack && ack.ok) || !!ack.askAnswer;
  const awaiting = settled ? state.awaiting.filter((c) => c !== clientId) : state.awaiting;
  return { ...state, messages, awaiting };
}

/**
 * A session started: mark what will never be answered. `serverIds`: the resumed thread's
 * messages the server reports (`session.unanswered`). `lost`: the previous session is gone
 * (the server restarted, or its worker died), so the user's accepted messages still
 * awaiting their handler never get one; unless the thread was `resumed`, where the
 * server, which saw the handlers end, has the final word (an answer given while this page
 * was away shows up in the resumed thread). Messages not yet accepted stay in the outbox
 * and are sent to the new session by themselves.
 */
export function markUnanswered(state: ChatState, serverIds: string[], lost: boolean, resumed = false): ChatState {
  const ids = serverIds.filter((id) => typeof id === "string");
  let awaiting = state.awaiting;
  if (lost && awaiting.length) {
    awaiting = [];
    for (const clientId of state.awaiting) {
      const m = state.messages.find((x) => x.clientId === clientId);
      if (m && m.pending) awaiting.push(clientId);
      else if (m && !resumed && !m.failed && !m.id.startsWith("local-")) ids.push(m.id);
    }
  }
  if (!ids.length && awaiting === state.awaiting) return state;
  let marks = state.marks;
  for (const id of ids) marks = mark(marks, id, { unanswered: true });
  return { ...state, marks, awaiting };
}

/** The user sent message `id` again: it is no longer offered for sending. */
export function clearUnanswered(state: ChatState, id: string): ChatState {
  if (!state.marks[id]?.unanswered) return state;
  return { ...state, marks: mark(state.marks, id, { unanswered: false }) };
}

/** Forget a message shown here that the server never accepted (it is being sent anew). */
export function dropLocalMessage(state: ChatState, id: string): ChatState {
  const messages = state.messages.filter((m) => m.id !== id);
  return messages.length === state.messages.length ? state : { ...state, messages };
}

/** A new server session started (not a resumed one): its seq counter starts again. */
export function resetSeq(state: ChatState): ChatState {
  return { ...state, lastSeq: 0, running: false, ask: null, messages: finishStreams(state.messages) };
}

/** Messages the chat shows: system messages carry context for the server only. */
export function visibleMessages(state: ChatState): ChatMessage[] {
  return state.messages.filter((m) => m.type !== "system_message");
}
