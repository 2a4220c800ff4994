/**
 * The connection to the copilot server: settings fetch, Socket.IO handshake, session
 * resume, seq bookkeeping for replay, and the outbox that delivers what the user typed
 * exactly once across reconnects. Knows nothing about the DOM.
 */
import { io, type Socket } from "socket.io-client";
import {
  PROTOCOL_VERSION,
  SERVER_EVENTS,
  type Ack,
  type ClientMessage,
  type ClientMessageAck,
  type ErrorBody,
  type HandshakeAuth,
  type ServerEventName,
  type ServerEvents,
  type ServerSettings,
  type SessionInfo,
} from "./protocol";

export type ConnectionStatus =
  | "idle" // nothing attempted yet (the widget connects lazily)
  | "connecting" // first connection in progress
  | "connected" // session established
  | "reconnecting" // connection lost, retrying automatically
  | "failed" // refused or unreachable; needs retry()
  | "unauthenticated"; // refused as not signed in: no retries until remounted

export interface TransportOptions {
  server: string;
  accessToken?: string;
  language?: string;
  transports?: string[];
}

export interface TransportHandlers {
  /** Highest seq the chat state has applied (sent as lastSeq on resume). */
  getLastSeq(): number;
  onSettings(settings: ServerSettings): void;
  /** A session started or resumed. Called before queued messages are flushed. */
  onSession(session: SessionInfo, isNew: boolean): void;
  onEvent<K extends ServerEventName>(name: K, payload: ServerEvents[K]): void;
  onStatus(status: ConnectionStatus, detail?: string): void;
  onAck(clientId: string, ack: ClientMessageAck): void;
}

const DEFAULT_TRANSPORTS = ["websocket"];
const SETTINGS_RETRY_MAX_MS = 30_000;
const END_SESSION_ACK_TIMEOUT_MS = 1000;
const REQUEST_ACK_TIMEOUT_MS = 15_000;

export async function fetchSettings(server: string, accessToken?: string, fetchImpl: typeof fetch = fetch): Promise<ServerSettings> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const res = await fetchImpl(`${server}/copilot/settings`, { headers });
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      const body = await res.json();
      message = (body && (body.error?.message || body.message || body.error)) || message;
    } catch {
      /* not JSON */
    }
    throw new Error(String(message));
  }
  const settings = (await res.json()) as ServerSettings;
  if (!settings || !settings.socket || typeof settings.socket.path !== "string") {
    throw new Error("the server's /copilot/settings answer has no socket settings");
  }
  if (settings.protocol !== PROTOCOL_VERSION) {
    throw new Error(`unsupported protocol version ${settings.protocol} (this widget speaks ${PROTOCOL_VERSION})`);
  }
  return settings;
}

interface OutboxItem {
  message: ClientMessage;
  inflight: boolean;
}

