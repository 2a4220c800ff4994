/**
 * One mounted widget: owns the chat state, the transport and the UI state, and tells
 * the Preact views when something changed. Everything the host API does goes through here.
 */
import { callHostFunction } from "./callFn";
import type { ResolvedConfig } from "./config";
import type { ServerEventName, ServerEvents, ServerSettings, SessionInfo, WireAction } from "./protocol";
import {
  ackLocalMessage,
  addLocalMessage,
  finishAction,
  initialState,
  receive,
  resetSeq,
  startAction,
  type ChatState,
} from "./store";
import { Transport, type ConnectionStatus } from "./transport";
import { uuid } from "./uuid";

export interface HostMessage {
  type?: "system_message" | "user_message";
  output?: string;
  content?: string;
  metadata?: Record<string, unknown>;
}

export interface ViewState {
  open: boolean;
  expanded: boolean;
  status: ConnectionStatus;
  statusDetail?: string;
  title: string;
  assistantName: string;
  user: SessionInfo["user"];
  chat: ChatState;
  /** Text for the polite live region (one finished reply at a time). */
  announcement: string;
  /** The user pressed stop; the handler has not ended yet. */
  stopping: boolean;
}

type Listener = (state: ViewState) => void;

export class Controller {
  private state: ViewState;
  private listeners = new Set<Listener>();
  private transport: Transport;
  private announced = new Set<string>();
  private calls = new Map<string, { cancelled: boolean; timer?: ReturnType<typeof setTimeout> }>();
  private pendingThreadId: string | undefined;

  constructor(readonly config: ResolvedConfig) {
    this.state = {
      open: false,
      expanded: config.expanded,
      status: "idle",
      title: "Assistant",
      assistantName: "Assistant",
      user: null,
      chat: initialState,
      announcement: "",
      stopping: false,
    };
    this.transport = new Transport(
      {
        server: config.server,
        accessToken: config.accessToken,
        language: config.language ?? (typeof navigator !== "undefined" ? navigator.language : undefined),
        transports: config.transports,
      },
      {
        getLastSeq: () => this.state.chat.lastSeq,
        onSettings: (s) => this.onSettings(s),
        onSession: (s, isNew) => this.onSession(s, isNew),
        onEvent: (name, payload) => this.onEvent(name, payload),
        onStatus: (status, statusDetail) => this.set({ status, statusDetail }),
        onAck: (clientId, ack) => {
          this.setChat(ackLocalMessage(this.state.chat, clientId, ack));
          if (!ack || !ack.ok) this.set({ announcement: `Message not sent: ${(ack && !ack.ok && ack.error?.message) || "error"}` });
        },
      },
    );
    if (config.opened) this.open();
  }

