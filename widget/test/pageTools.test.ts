/**
 * registerCopilotFunction / setCopilotContext over a real socket: what reaches the
 * server (page_state), when, and how declared functions run (checked arguments,
 * approvals), and how steps show.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import "../src/index";
import { PAGE_STATE_DEBOUNCE_MS } from "../src/controller";
import { FakeServer, until, type Session } from "./fakeServer";

let server: FakeServer;
const shadow = () => document.getElementById("copilot-widget")!.shadowRoot!;
const $ = <T extends Element = HTMLElement>(sel: string) => shadow().querySelector<T>(sel);
const $$ = <T extends Element = HTMLElement>(sel: string) => Array.from(shadow().querySelectorAll<T>(sel));
const received = (event: string) => server.received.filter((r) => r.event === event).map((r) => r.payload);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanups: Array<() => void> = [];

const ADD = {
  name: "add_row",
  description: "Add a row",
  parameters: {
    type: "object",
    properties: { text: { type: "string", pattern: "^[a-z]+$" } },
    required: ["text"],
  },
};

async function mountConnected(): Promise<Session> {
  window.mountCopilotWidget({ server: server.url, opened: true });
  await until(() => server.sessions.size === 1 && received("ready").length === 1, "session");
  return server.only();
}

function declare(spec: Parameters<typeof window.registerCopilotFunction>[0]) {
  cleanups.push(window.registerCopilotFunction(spec));
}

async function call(s: Session, name: string, args: unknown, extra: Record<string, unknown> = {}) {
  const callId = `c${Math.random()}`;
  server.emit(s, "call_fn", { callId, name, args, timeout: 5, ...extra });
  await until(() => received("call_fn_result").some((r) => r.callId === callId), `result of ${name}`);
  return received("call_fn_result").find((r) => r.callId === callId);
}

beforeEach(async () => {
  server = new FakeServer();
  await server.start();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  window.removeCopilotContext("rows");
  window.removeCopilotContext("big");
  window.unmountCopilotWidget();
  await server.stop();
});

describe("declaring", () => {
  it("refuses what a model could not call", () => {
    expect(() => window.registerCopilotFunction({ name: "bad name", handler: () => 1 })).toThrow(/1–64 letters/);
    expect(() => window.registerCopilotFunction({ name: "f" } as never)).toThrow(/needs a handler/);
    expect(() => window.registerCopilotFunction({ name: "f", parameters: { type: "string" }, handler: () => 1 })).toThrow(/type "object"/);
    expect(() => window.setCopilotContext("", 1)).toThrow(/context key/);
  });

  it("sends functions, context, URL and title at connect, before any message", async () => {
    declare({ ...ADD, handler: () => null });
    window.setCopilotContext("rows", ["milk"], { description: "Rows on screen" });
    document.title = "My list";
    window.mountCopilotWidget({ server: server.url });
    window.sendCopilotMessage({ type: "user_message", output: "hello" });
    await until(() => received("client_message").length === 1, "message");
    const order = server.received.map((r) => r.event).filter((e) => e === "page_state" || e === "client_message");
    expect(order).toEqual(["page_state", "client_message"]);
    const [state] = received("page_state");
    expect(state.functions).toEqual([{ ...ADD, confirm: false }]);
    expect(state.context).toEqual({ rows: { value: ["milk"], description: "Rows on screen" } });
    expect(state.url).toBe(location.href);
    expect(state.title).toBe("My list");
  });

  it("sends changes once, debounced, and at once before the user's next message", async () => {
    await mountConnected();
    await until(() => received("page_state").length === 1, "first state");
    window.setCopilotContext("rows", [1]);
    window.setCopilotContext("rows", [1, 2]);
    declare({ ...ADD, handler: () => null });
    await sleep(PAGE_STATE_DEBOUNCE_MS * 3);
    expect(received("page_state")).toHaveLength(2);
    expect(received("page_state")[1].context.rows.value).toEqual([1, 2]);
    window.setCopilotContext("rows", [1, 2, 3]);
    window.sendCopilotMessage({ type: "user_message", output: "now" });
    await until(() => received("client_message").length === 1, "message");
    expect(received("page_state")).toHaveLength(3);
    expect(received("page_state")[2].context.rows.value).toEqual([1, 2, 3]);
    window.unregisterCopilotFunction("add_row");
    await until(() => received("page_state").length === 4, "unregistered");
    expect(received("page_state")[3].functions).toEqual([]);
  });

  it("stays within the server's byte limit, leaving out the largest values", async () => {
    server.limits = { pageStateBytes: 2000 };
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    window.setCopilotContext("rows", ["small"]);
    window.setCopilotContext("big", "x".repeat(5000));
    await mountConnected();
    await until(() => received("page_state").length === 1, "state");
    expect(Object.keys(received("page_state")[0].context)).toEqual(["rows"]);
    expect(warn.mock.calls.some((c) => String(c[0]).includes("big"))).toBe(true);
    warn.mockRestore();
  });
});

describe("calls of declared functions", () => {
  it("run the handler with checked arguments; a value, a Promise or a throw answers", async () => {
    const seen: unknown[] = [];
    declare({ ...ADD, handler: (args) => (seen.push(args), { row: 1 }) });
    declare({ name: "later", handler: async () => ({ ok: true }) });
    declare({
      name: "fails",
      handler: () => {
        throw new Error("no such row");
      },
    });
    const s = await mountConnected();
    expect(await call(s, "add_row", { text: "milk" })).toMatchObject({ value: { row: 1 } });
    expect(await call(s, "later", {})).toMatchObject({ value: { ok: true } });
    expect(await call(s, "fails", {})).toMatchObject({ error: "no such row" });
    expect(seen).toEqual([{ text: "milk" }]);
  });

  it("refuse arguments that do not fit, without running the handler", async () => {
    const seen: unknown[] = [];
    declare({ ...ADD, handler: (args) => seen.push(args) });
    const s = await mountConnected();
    const wrongType = await call(s, "add_row", { text: 5 });
    expect(wrongType.error).toBe("invalid arguments for 'add_row': text: expected string, got integer");
    const wrongPattern = await call(s, "add_row", { text: "<b>" });
    expect(wrongPattern.error).toMatch(/text: does not match/);
    expect(seen).toEqual([]);
  });

  it("with confirm, run only with an Allow the user clicked here, once", async () => {
    const seen: unknown[] = [];
    declare({ name: "remove_row", parameters: { type: "object", properties: {} }, confirm: true, handler: () => seen.push(1) });
    const s = await mountConnected();
    expect((await call(s, "remove_row", {})).error).toMatch(/only after the user allows it/);
    expect((await call(s, "remove_row", {}, { approvalId: "forged" })).error).toMatch(/only after/);
    const allow = { id: "allow-1", name: "allow", label: "Allow", tooltip: "", payload: {}, forId: null };
    const step = server.message(s, "", {
      type: "step",
      author: "remove_row",
      actions: [allow, { ...allow, id: "deny-1", name: "deny", label: "Deny" }],
      step: { kind: "tool", input: "{}", status: "running", language: "json", start: null, end: null },
    });
    server.emit(s, "new_message", { message: step });
    await until(() => $$(".cp-step .cp-action").length === 2, "buttons");
    expect($(".cp-step details")!.hasAttribute("open")).toBe(true); // shows what is asked
    expect($(".cp-step .cp-step-state")!.textContent).toBe("Needs your approval");
    $$<HTMLButtonElement>(".cp-step .cp-action")[0].click();
    await until(() => received("action").length === 1, "click sent");
    expect(await call(s, "remove_row", {}, { approvalId: "allow-1" })).toMatchObject({ value: 1 });
    expect((await call(s, "remove_row", {}, { approvalId: "allow-1" })).error).toMatch(/only after/);
    expect(seen).toEqual([1]);
  });

  it("leave undeclared names to copilot-call-fn listeners", async () => {
    const listener = (e: Event) => (e as CustomEvent).detail.callback("from the listener");
    window.addEventListener("copilot-call-fn", listener);
    const s = await mountConnected();
    expect(await call(s, "legacy", {})).toMatchObject({ value: "from the listener" });
    window.removeEventListener("copilot-call-fn", listener);
  });
});

describe("steps", () => {
  it("show as compact lines that open, nested by parentId", async () => {
    const s = await mountConnected();
    const outer = server.message(s, "planned", {
      id: "s1",
      type: "step",
      author: "plan",
      step: { kind: "run", input: "the question", status: "done", language: null, start: null, end: null },
    });
    const running = { kind: "tool", input: '{"text": "milk"}', status: "running", language: "json", start: null, end: null };
    const inner = server.message(s, '{"row": 1}', { id: "s2", type: "step", author: "add_row", parentId: "s1", step: running });
    const failed = server.message(s, "ValueError: nope", {
      id: "s3",
      type: "step",
      author: "lookup",
      isError: true,
      step: { kind: "tool", input: null, status: "error", language: null, start: null, end: null },
    });
    for (const message of [outer, inner, failed]) server.emit(s, "new_message", { message });
    await until(() => $$(".cp-step").length === 3, "steps");
    const [plan, lookup] = $$(".cp-messages > .cp-step");
    expect(plan.dataset.status).toBe("done");
    expect(plan.querySelector("summary")!.textContent).toBe("planDone");
    expect(plan.querySelector("[data-part=input] pre")!.textContent).toBe("the question");
    expect(plan.querySelector("[data-part=output] .cp-md")!.textContent).toBe("planned");
    const nested = plan.querySelector<HTMLElement>(".cp-step-body .cp-step")!;
    expect(nested.dataset.status).toBe("running");
    expect(nested.querySelector(".cp-step-state")!.textContent).toBe("Running");
    expect(nested.querySelector("[data-part=input] pre")!.textContent).toBe('{"text": "milk"}');
    expect(lookup.dataset.status).toBe("error");
    expect(lookup.querySelector("[data-part=output] .cp-step-label")!.textContent).toBe("Error");
    expect(lookup.querySelector("[data-part=output] pre")!.textContent).toBe("ValueError: nope");
    // An update (the step ended) replaces it in place.
    server.emit(s, "update_message", { message: { ...inner, step: { ...running, status: "done" } } });
    await until(() => $(".cp-step .cp-step")!.dataset.status === "done", "updated");
    expect($$(".cp-feedback")).toHaveLength(0); // steps are not rated
  });
});
