/**
 * The interaction protocol over a real socket: asks (text and action), action buttons
 * and their acks, call_fn_cancel, and stop.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import "../src/index";
import { ASK_TIMEOUT_NOTE } from "../src/store";
import { FakeServer, until, type Session } from "./fakeServer";

let server: FakeServer;
const shadow = () => document.getElementById("copilot-widget")!.shadowRoot!;
const $ = <T extends Element = HTMLElement>(sel: string) => shadow().querySelector<T>(sel);
const $$ = <T extends Element = HTMLElement>(sel: string) => Array.from(shadow().querySelectorAll<T>(sel));
const textarea = () => $<HTMLTextAreaElement>("textarea")!;
const received = (event: string) => server.received.filter((r) => r.event === event).map((r) => r.payload);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function type(text: string) {
  textarea().value = text;
  textarea().dispatchEvent(new Event("input", { bubbles: true }));
  await sleep(0);
  textarea().dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
}

const ACTIONS = [
  { id: "a-yes", name: "confirm", label: "Yes, delete", tooltip: "Delete the row", payload: { ok: true }, forId: null },
  { id: "a-no", name: "cancel", label: "No", tooltip: "", payload: {}, forId: null },
];

/** A running handler asks a question (the question message first, then `ask`). */
function ask(s: Session, kind: "text" | "action", content: string, askId = "ask-1") {
  server.emit(s, "task_start", {});
  const question = server.message(s, content, kind === "action" ? { actions: ACTIONS } : {});
  server.emit(s, "new_message", { message: question });
  server.emit(s, "ask", { askId, kind, messageId: question.id, timeout: 60 });
  return question;
}

async function mountConnected(): Promise<Session> {
  window.mountCopilotWidget({ server: server.url, opened: true });
  await until(() => server.sessions.size === 1 && server.received.some((r) => r.event === "ready"), "session");
  await until(() => $(".cp-title")?.textContent === "Shop helper", "settings applied");
  return server.only();
}

beforeEach(async () => {
  server = new FakeServer();
  await server.start();
});
afterEach(async () => {
  window.unmountCopilotWidget();
  await server.stop();
});

describe("ask: text", () => {
  it("shows what is asked in the composer; the next typed message answers it", async () => {
    const s = await mountConnected();
    const question = ask(s, "text", "What is your **name**?");
    await until(() => textarea().placeholder === "Reply to: What is your name?", "placeholder");
    expect($("form.cp-composer")!.dataset.ask).toBe("text");
    expect(textarea().disabled).toBe(false);
    expect(textarea().getAttribute("aria-label")).toBe("Your answer");
    expect($$(".cp-msg[data-asking]")).toHaveLength(1);
    expect($(".cp-msg[data-asking] .cp-md")!.textContent).toBe("What is your name?");
    expect($(".cp-typing")).toBeNull(); // waiting for the user, not working

    await type("Ann");
    await until(() => received("client_message").length === 1, "answer sent");
    expect(received("client_message")[0]).toMatchObject({ type: "user_message", content: "Ann" });
    server.emit(s, "ask_end", { askId: "ask-1", reason: "answered" });
    await until(() => $("form.cp-composer")!.dataset.ask === undefined, "ask cleared");
    expect(textarea().placeholder).toBe("Message Shop helper…");
    expect($$(".cp-msg[data-asking]")).toHaveLength(0);
    expect($(".cp-note")).toBeNull();
    expect(question.id).toBeTruthy();
  });

  it("says so under the question when the ask timed out", async () => {
    const s = await mountConnected();
    ask(s, "text", "Still there?");
    await until(() => $("form.cp-composer")!.dataset.ask === "text", "asking");
    server.emit(s, "ask_end", { askId: "ask-1", reason: "timeout" });
    await until(() => $(".cp-note")?.textContent === ASK_TIMEOUT_NOTE, "timeout note");
    expect($("form.cp-composer")!.dataset.ask).toBeUndefined();
    expect(textarea().disabled).toBe(false);
  });

  it("ignores an ask_end for another ask", async () => {
    const s = await mountConnected();
    ask(s, "text", "Colour?", "ask-7");
    await until(() => $("form.cp-composer")!.dataset.ask === "text", "asking");
    server.emit(s, "ask_end", { askId: "ask-old", reason: "timeout" });
    server.emit(s, "new_message", { message: server.message(s, "marker") });
    await until(() => $$(".cp-md").some((e) => e.textContent === "marker"), "later event applied");
    expect($("form.cp-composer")!.dataset.ask).toBe("text");
    expect($(".cp-note")).toBeNull();
  });
});

