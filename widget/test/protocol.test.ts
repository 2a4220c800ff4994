/**
 * The real transport against an in-process Socket.IO server speaking protocol v1:
 * settings, handshake, session resume with replay, the offline outbox, function calls.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import "../src/index";
import { FakeServer, until } from "./fakeServer";

let server: FakeServer;
const shadow = () => document.getElementById("copilot-widget")!.shadowRoot!;
const texts = (sel: string) => Array.from(shadow().querySelectorAll(sel)).map((e) => e.textContent);
const clientMessages = () => server.received.filter((r) => r.event === "client_message").map((r) => r.payload);

async function type(text: string) {
  const textarea = shadow().querySelector("textarea")!;
  textarea.value = text;
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
  await new Promise((r) => setTimeout(r, 0));
  textarea.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
}

beforeEach(async () => {
  server = new FakeServer();
  await server.start();
});
afterEach(async () => {
  window.unmountCopilotWidget();
  await server.stop();
});

describe("protocol", () => {
  it("queues sendCopilotMessage before the panel was opened and delivers it", async () => {
    window.mountChainlitWidget({ chainlitServer: server.url });
    window.sendChainlitMessage({ type: "system_message", output: "user selected A1:B2", metadata: { cells: 4 } });
    await until(() => clientMessages().length === 1, "system message at the server");
    expect(clientMessages()[0]).toMatchObject({ type: "system_message", content: "user selected A1:B2", metadata: { cells: 4 } });
    expect(clientMessages()[0].clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.handshakes[0]).toMatchObject({ clientType: "copilot" });
    expect(server.handshakes[0].sessionId).toBeUndefined();
    // System messages are context for the server, not chat lines.
    expect(shadow().querySelectorAll(".cp-msg")).toHaveLength(0);
    expect(window.getCopilotThreadId()).toBe(server.only().threadId);
  });

  it("sends a typed message, merges its echo, streams the reply and announces it once", async () => {
    server.onMessage = (s, m) => {
      if (m.type !== "user_message") return;
      server.emit(s, "task_start", {});
      const reply = server.message(s, "**Hel", { streaming: true });
      server.emit(s, "stream_start", { message: reply });
      server.emit(s, "stream_token", { id: reply.id, token: "lo**, " });
      server.emit(s, "stream_token", { id: reply.id, token: "*world*" });
      server.emit(s, "update_message", { message: { ...reply, content: "**Hello**, *world*", streaming: false } });
      server.emit(s, "task_end", {});
    };
    window.mountCopilotWidget({ server: server.url, accessToken: "tok-1", language: "fr-FR" });
    window.toggleCopilot();
    await until(() => texts(".cp-title")[0] === "Shop helper", "settings applied");
    await type("hi **there**");
    await until(() => shadow().querySelector(".cp-msg[data-type=assistant_message] strong")?.textContent === "Hello", "reply");
    expect(clientMessages()).toHaveLength(1);
    expect(server.handshakes[0]).toMatchObject({ clientType: "copilot", accessToken: "tok-1", language: "fr-FR" });
    // One user message (optimistic + echo merged), shown as typed, as "You" (the echo says "Ann").
    const users = shadow().querySelectorAll(".cp-msg[data-type=user_message]");
    expect(users).toHaveLength(1);
    expect(users[0].querySelector(".cp-bubble")!.textContent).toBe("hi **there**");
    expect(users[0].querySelector(".cp-author")!.textContent).toBe("You");
    expect(shadow().querySelector(".cp-msg[data-type=assistant_message] .cp-author")!.textContent).toBe("Helper");
    await until(() => shadow().querySelector(".cp-typing") === null, "typing indicator gone");
    const live = shadow().querySelector("[aria-live=polite]")!;
    expect(live.textContent).toBe("Helper: Hello, world");
  });

  it("shows typing and a stop button while a handler runs; stop reaches the server", async () => {
    server.onMessage = (s) => server.emit(s, "task_start", {});
    window.mountCopilotWidget({ server: server.url, opened: true });
    await type("long job");
    await until(() => shadow().querySelector(".cp-stop") !== null, "stop button");
    expect(shadow().querySelector(".cp-typing")).not.toBeNull();
    shadow().querySelector<HTMLButtonElement>(".cp-stop")!.click();
    await until(() => server.received.some((r) => r.event === "stop"), "stop at the server");
    server.emit(server.only(), "task_end", {});
    await until(() => shadow().querySelector(".cp-stop") === null, "stop button gone");
  });

  it("resumes after a connection drop: replays missed events once, sends queued messages once", async () => {
    server.replayOverlap = 3; // the server also resends events the client already has
    window.mountCopilotWidget({ server: server.url, opened: true });
    await type("first");
    await until(() => clientMessages().length === 1 && !shadow().querySelector(".cp-msg[data-pending]"), "first delivered");
    const s = server.only();
    server.emit(s, "new_message", { message: server.message(s, "before the drop") });
    await until(() => texts(".cp-md").includes("before the drop"), "message before drop");

    s.socket!.conn.close(); // network drop
    await until(() => shadow().querySelector(".cp-banner")?.textContent?.includes("Reconnecting") === true, "banner");
    await type("typed offline");
    server.emit(s, "new_message", { message: server.message(s, "missed while offline") });

    await until(() => texts(".cp-md").includes("missed while offline"), "replayed message");
    await until(() => clientMessages().some((m) => m.content === "typed offline"), "queued message sent");
    await until(() => shadow().querySelector(".cp-banner") === null, "banner gone");
    const resume = server.handshakes[server.handshakes.length - 1];
    expect(resume.sessionId).toBe(s.id);
    expect(resume.lastSeq).toBe(2); // the echo of "first" and "before the drop"
    await until(() => texts(".cp-msg[data-type=user_message] .cp-bubble").length === 2, "echo of offline message");
    expect(clientMessages().filter((m) => m.content === "typed offline")).toHaveLength(1);
    expect(texts(".cp-md").filter((t) => t === "before the drop")).toHaveLength(1);
    expect(texts(".cp-md").filter((t) => t === "missed while offline")).toHaveLength(1);
    expect(texts(".cp-msg[data-type=user_message] .cp-bubble")).toEqual(["first", "typed offline"]);
    expect(server.sessions.size).toBe(1);
  });

  it("after losing its session, shows an accepted message as not answered and sends it again", async () => {
    server.onMessage = (s) => server.emit(s, "task_start", { messageId: s.seenClientIds.values().next().value });
    window.mountCopilotWidget({ server: server.url, opened: true });
    await type("plan my trip");
    await until(() => clientMessages().length === 1 && !shadow().querySelector(".cp-msg[data-pending]"), "accepted");
    const lost = server.only();
    const acceptedId = lost.seenClientIds.get(clientMessages()[0].clientId)!;
    // The server holding the session dies: the session is gone, the socket drops.
    server.sessions.delete(lost.id);
    lost.socket!.conn.close();
    await until(() => server.sessions.size === 1, "a new session");
    await until(() => shadow().querySelector(".cp-unanswered") !== null, "not answered shown");
    expect(shadow().querySelector(".cp-unanswered")!.textContent).toBe("Not answered. Send again");
    shadow().querySelector<HTMLButtonElement>(".cp-resend")!.click();
    await until(() => clientMessages().length === 2, "sent again");
    expect(clientMessages()[1]).toMatchObject({ content: "plan my trip", resendOf: acceptedId, type: "user_message" });
    expect(clientMessages()[1].clientId).not.toBe(clientMessages()[0].clientId);
    await until(() => shadow().querySelector(".cp-unanswered") === null, "mark cleared");
    expect(texts(".cp-msg[data-type=user_message] .cp-bubble")).toEqual(["plan my trip", "plan my trip"]);
  });

  it("marks the messages the server reports as unanswered in a resumed thread", async () => {
    server.features = { history: true, feedback: false };
    const question = server.message({ threadId: "t-old" }, "what about Lisbon?", { id: "u-old", type: "user_message" });
    server.threads.set("t-old", { name: "Trip", updatedAt: new Date(0).toISOString(), messages: [question] });
    server.unanswered = ["u-old"];
    localStorage.setItem(`copilot-thread:${server.url}`, "t-old");
    window.mountCopilotWidget({ server: server.url, opened: true });
    await until(() => shadow().querySelector(".cp-unanswered") !== null, "not answered shown");
    localStorage.clear();
  });

  it("answers call_fn through the page's chainlit-call-fn listener (the seed page)", async () => {
    const listener = (e: Event) => {
      const { name, args, callback } = (e as CustomEvent).detail;
      if (name === "test") callback("You sent: " + args.msg);
    };
    window.addEventListener("chainlit-call-fn", listener);
    try {
      server.onMessage = (s, m) => server.emit(s, "call_fn", { callId: "call-1", name: "test", args: { msg: m.content }, timeout: 5 });
      window.mountChainlitWidget({ chainlitServer: server.url, opened: true });
      await type("ping");
      await until(() => server.received.some((r) => r.event === "call_fn_result"), "function result");
      expect(server.received.find((r) => r.event === "call_fn_result")!.payload).toEqual({ callId: "call-1", value: "You sent: ping" });
    } finally {
      window.removeEventListener("chainlit-call-fn", listener);
    }
  });

  it("answers call_fn with an error when the page has no listener", async () => {
    server.onMessage = (s) => server.emit(s, "call_fn", { callId: "call-2", name: "nobody", args: {}, timeout: 5 });
    window.mountCopilotWidget({ server: server.url, opened: true });
    await type("ping");
    await until(() => server.received.some((r) => r.event === "call_fn_result"), "function result");
    const result = server.received.find((r) => r.event === "call_fn_result")!.payload;
    expect(result.callId).toBe("call-2");
    expect(result.error).toMatch(/no listener/);
  });

  it("shows a refused connection's message", async () => {
    server.requiredToken = "secret";
    window.mountCopilotWidget({ server: server.url, opened: true });
    await until(() => shadow().querySelector(".cp-banner[data-kind=error]")?.textContent?.includes("not signed in") === true, "refusal shown");
  });

  it("new chat ends the session and starts a fresh one", async () => {
    window.mountCopilotWidget({ server: server.url, opened: true });
    await type("old conversation");
    await until(() => shadow().querySelectorAll(".cp-msg").length === 1 && clientMessages().length === 1, "message");
    const old = server.only();
    shadow().querySelector<HTMLButtonElement>('[aria-label="New chat"]')!.click();
    await until(() => server.received.some((r) => r.event === "end_session"), "end_session");
    await until(() => server.sessions.size === 1 && server.only().id !== old.id, "new session");
    expect(server.handshakes[server.handshakes.length - 1].sessionId).toBeUndefined();
    expect(shadow().querySelectorAll(".cp-msg")).toHaveLength(0);
    await until(() => window.getCopilotThreadId() === server.only().threadId, "new thread id");
    await type("new conversation");
    await until(() => texts(".cp-msg .cp-bubble").join() === "new conversation", "new message shown");
  });
});
