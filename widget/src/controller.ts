/**
 * One mounted widget: owns the chat state, the transport and the UI state, and tells
 * the Preact views when something changed. Everything the host API does goes through here.
 */
import { callHostFunction, errorText, type CallOutcome } from "./callFn";
import type { ResolvedConfig } from "./config";
import { loadChunk } from "./lazy";
import { onPageToolsChange, pageFunction, pageState } from "./pageTools";
import type {
  FeedbackValue,
  ServerEventName,
  ServerEvents,
  ServerSettings,
  SessionInfo,
  FileUrlAck,
  ThreadListAck,
  ThreadSummary,
  UploadedFile,
  UploadLimits,
  WireAction,
  WireElement,
  WireFeedback,
} from "./protocol";
import {
  ackLocalMessage,
  addLocalMessage,
  clearUnanswered,
  dropLocalMessage,
  failFeedback,
  feedbackOf,
  finishAction,
  initialState,
  markUnanswered,
  receive,
  resetSeq,
  setFeedback,
  startAction,
  type ChatState,
} from "./store";
import { Transport, type ConnectionStatus } from "./transport";
import { uuid } from "./uuid";
import { checkArgs } from "./validate";

/** Changes to the page's functions and context are sent this long after the last one. */
export const PAGE_STATE_DEBOUNCE_MS = 50;

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
  /** What the server offers (from its settings). */
  features: { history: boolean; feedback: boolean };
  /** What the panel shows: the conversation, or the list of past ones. */
  view: "chat" | "history";
  history: HistoryState;
  /** Files the user attached to the next message (uploading, done or refused). */
  uploads: UploadItem[];
  /** What the server takes outside file asks (null: no attaching). */
  uploadLimits: UploadLimits | null;
  /** An element opened in the side view, over the whole panel, or (images) enlarged. */
  viewing: { element: WireElement; mode: "side" | "page" | "zoom" } | null;
}

/** A file the user attached: its upload's progress, then its server reference or why it was refused. */
export interface UploadItem {
  id: string;
  name: string;
  size: number;
  mime: string;
  /** 0..1 */
  progress: number;
  status: "uploading" | "done" | "refused";
  error?: string;
  file?: UploadedFile;
  abort?: () => void;
}

/** What the elements chunk (elements.js) gives; see src/chunks/elements.tsx. */
export interface ElementsChunk {
  addFiles(controller: Controller, files: File[]): void;
  // Components, typed loosely here so the main bundle does not depend on the chunk's code.
  Elements: (props: { controller: Controller; elements: WireElement[] }) => unknown;
  Viewer: (props: { controller: Controller; state: ViewState }) => unknown;
  Attachments: (props: { controller: Controller; state: ViewState }) => unknown;
}

/** The grant and limits uploads go under now: a file ask's, or the session's. */
export interface UploadGrant {
  token: string;
  limits: UploadLimits;
}

/** The list of past conversations (`list_threads`), page by page. */
export interface HistoryState {
  threads: ThreadSummary[];
  /** Cursor of the next page, if any. */
  next: string | null;
  loading: boolean;
  error?: string;
  /** The thread whose delete button was pressed: it asks to confirm. */
  confirming?: string;
}

const HISTORY_PAGE = 20;
const emptyHistory: HistoryState = { threads: [], next: null, loading: false };

/** localStorage, when the page may use it (not in some sandboxed frames or private modes). */
function storage(): Storage | null {
  try {
    return typeof localStorage !== "undefined" ? localStorage : null;
  } catch {
    return null;
  }
}

type Listener = (state: ViewState) => void;

/** A file refused before any upload, with why. */
export function refusedUpload(file: File, error: string): UploadItem {
  return { id: uuid(), name: file.name || "file", size: file.size, mime: file.type, progress: 0, status: "refused", error };
}