describe("ask: action", () => {
  it("locks the composer, and a button click answers with an acknowledged action", async () => {
    let acknowledge: (ack: unknown) => void = () => {};
    server.onAction = () => new Promise((resolve) => (acknowledge = resolve));
    const s = await mountConnected();

    const question = ask(s, "action", "Delete row 2?");
    await until(() => $$(".cp-action").length === 2, "buttons");
    expect($$(".cp-action").map((b) => b.textContent)).toEqual(["Yes, delete", "No"]);
    expect($(".cp-action")!.title).toBe("Delete the row");
    expect(textarea().disabled).toBe(true);
    expect(textarea().placeholder).toBe("Choose one of the options above");
    expect($<HTMLButtonElement>(".cp-send")!.disabled).toBe(true);

    $(".cp-action")!.click();
    await until(() => received("action").length === 1, "action at the server");
    expect(received("action")[0]).toEqual({ actionId: "a-yes" });
    await until(() => $$<HTMLButtonElement>(".cp-action").every((b) => b.disabled), "buttons wait for the ack");
    $(".cp-action")!.click(); // disabled: no second click goes out
    await sleep(30);
    expect(received("action")).toHaveLength(1);

    acknowledge({ ok: true });
    server.emit(s, "update_message", { message: { ...question, actions: [] } });
    server.emit(s, "ask_end", { askId: "ask-1", reason: "answered" });
    server.emit(s, "task_end", {});
    await until(() => $$(".cp-action").length === 0 && !textarea().disabled, "answered");
    expect($(".cp-failed")).toBeNull();
  });

  it("shows a refused action's error and enables its buttons again", async () => {
    server.onAction = () => ({ ok: false, error: { code: "unknown_action", message: "That choice has expired." } });
    const s = await mountConnected();
    server.emit(s, "new_message", { message: server.message(s, "Pick one", { actions: ACTIONS }) });
    await until(() => $$(".cp-action").length === 2, "buttons");
    expect(textarea().disabled).toBe(false); // buttons without an ask do not lock the composer
    $$(".cp-action")[1].click();
    await until(() => $(".cp-failed")?.textContent === "That choice has expired.", "error shown");
    expect($$<HTMLButtonElement>(".cp-action").every((b) => !b.disabled)).toBe(true);
    expect(received("action")).toEqual([{ actionId: "a-no" }]);
  });
});

describe("function calls and stop", () => {
  it("drops a call the server cancelled: the late answer is never sent", async () => {
    const callbacks = new Map<string, (v: unknown) => void>();
    const listener = (e: Event) => {
      const { name, callback } = (e as CustomEvent).detail;
      callbacks.set(name, callback);
    };
    window.addEventListener("copilot-call-fn", listener);
    try {
      const s = await mountConnected();
      server.emit(s, "call_fn", { callId: "c-1", name: "slow", args: {}, timeout: 5 });
      await until(() => callbacks.has("slow"), "first call dispatched");
      server.emit(s, "call_fn_cancel", { callId: "c-1", reason: "timeout" });
      server.emit(s, "call_fn", { callId: "c-2", name: "fast", args: {}, timeout: 5 });
      await until(() => callbacks.has("fast"), "second call dispatched");
      callbacks.get("slow")!("too late");
      callbacks.get("fast")!("in time");
      await until(() => received("call_fn_result").length >= 1, "a result");
      await sleep(50);
      expect(received("call_fn_result")).toEqual([{ callId: "c-2", value: "in time" }]);
    } finally {
      window.removeEventListener("copilot-call-fn", listener);
    }
  });

  it("stop is sent once; after task_end the composer works again at once", async () => {
    server.onMessage = (s, m) => {
      if (m.content === "long job") ask(s, "text", "Which file?");
    };
    await mountConnected();
    await type("long job");
    await until(() => $(".cp-stop") !== null && $("form.cp-composer")!.dataset.ask === "text", "running and asking");
    $(".cp-stop")!.click();
    await until(() => received("stop").length === 1, "stop at the server");
    expect(received("stop")[0]).toEqual({});
    expect($<HTMLButtonElement>(".cp-stop")!.disabled).toBe(true);
    $(".cp-stop")!.click();
    await sleep(30);
    expect(received("stop")).toHaveLength(1);

    const s = server.only();
    server.emit(s, "ask_end", { askId: "ask-1", reason: "stopped" });
    server.emit(s, "task_end", {});
    await until(() => $(".cp-stop") === null, "stop button gone");
    expect($("form.cp-composer")!.dataset.ask).toBeUndefined();
    expect(textarea().disabled).toBe(false);
    await type("next");
    await until(() => received("client_message").some((m) => m.content === "next"), "next message sent");
  });

  it("task_end clears an ask the server never ended", async () => {
    const s = await mountConnected();
    ask(s, "action", "Sure?");
    await until(() => textarea().disabled, "locked");
    server.emit(s, "task_end", {});
    await until(() => !textarea().disabled, "unlocked by task_end");
  });
});
