import { afterEach, describe, expect, it } from "vitest";
import { callHostFunction } from "../src/callFn";

type Listener = (e: Event) => void;
const added: Array<[string, Listener]> = [];
function listen(type: string, fn: Listener) {
  window.addEventListener(type, fn);
  added.push([type, fn]);
}
afterEach(() => {
  for (const [type, fn] of added.splice(0)) window.removeEventListener(type, fn);
});

const detailOf = (e: Event) => (e as CustomEvent).detail as { name: string; args: any; callback: (v?: unknown) => void };

describe("callHostFunction", () => {
  it("answers with the value given to callback (copilot-call-fn)", async () => {
    listen("copilot-call-fn", (e) => {
      const { name, args, callback } = detailOf(e);
      if (name === "test") callback("You sent: " + args.msg);
    });
    await expect(callHostFunction("test", { msg: "hi" })).resolves.toEqual({ value: "You sent: hi" });
  });

  it("works with the Chainlit event name (the seed page)", async () => {
    listen("chainlit-call-fn", (e) => {
      const { args, callback } = detailOf(e);
      callback("You sent: " + args.msg);
    });
    await expect(callHostFunction("test", { msg: "yo" })).resolves.toEqual({ value: "You sent: yo" });
  });

  it("first callback wins when both events have listeners", async () => {
    listen("copilot-call-fn", (e) => detailOf(e).callback("first"));
    listen("chainlit-call-fn", (e) => detailOf(e).callback("second"));
    await expect(callHostFunction("f", {})).resolves.toEqual({ value: "first" });
  });

  it("awaits a Promise given to callback", async () => {
    listen("copilot-call-fn", (e) => detailOf(e).callback(new Promise((r) => setTimeout(() => r({ rows: 3 }), 20))));
    await expect(callHostFunction("f", {})).resolves.toEqual({ value: { rows: 3 } });
  });

  it("a rejected Promise becomes an error", async () => {
    listen("copilot-call-fn", (e) => detailOf(e).callback(Promise.reject(new Error("denied"))));
    await expect(callHostFunction("f", {})).resolves.toEqual({ error: "denied" });
  });

  it("callback(new Error(...)) becomes an error", async () => {
    listen("copilot-call-fn", (e) => detailOf(e).callback(new Error("no such document")));
    await expect(callHostFunction("f", {})).resolves.toEqual({ error: "no such document" });
  });

  it("a listener that throws becomes an error", async () => {
    listen("error", (e) => e.preventDefault()); // keep jsdom from printing the expected error
    listen("copilot-call-fn", () => {
      throw new Error("listener crashed");
    });
    await expect(callHostFunction("f", {})).resolves.toEqual({ error: "listener crashed" });
  });

  it("a listener that answers later (async) is waited for", async () => {
    listen("copilot-call-fn", (e) => {
      const { callback } = detailOf(e);
      setTimeout(() => callback(42), 300);
    });
    await expect(callHostFunction("f", {})).resolves.toEqual({ value: 42 });
  });

  it("callback() with nothing answers null", async () => {
    listen("copilot-call-fn", (e) => detailOf(e).callback());
    await expect(callHostFunction("f", {})).resolves.toEqual({ value: null });
  });

  it("no listener: answers an error quickly instead of hanging", async () => {
    const t0 = Date.now();
    const outcome = await callHostFunction("missing", {});
    expect(outcome).toHaveProperty("error");
    expect((outcome as { error: string }).error).toMatch(/no listener/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("a listener that only looks at the event type is not an answer", async () => {
    listen("copilot-call-fn", (e) => void e.type);
    const outcome = await callHostFunction("f", {});
    expect((outcome as { error: string }).error).toMatch(/no listener/);
  });
});