export class Controller {
  private state: ViewState;
  private listeners = new Set<Listener>();
  private transport: Transport;
  private announced = new Set<string>();
  private calls = new Map<string, { cancelled: boolean; timer?: ReturnType<typeof setTimeout> }>();
  private pendingThreadId: string | undefined;
  /** Where the current thread id is kept across page loads (with history on). */
  private readonly storageKey: string;
  /** A resumed thread's stored messages are arriving: not announced again. */
  private replaying = false;
  /** Feedback requests go one after another, so the server applies them in order. */
  private feedbackQueue: Promise<unknown> = Promise.resolve();
  /** Bumped by every list_threads request: an older answer is dropped. */
  private historyRequest = 0;
  /** Bumped by every new chat: answers about the previous conversation are dropped. */
  private conversation = 0;
  /** A session was established before: a new one means the old one is gone. */
  private hadSession = false;
  /** A page_state is due (the page changed what it declares or shares). */
  private pageStateTimer: ReturnType<typeof setTimeout> | undefined;
  private pageStateLimit = 64 * 1024;
  private stopWatchingPage: () => void;
  /** Action buttons the user clicked here: the approvals `confirm` functions need. */
  private approvals = new Set<string>();
  private urlTtl = 3600;

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
      features: { history: false, feedback: false },
      view: "chat",
      history: emptyHistory,
      uploads: [],
      uploadLimits: null,
      viewing: null,
    };
    this.storageKey = `copilot-thread:${config.server}`;
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
    this.stopWatchingPage = onPageToolsChange(() => this.schedulePageState());
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
      if (this.replaying) continue;
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

  /**
   * The user typed a message in the composer, with the files attached to it if any (or
   * sends one again: `resendOf`, or `again` for a refused one: its text only).
   */
  sendUserMessage(text: string, metadata?: Record<string, unknown>, resendOf?: string, again = !!resendOf): void {
    const content = text.trim();
    const uploads = again ? [] : this.state.uploads;
    if (uploads.some((u) => u.status === "uploading")) return;
    const done = uploads.filter((u) => u.status === "done" && u.file).map((u) => u.file as UploadedFile);
    if (!content && !done.length) return;
    this.flushPageState(); // the server sees the page as the user does when the message arrives
    const clientId = uuid();
    const author = this.state.user?.displayName || this.state.user?.identifier || "You";
    const elements: WireElement[] = done.map((f) => ({ id: f.id, type: f.type, name: f.name, mime: f.mime, bytes: f.size, display: "inline", url: null }));
    this.setChat(addLocalMessage(this.state.chat, { clientId, content, author, metadata, elements: done.length ? elements : undefined }));
    if (uploads.length) this.set({ uploads: [] });
    this.transport.sendMessage({
      clientId,
      type: "user_message",
      content,
      ...(metadata ? { metadata } : {}),
      ...(resendOf ? { resendOf } : {}),
      ...(done.length ? { files: done.map((f) => f.ref) } : {}),
    });
  }

  /**
   * "Send again" on a message that was not answered (the server holding it stopped) or
   * not accepted (refused for now): its text goes again as a new message.
   */
  resend(messageId: string): void {
    const m = this.state.chat.messages.find((x) => x.id === messageId);
    if (!m || m.type !== "user_message") return;
    const { clientId: _old, ...rest } = (m.metadata || {}) as Record<string, unknown>;
    const metadata = Object.keys(rest).length ? rest : undefined;
    if (m.failed) {
      this.setChat(dropLocalMessage(this.state.chat, messageId));
      this.sendUserMessage(m.content, metadata, undefined, true);
    } else {
      this.setChat(clearUnanswered(this.state.chat, messageId));
      this.sendUserMessage(m.content, metadata, messageId);
    }
  }

  // ---- files ------------------------------------------------------------------------

  /** The user attached files (button, drop, paste): checked and uploaded by the elements chunk. */
  attach(files: File[]): void {
    if (!files.length) return;
    this.transport.start();
    void loadChunk<ElementsChunk>("elements", this.config.server).then(
      (chunk) => chunk.addFiles(this, files),
      () => this.set({ uploads: [...this.state.uploads, ...files.map((f) => refusedUpload(f, "Attaching files is unavailable now."))] }),
    );
  }

  /** Where uploads go now: the pending file ask's grant and limits, else the session's. */
  uploadGrant(): UploadGrant | null {
    const ask = this.state.chat.ask;
    if (ask && ask.kind === "file") return ask.uploadToken && ask.limits ? { token: ask.uploadToken, limits: ask.limits } : null;
    const token = this.transport.uploadToken;
    return token && this.state.uploadLimits ? { token, limits: this.state.uploadLimits } : null;
  }

  setUploads(uploads: UploadItem[]): void {
    this.set({ uploads });
  }

  updateUpload(id: string, patch: Partial<UploadItem>): void {
    this.set({ uploads: this.state.uploads.map((u) => (u.id === id ? { ...u, ...patch } : u)) });
  }

  /** Cancel an upload in progress, or take a file off the message. */
  removeUpload(id: string): void {
    const item = this.state.uploads.find((u) => u.id === id);
    if (item && item.abort) item.abort();
    this.set({ uploads: this.state.uploads.filter((u) => u.id !== id) });
  }

  /** Open an element in the side view, over the whole panel, or enlarged (null closes). */
  view(element: WireElement | null, mode: "side" | "page" | "zoom" = "side"): void {
    this.set({ viewing: element ? { element, mode } : null });
  }

  /** Seconds a signed file URL stays valid (settings). */
  fileUrlTtl(): number {
    return this.urlTtl;
  }

  /** A fresh URL for a stored element whose signed URL expired (null when refused). */
  async renewUrl(elementId: string): Promise<string | null> {
    const ack = await this.transport.request<FileUrlAck>("file_url", { elementId });
    return ack.ok ? ack.url : null;
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
    this.flushPageState();
    this.transport.sendMessage({ clientId: uuid(), type, content, ...(metadata ? { metadata } : {}) });
  }

  stop(): void {
    if (this.state.stopping || !this.state.chat.running) return;
    if (this.transport.sendNow("stop", {})) this.set({ stopping: true });
  }

  /** The user clicked an action button under message `messageId`. */
  runAction(messageId: string, action: WireAction): void {
    if (this.state.chat.marks[messageId]?.actionPending) return;
    this.approvals.add(action.id);
    if (this.approvals.size > 100) this.approvals.delete(this.approvals.values().next().value as string);
    this.setChat(startAction(this.state.chat, messageId));
    void this.transport.request("action", { actionId: action.id }).then((ack) => {
      this.setChat(finishAction(this.state.chat, messageId, ack));
    });
  }

  /** New chat: end the server session and start over with an empty conversation. */
  newChat(threadId?: string): void {
    this.storeThreadId(null);
    this.conversation++;
    this.pendingThreadId = threadId;
    this.announced.clear();
    this.approvals.clear();
    for (const call of this.calls.values()) call.cancelled = true;
    this.calls.clear();
    this.transport.newSession(threadId);
    for (const u of this.state.uploads) if (u.abort) u.abort();
    this.set({ chat: initialState, announcement: "", stopping: false, uploads: [], viewing: null });
  }

  retry(): void {
    this.transport.retry();
  }

  threadId(): string | null {
    return this.transport.currentThreadId ?? this.pendingThreadId ?? this.storedThreadId();
  }

  private storedThreadId(): string | null {
    try {
      return storage()?.getItem(this.storageKey) || null;
    } catch {
      return null;
    }
  }

  private storeThreadId(id: string | null): void {
    try {
      const store = storage();
      if (!store) return;
      if (id) store.setItem(this.storageKey, id);
      else store.removeItem(this.storageKey);
    } catch {
      /* full, or not allowed: the thread is just not kept across page loads */
    }
  }

  // ---- history ----------------------------------------------------------------------

  showHistory(): void {
    if (!this.state.features.history) return;
    this.set({ view: "history", history: { ...emptyHistory, loading: true } });
    void this.loadThreads(false);
  }

  hideHistory(): void {
    this.set({ view: "chat", history: emptyHistory });
  }

  /** The first page of past conversations, or (`more`) the next one. */
  async loadThreads(more: boolean): Promise<void> {
    const before = more ? this.state.history.next : null;
    if (more && !before) return;
    const request = ++this.historyRequest;
    this.set({ history: { ...this.state.history, loading: true, error: undefined } });
    // Still connecting: the session's arrival asks again (see onSession).
    if (this.state.status !== "connected") return;
    const ack = await this.transport.request<ThreadListAck>(
      "list_threads",
      before ? { limit: HISTORY_PAGE, before } : { limit: HISTORY_PAGE },
    );
    if (request !== this.historyRequest || this.state.view !== "history") return;
    const history = this.state.history;
    if (!ack.ok) {
      this.set({ history: { ...history, loading: false, error: ack.error?.message || "Could not load the conversations." } });
      return;
    }
    const shown = more ? history.threads : [];
    const seen = new Set(shown.map((t) => t.id));
    const added = (Array.isArray(ack.threads) ? ack.threads : []).filter((t) => t && typeof t.id === "string" && !seen.has(t.id));
    this.set({ history: { threads: shown.concat(added), next: ack.next || null, loading: false } });
  }

  /** Open a past conversation: the server shows its messages again. */
  openThread(id: string): void {
    this.hideHistory();
    if (id !== this.threadId()) this.newChat(id);
  }

  /** The delete button of `id` was pressed (or, with null, the confirmation cancelled). */
  confirmDelete(id: string | null): void {
    this.set({ history: { ...this.state.history, confirming: id ?? undefined, error: undefined } });
  }

  async deleteThread(id: string): Promise<void> {
    const ack = await this.transport.request("delete_thread", { threadId: id });
    const history = this.state.history;
    if (!ack.ok) {
      this.set({ history: { ...history, confirming: undefined, error: ack.error?.message || "Could not delete it." } });
      return;
    }
    this.set({ history: { ...history, confirming: undefined, threads: history.threads.filter((t) => t.id !== id) } });
    // The open conversation is gone: go on in a new one.
    if (id === this.threadId()) this.newChat();
  }

  // ---- feedback ---------------------------------------------------------------------

  /** A thumb was clicked: give that feedback (and offer a comment), or take it back. */
  rate(messageId: string, value: FeedbackValue): void {
    const previous = feedbackOf(this.state.chat, messageId);
    const next = previous && previous.value === value ? null : { value, comment: null };
    this.setChat(setFeedback(this.state.chat, messageId, next, next !== null));
    this.sendFeedback(messageId, next, previous);
  }

  /** The comment box was sent (an empty comment just closes it). */
  comment(messageId: string, text: string): void {
    const previous = feedbackOf(this.state.chat, messageId);
    const comment = text.trim();
    if (!previous || !comment) {
      this.closeComment(messageId);
      return;
    }
    const next = { value: previous.value, comment };
    this.setChat(setFeedback(this.state.chat, messageId, next, false));
    this.sendFeedback(messageId, next, previous);
  }

  closeComment(messageId: string): void {
    this.setChat(setFeedback(this.state.chat, messageId, feedbackOf(this.state.chat, messageId), false));
  }

  private sendFeedback(messageId: string, next: WireFeedback | null, previous: WireFeedback | null): void {
    const conversation = this.conversation;
    const payload = { messageId, value: next ? next.value : null, ...(next && next.comment ? { comment: next.comment } : {}) };
    this.feedbackQueue = this.feedbackQueue.then(async () => {
      const ack = await this.transport.request("feedback", payload);
      // Dropped when the conversation changed meanwhile (new chat).
      if (!ack.ok && conversation === this.conversation) {
        this.setChat(failFeedback(this.state.chat, messageId, previous, ack.error?.message || "Feedback not sent."));
      }
    });
  }

  // ---- the page's functions and context ---------------------------------------------

  private schedulePageState(): void {
    clearTimeout(this.pageStateTimer);
    this.pageStateTimer = setTimeout(() => this.flushPageState(true), PAGE_STATE_DEBOUNCE_MS);
  }

  /** Send a due page_state now (or, with `force`, whatever is due or not). */
  private flushPageState(force = false): void {
    if (this.pageStateTimer === undefined && !force) return;
    clearTimeout(this.pageStateTimer);
    this.pageStateTimer = undefined;
    // Not connected: the next session sends the whole state anyway.
    if (this.state.status === "connected") this.transport.sendControl("page_state", pageState(this.pageStateLimit));
  }

  destroy(): void {
    clearTimeout(this.pageStateTimer);
    this.stopWatchingPage();
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
    const features = { history: !!s.features?.history, feedback: !!s.features?.feedback };
    const uploadLimits = s.features?.uploads && s.uploads ? s.uploads : null;
    if (s.files && typeof s.files.urlTtl === "number") this.urlTtl = s.files.urlTtl;
    this.set({ assistantName: name, title: s.ui?.title || name, features, uploadLimits });
    const limit = s.limits?.pageStateBytes;
    if (typeof limit === "number" && limit > 0) this.pageStateLimit = limit;
    // Called before the first connect: resume the conversation of the last page load.
    const stored = this.storedThreadId();
    if (!features.history) this.storeThreadId(null);
    else if (stored) this.transport.resumeThread(stored);
  }

  private onSession(s: SessionInfo, isNew: boolean): void {
    this.pendingThreadId = undefined;
    // History belongs to signed-in users: an anonymous visitor (optional sign-in) has
    // nothing to resume, and keeps the thread a signed-in visit stored, if any.
    if (this.state.features.history && s.user && s.threadId) this.storeThreadId(s.threadId);
    this.replaying = !!s.resumedThread && isNew;
    if (this.state.view === "history" && this.state.history.loading) void Promise.resolve().then(() => this.loadThreads(false));
    // A fresh server session numbers its events from the start again.
    let chat = isNew && this.state.chat.lastSeq > 0 ? resetSeq(this.state.chat) : this.state.chat;
    // A new session after an earlier one: that one is gone, with whatever it was answering.
    const reported = Array.isArray(s.unanswered) ? s.unanswered : [];
    chat = markUnanswered(chat, reported, isNew && this.hadSession, !!s.resumedThread);
    this.hadSession = true;
    this.set({ user: s.user ?? null });
    this.setChat(chat);
    // Every session (new or resumed) learns what the page offers, before any message.
    clearTimeout(this.pageStateTimer);
    this.pageStateTimer = undefined;
    this.transport.sendControl("page_state", pageState(this.pageStateLimit));
  }

  private onEvent<K extends ServerEventName>(name: K, payload: ServerEvents[K]): void {
    const chat = receive(this.state.chat, name, payload);
    if (chat === this.state.chat) return; // replayed duplicate or malformed
    // The resumed thread's messages come first; its first handler (on_chat_resume) ends that.
    if (name === "task_start") this.replaying = false;
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
    const declared = pageFunction(String(e.name));
    const outcome = declared ? this.runDeclared(declared, e) : callHostFunction(String(e.name), e.args);
    void outcome.then((result) => {
      clearTimeout(call.timer);
      this.calls.delete(e.callId);
      if (call.cancelled) return;
      this.flushPageState(); // what the function changed reaches the server first
      this.transport.sendControl("call_fn_result", { callId: e.callId, ...result });
    });
  }

  /** A function the page declared: arguments checked, approval required if it asks for one. */
  private async runDeclared(fn: NonNullable<ReturnType<typeof pageFunction>>, e: ServerEvents["call_fn"]): Promise<CallOutcome> {
    const args = e.args && typeof e.args === "object" && !Array.isArray(e.args) ? (e.args as Record<string, unknown>) : {};
    const problems = checkArgs(fn.parameters, args);
    if (problems.length) return { error: `invalid arguments for '${fn.name}': ${problems.join("; ")}` };
    // One click allows one call.
    if (fn.confirm && !(e.approvalId && this.approvals.delete(e.approvalId))) {
      return { error: `'${fn.name}' runs only after the user allows it in the chat` };
    }
    try {
      const value = await fn.handler(args);
      if (value === undefined) return { value: null };
      const json = JSON.stringify(value);
      return json === undefined ? { value: null } : { value: JSON.parse(json) };
    } catch (err) {
      return { error: errorText(err) || "the function failed" };
    }
  }
}