  getState(): ViewState {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The launcher button, registered by the view, so focus can return to it. */
  launcher: HTMLElement | null = null;

  focusLauncher(): void {
    if (this.launcher) this.launcher.focus();
  }

  private set(patch: Partial<ViewState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l(this.state);
  }

  private setChat(chat: ChatState): void {
    if (chat === this.state.chat) return;
    const patch: Partial<ViewState> = { chat };
    const announcement = this.nextAnnouncement(chat);
    if (announcement !== undefined) patch.announcement = announcement;
    if (!chat.running) patch.stopping = false;
    this.set(patch);
  }

  /** The text of assistant replies that just became complete, announced once each. */
  private nextAnnouncement(chat: ChatState): string | undefined {
    const done: string[] = [];
    for (const m of chat.messages) {
      if (m.type !== "assistant_message" || m.streaming || this.announced.has(m.id)) continue;
      this.announced.add(m.id);
      const text = m.content.replace(/[*_`#>|~]+/g, "").replace(/\s+/g, " ").trim();
      if (!text) continue;
      const who = m.isError ? "Error" : m.author || this.state.assistantName;
      done.push(`${who}: ${text.length > 600 ? text.slice(0, 600) + "…" : text}`);
    }
    if (!done.length) return undefined;
    const text = done.join("\n");
    // Screen readers only speak a live region when its text changes.
    return text === this.state.announcement ? text + "\u00a0" : text;
  }

  // ---- UI actions -------------------------------------------------------------------

  open(): void {
    this.transport.start();
    if (!this.state.open) this.set({ open: true });
  }

  close(): void {
    if (this.state.open) this.set({ open: false });
  }

  toggle(): void {
    if (this.state.open) this.close();
    else this.open();
  }

  setExpanded(expanded: boolean): void {
    this.set({ expanded });
  }

  /** The user typed a message in the composer. */
  sendUserMessage(text: string, metadata?: Record<string, unknown>): void {
    const content = text.trim();
    if (!content) return;
    const clientId = uuid();
    const author = this.state.user?.displayName || this.state.user?.identifier || "You";
    this.setChat(addLocalMessage(this.state.chat, { clientId, content, author, metadata }));
    this.transport.sendMessage({ clientId, type: "user_message", content, ...(metadata ? { metadata } : {}) });
  }

  /** sendCopilotMessage from the host page. */
  sendHostMessage(message: HostMessage): void {
    if (!message || typeof message !== "object") throw new TypeError("copilot: sendCopilotMessage needs an object");
    const type = message.type === "user_message" ? "user_message" : "system_message";
    const raw = message.output ?? message.content ?? "";
    const content = typeof raw === "string" ? raw : JSON.stringify(raw);
    const metadata = message.metadata && typeof message.metadata === "object" ? message.metadata : undefined;
    if (type === "user_message") {
      this.sendUserMessage(content, metadata);
      return;
    }
    this.transport.sendMessage({ clientId: uuid(), type, content, ...(metadata ? { metadata } : {}) });
  }

  stop(): void {
    if (this.state.stopping || !this.state.chat.running) return;
    if (this.transport.sendNow("stop", {})) this.set({ stopping: true });
  }

  /** The user clicked an action button under message `messageId`. */
  runAction(messageId: string, action: WireAction): void {
    if (this.state.chat.marks[messageId]?.actionPending) return;
    this.setChat(startAction(this.state.chat, messageId));
    void this.transport.request("action", { actionId: action.id }).then((ack) => {
      this.setChat(finishAction(this.state.chat, messageId, ack));
    });
  }

  /** New chat: end the server session and start over with an empty conversation. */
  newChat(threadId?: string): void {
    this.pendingThreadId = threadId;
    this.announced.clear();
    for (const call of this.calls.values()) call.cancelled = true;
    this.calls.clear();
    this.transport.newSession(threadId);
    this.set({ chat: initialState, announcement: "", stopping: false });
  }

  retry(): void {
    this.transport.retry();
  }

  threadId(): string | null {
    return this.transport.currentThreadId ?? this.pendingThreadId ?? null;
  }

  destroy(): void {
    for (const call of this.calls.values()) {
      call.cancelled = true;
      clearTimeout(call.timer);
    }
    this.transport.close();
    this.listeners.clear();
  }

  // ---- server side ------------------------------------------------------------------

  private onSettings(s: ServerSettings): void {
    const name = s.ui?.name || "Assistant";
    this.set({ assistantName: name, title: s.ui?.title || name });
  }

  private onSession(s: SessionInfo, isNew: boolean): void {
    this.pendingThreadId = undefined;
    // A fresh server session numbers its events from the start again.
    const chat = isNew && this.state.chat.lastSeq > 0 ? resetSeq(this.state.chat) : this.state.chat;
    this.set({ user: s.user ?? null });
    this.setChat(chat);
  }

  private onEvent<K extends ServerEventName>(name: K, payload: ServerEvents[K]): void {
    const chat = receive(this.state.chat, name, payload);
    if (chat === this.state.chat) return; // replayed duplicate or malformed
    this.setChat(chat);
    if (name === "error") {
      const e = payload as ServerEvents["error"];
      console.warn(`copilot: server error ${e.code}${e.event ? ` (${e.event})` : ""}: ${e.message}`);
    }
    if (name === "call_fn") this.runCall(payload as ServerEvents["call_fn"]);
    else if (name === "call_fn_cancel") {
      // The server stopped waiting: whatever the page answers later is dropped.
      const callId = (payload as ServerEvents["call_fn_cancel"]).callId;
      const call = this.calls.get(callId);
      if (call) {
        call.cancelled = true;
        clearTimeout(call.timer);
        this.calls.delete(callId);
      }
    }
  }

  private runCall(e: ServerEvents["call_fn"]): void {
    if (typeof e.callId !== "string" || this.calls.has(e.callId)) return;
    const call: { cancelled: boolean; timer?: ReturnType<typeof setTimeout> } = { cancelled: false };
    this.calls.set(e.callId, call);
    if (typeof e.timeout === "number" && e.timeout > 0) {
      // Seconds, as on the server. Past it the server has given up; forget the call.
      call.timer = setTimeout(() => {
        call.cancelled = true;
        this.calls.delete(e.callId);
      }, e.timeout * 1000);
    }
    void callHostFunction(String(e.name), e.args).then((outcome) => {
      clearTimeout(call.timer);
      this.calls.delete(e.callId);
      if (call.cancelled) return;
      this.transport.sendControl("call_fn_result", { callId: e.callId, ...outcome });
    });
  }
}