export class Transport {
  private socket: Socket | null = null;
  private settings: ServerSettings | null = null;
  private status: ConnectionStatus = "idle";
  private ready = false; // connected and `session` received
  private everConnected = false;
  private sessionId: string | undefined;
  private threadId: string | undefined;
  private grant: string | null = null;
  private outbox: OutboxItem[] = [];
  private control: Array<[string, unknown]> = [];
  private settingsRetryMs = 1000;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly options: TransportOptions,
    private readonly handlers: TransportHandlers,
  ) {}

  get currentStatus(): ConnectionStatus {
    return this.status;
  }

  get currentThreadId(): string | null {
    return this.threadId ?? null;
  }

  /** The session's upload grant (from its `session` event). */
  get uploadToken(): string | null {
    return this.grant;
  }

  /** Connect if not done yet. Safe to call repeatedly. */
  start(): void {
    if (this.closed || this.status !== "idle") return;
    this.setStatus("connecting");
    void this.loadSettingsAndConnect();
  }

  /**
   * Resume this stored conversation on the first connect (before any session). A
   * thread the server does not find for this user starts a new one instead.
   */
  resumeThread(threadId: string): void {
    if (!this.sessionId && !this.threadId) this.threadId = threadId;
  }

  /** After a refusal or an unreachable server: try again now. */
  retry(): void {
    if (this.closed || this.status === "unauthenticated") return;
    clearTimeout(this.timer);
    if (!this.settings || !this.socket) {
      this.setStatus(this.everConnected ? "reconnecting" : "connecting");
      void this.loadSettingsAndConnect();
    } else if (!this.socket.connected) {
      this.setStatus(this.everConnected ? "reconnecting" : "connecting");
      this.socket.connect();
    }
  }

  /** Queue a client_message; it is sent (once) as soon as a session is up. */
  sendMessage(message: ClientMessage): void {
    this.outbox.push({ message, inflight: false });
    this.start();
    this.flush();
  }

  /** Queue a control event (e.g. call_fn_result) to be sent when a session is up. */
  sendControl(event: string, payload: unknown): void {
    if (this.ready && this.socket) this.socket.emit(event, payload);
    else this.control.push([event, payload]);
  }

  /** Fire-and-forget control event that only makes sense right now (e.g. stop). */
  sendNow(event: string, payload: unknown): boolean {
    if (!this.ready || !this.socket) return false;
    this.socket.emit(event, payload);
    return true;
  }

  /**
   * An event that needs the server's answer now (e.g. an action click): its ack, or
   * `ok: false` when not connected or when no ack arrives in time. Never queued: a
   * click made offline would otherwise land much later, out of its context.
   */
  request<T extends { ok: boolean } = Ack>(
    event: string,
    payload: unknown,
    timeoutMs = REQUEST_ACK_TIMEOUT_MS,
  ): Promise<T | { ok: false; error: ErrorBody }> {
    const socket = this.socket;
    if (!this.ready || !socket) {
      return Promise.resolve({ ok: false, error: { code: "not_connected", message: "Not connected to the assistant." } });
    }
    return new Promise((resolve) => {
      socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, ack: T) => {
        if (err) resolve({ ok: false, error: { code: "no_answer", message: "The assistant did not answer." } });
        else resolve(ack && typeof ack === "object" ? ack : ({ ok: true } as T));
      });
    });
  }

  /**
   * Start a new conversation: tell the server to end this session, then reconnect
   * without a sessionId (and with `threadId`, if one is given).
   */
  newSession(threadId?: string): void {
    const socket = this.socket;
    const wasReady = this.ready;
    this.sessionId = undefined;
    this.threadId = threadId;
    this.outbox = [];
    this.control = [];
    this.ready = false;
    if (!socket) return;
    this.setStatus("connecting");
    const reconnect = () => {
      if (this.closed || this.socket !== socket) return;
      socket.disconnect();
      socket.connect();
    };
    if (!wasReady) return reconnect();
    // Wait for the server to have handled end_session (its ack) before closing: a
    // server may drop events that arrive in the same breath as the disconnect.
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reconnect();
    };
    const timer = setTimeout(once, END_SESSION_ACK_TIMEOUT_MS);
    socket.emit("end_session", {}, once);
  }

  /** Close for good (unmount). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.ready = false;
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.disconnect();
      this.socket = null;
    }
  }

  private setStatus(status: ConnectionStatus, detail?: string): void {
    this.status = status;
    this.handlers.onStatus(status, detail);
  }

  private async loadSettingsAndConnect(): Promise<void> {
    try {
      if (!this.settings) {
        this.settings = await fetchSettings(this.options.server, this.options.accessToken);
        if (this.closed) return;
        this.handlers.onSettings(this.settings);
      }
      this.settingsRetryMs = 1000;
      this.connect(this.settings);
    } catch (err) {
      if (this.closed) return;
      // Unreachable or misconfigured server: say so, and keep retrying with backoff.
      this.setStatus("failed", `Cannot reach the assistant: ${(err as Error).message || err}`);
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.retry(), this.settingsRetryMs);
      this.settingsRetryMs = Math.min(this.settingsRetryMs * 2, SETTINGS_RETRY_MAX_MS);
    }
  }

  private handshakeAuth(): HandshakeAuth {
    const auth: HandshakeAuth = { clientType: "copilot" };
    if (this.options.accessToken) auth.accessToken = this.options.accessToken;
    if (this.sessionId) {
      auth.sessionId = this.sessionId;
      const lastSeq = this.handlers.getLastSeq();
      if (lastSeq > 0) auth.lastSeq = lastSeq;
    }
    if (this.threadId) auth.threadId = this.threadId;
    if (this.options.language) auth.language = this.options.language;
    return auth;
  }

  private connect(settings: ServerSettings): void {
    if (this.socket) return;
    const origin = new URL(this.options.server).origin;
    const namespace = settings.socket.namespace || "/copilot";
    const transports = this.options.transports ?? settings.socket.transports ?? DEFAULT_TRANSPORTS;
    const socket = io(origin + namespace, {
      path: "/" + settings.socket.path.replace(/^\/+/, ""),
      transports,
      forceNew: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      // Called on every (re)connect, so a reconnect resumes the session it lost.
      auth: (cb) => cb(this.handshakeAuth() as unknown as Record<string, unknown>),
    });
    this.socket = socket;

    socket.on("connect", () => {
      const lastSeq = this.sessionId ? this.handlers.getLastSeq() : 0;
      socket.emit("ready", lastSeq > 0 ? { lastSeq } : {});
    });

    socket.on("session", (info: SessionInfo) => {
      if (!info || typeof info.sessionId !== "string") return;
      const isNew = !info.restored;
      this.sessionId = info.sessionId;
      this.threadId = info.threadId ?? undefined;
      this.grant = info.uploadToken ?? null;
      this.handlers.onSession(info, isNew);
      this.ready = true;
      this.everConnected = true;
      this.setStatus("connected");
      this.flush();
    });

    for (const name of SERVER_EVENTS) {
      // Not before `session` (the server sends nothing earlier), nor once a new chat has
      // been asked for: a late event of the ending session must not land in the new one.
      socket.on(name, (payload: ServerEvents[typeof name]) => {
        if (this.ready) this.handlers.onEvent(name, payload);
      });
    }

    socket.on("disconnect", (reason) => {
      this.ready = false;
      for (const item of this.outbox) item.inflight = false; // resend after reconnect; the server dedupes by clientId
      if (this.closed) return;
      if (socket.active) this.setStatus("reconnecting");
      else if (reason === "io server disconnect") this.setStatus("failed", "The server closed the connection.");
    });

    socket.on("connect_error", (err: Error) => {
      if (this.closed) return;
      if (socket.active) {
        // Network trouble: socket.io retries by itself.
        this.setStatus(this.everConnected ? "reconnecting" : "connecting", err.message);
      } else if (/^not_authenticated\b/.test(err.message || "")) {
        // No identity (logged out, or the token expired): retrying cannot help.
        this.ready = false;
        this.setStatus("unauthenticated", err.message);
      } else {
        // Refused by the server (e.g. "not signed in"): no automatic retry.
        this.setStatus("failed", err.message || "Connection refused");
      }
    });
  }

  private flush(): void {
    const socket = this.socket;
    if (!this.ready || !socket) return;
    const control = this.control;
    this.control = [];
    for (const [event, payload] of control) socket.emit(event, payload);
    for (const item of this.outbox) {
      if (item.inflight) continue;
      item.inflight = true;
      socket.emit("client_message", item.message, (ack: ClientMessageAck) => {
        const i = this.outbox.indexOf(item);
        if (i < 0) return; // already acknowledged by an earlier send
        this.outbox.splice(i, 1);
        this.handlers.onAck(item.message.clientId, ack);
      });
    }
  }
}
