/**
 * A small in-process server speaking the widget protocol (v1), for tests of the real
 * transport over a real socket. It is a reference for the wire contract, not for the
 * Python implementation's internals.
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "socket.io";

export interface Session {
  id: string;
  threadId: string;
  seq: number;
  log: Array<[string, Record<string, unknown>]>;
  socket: Socket | null;
  seenClientIds: Map<string, string>;
}

export interface Received {
  event: string;
  payload: any;
  sessionId: string;
}

export class FakeServer {
  http: HttpServer;
  io: Server;
  url = "";
  sessions = new Map<string, Session>();
  received: Received[] = [];
  handshakes: any[] = [];
  requiredToken: string | null = null;
  /** The refusal's message when the token is missing or wrong. */
  refusal = "not signed in";
  /** What /copilot/settings says the server offers. */
  features = { history: false, feedback: false };
  /** The user the `session` event names (null: an anonymous visitor, as with optional sign-in). */
  user: { identifier: string; displayName: string; metadata: Record<string, unknown> } | null = { identifier: "ann", displayName: "Ann", metadata: {} };
  /** What /copilot/settings says about sign-in (COPILOT_AUTH). */
  authMode: "required" | "optional" | "off" | null = null;
  /** What /copilot/settings says about limits. */
  limits: Record<string, number> = { pageStateBytes: 65536 };
  /** Stored conversations a handshake's threadId can resume (with `features.history`). */
  threads = new Map<string, { name: string | null; updatedAt: string; messages: any[] }>();
  /** Answers `feedback` (the ack); by default `{ok: true}`. */
  onFeedback: (s: Session, payload: any) => unknown = () => ({ ok: true });
  /** What the next `session` event reports as `unanswered`. */
  unanswered: string[] = [];
  /** Replay this many already-seen events too, to exercise client-side de-duplication. */
  replayOverlap = 0;
  onMessage: (s: Session, m: any) => void = () => {};
  /** Answers `action` (the ack, or a Promise of it); by default `{ok: true}`. */
  onAction: (s: Session, payload: any) => unknown = () => ({ ok: true });
  /** Called after `session` was sent (and missed events replayed). */
  onReady: (s: Session, restored: boolean) => void = () => {};
  /** Other HTTP routes (the demo page); return true when handled. */
  routes: (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => boolean = () => false;
  private nextId = 1;

  constructor() {
    this.http = createServer((req, res) => {
      if (req.url === "/copilot/settings") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            protocol: 1,
            socket: { path: "ws/socket.io", namespace: "/copilot", transports: ["websocket"] },
            auth: { mode: this.authMode ?? (this.requiredToken !== null ? "required" : "off"), required: this.requiredToken !== null },
            features: this.features,
            ui: { name: "Helper", title: "Shop helper" },
            limits: this.limits,
          }),
        );
        return;
      }
      if (this.routes(req, res)) return;
      res.writeHead(404);
      res.end();
    });
    this.io = new Server(this.http, { path: "/ws/socket.io", transports: ["websocket"] });
    const nsp = this.io.of("/copilot");
    nsp.use((socket, next) => {
      const auth = socket.handshake.auth || {};
      this.handshakes.push(auth);
      if (this.requiredToken !== null && auth.accessToken !== this.requiredToken) return next(new Error(this.refusal));
      next();
    });
    nsp.on("connection", (socket) => this.onConnection(socket));
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.http.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.io.close();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  emit(s: Session, event: string, payload: Record<string, unknown>): void {
    const data = { ...payload, seq: ++s.seq };
    s.log.push([event, data]);
    if (s.socket && s.socket.connected) s.socket.emit(event, data);
  }

  message(s: Pick<Session, "threadId">, content: string, extra: Record<string, unknown> = {}) {
    return {
      id: `m${this.nextId++}`,
      threadId: s.threadId,
      type: "assistant_message",
      author: "Helper",
      content,
      createdAt: new Date(0).toISOString(),
      streaming: false,
      isError: false,
      parentId: null,
      metadata: {},
      actions: [],
      elements: [],
      ...extra,
    };
  }

  only(): Session {
    const all = [...this.sessions.values()];
    if (all.length !== 1) throw new Error(`expected one session, have ${all.length}`);
    return all[0];
  }

  private onConnection(socket: Socket): void {
    const auth = socket.handshake.auth || {};
    let session = auth.sessionId ? this.sessions.get(auth.sessionId) : undefined;
    const restored = Boolean(session);
    let resumed: any[] | null = null;
    let notFound = false;
    if (!session) {
      const id = `s${this.nextId++}`;
      let threadId = auth.threadId || `t${this.nextId++}`;
      if (auth.threadId && this.features.history) {
        // Like the real server: only a stored thread resumes; anything else starts anew.
        const stored = this.threads.get(auth.threadId);
        if (stored) resumed = stored.messages;
        else {
          notFound = true;
          threadId = `t${this.nextId++}`;
        }
      }
      session = { id, threadId, seq: 0, log: [], socket: null, seenClientIds: new Map() };
      this.sessions.set(id, session);
      if (resumed) for (const message of resumed) this.emit(session, "new_message", { message });
      if (notFound) {
        this.emit(session, "error", {
          code: "thread_not_found",
          message: "That conversation cannot be opened here; a new one started.",
          event: "connect",
        });
      }
    }
    const s = session;
    s.socket = socket;
    const record = (event: string, payload: any) => this.received.push({ event, payload, sessionId: s.id });

    socket.on("ready", (payload: { lastSeq?: number }) => {
      record("ready", payload);
      socket.emit("session", {
        seq: s.seq,
        sessionId: s.id,
        threadId: s.threadId,
        restored,
        user: this.user,
        resumedThread: resumed !== null,
        unanswered: this.unanswered,
      });
      if (!restored) {
        for (const [event, data] of s.log) socket.emit(event, data);
      } else {
        const from = Math.max(0, (payload?.lastSeq ?? 0) - this.replayOverlap);
        for (const [event, data] of s.log) if ((data.seq as number) > from) socket.emit(event, data);
      }
      this.onReady(s, restored);
    });
    socket.on("client_message", (m: any, ack: (r: unknown) => void) => {
      record("client_message", m);
      const known = s.seenClientIds.get(m.clientId);
      if (known) return ack({ ok: true, id: known });
      const id = `u${this.nextId++}`;
      s.seenClientIds.set(m.clientId, id);
      ack({ ok: true, id });
      if (m.type === "user_message") {
        this.emit(s, "new_message", { message: this.message(s, m.content, { id, type: "user_message", author: "Ann", metadata: { clientId: m.clientId } }) });
      }
      this.onMessage(s, m);
    });
    socket.on("action", (payload: any, ack: (r: unknown) => void) => {
      record("action", payload);
      void Promise.resolve(this.onAction(s, payload)).then((answer) => {
        if (typeof ack === "function") ack(answer);
      });
    });
    socket.on("feedback", (payload: any, ack: (r: unknown) => void) => {
      record("feedback", payload);
      ack(this.onFeedback(s, payload));
    });
    socket.on("list_threads", (payload: any, ack: (r: unknown) => void) => {
      record("list_threads", payload);
      const all = [...this.threads.entries()].map(([id, t]) => ({ id, name: t.name, createdAt: t.updatedAt, updatedAt: t.updatedAt }));
      const start = payload?.before ? Number(payload.before) : 0;
      const end = start + (payload?.limit ?? 20);
      ack({ ok: true, threads: all.slice(start, end), next: end < all.length ? String(end) : null });
    });
    socket.on("delete_thread", (payload: any, ack: (r: unknown) => void) => {
      record("delete_thread", payload);
      if (!this.threads.delete(payload?.threadId)) {
        ack({ ok: false, error: { code: "not_found", message: "delete_thread: no such conversation." } });
      } else ack({ ok: true });
    });
    for (const event of ["call_fn_result", "stop", "end_session", "page_state"]) {
      socket.on(event, (payload: unknown, ack?: () => void) => {
        record(event, payload);
        if (event === "end_session") this.sessions.delete(s.id);
        if (typeof ack === "function") ack();
      });
    }
  }
}

export async function until(cond: () => boolean, what = "condition", timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
