/**
 * Issue 7 in the widget: the thread id kept across page loads, the list of past
 * conversations, feedback thumbs, and the "not signed in" state, over a real socket.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { relativeDate } from "../src/components/History";
import "../src/index";
import { FakeServer, until } from "./fakeServer";

let server: FakeServer;
const shadow = () => document.getElementById("copilot-widget")!.shadowRoot!;
const $ = <T extends Element = HTMLElement>(sel: string) => shadow().querySelector<T>(sel);
const $$ = <T extends Element = HTMLElement>(sel: string) => Array.from(shadow().querySelectorAll<T>(sel));
const texts = (sel: string) => $$(sel).map((e) => e.textContent);
const received = (event: string) => server.received.filter((r) => r.event === event).map((r) => r.payload);
const key = () => `copilot-thread:${server.url}`;
const click = (sel: string) => $<HTMLButtonElement>(sel)!.click();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function mount(): Promise<void> {
  const readies = received("ready").length;
  window.mountCopilotWidget({ server: server.url, opened: true });
  await until(() => received("ready").length > readies && $(".cp-title")?.textContent === "Shop helper", "connected");
}

function stored(id: string, name: string | null, content: string, extra: Record<string, unknown> = {}) {
  const answer = server.message({ threadId: id }, content, extra);
  server.threads.set(id, { name, updatedAt: new Date(Date.now() - 3 * 3600_000).toISOString(), messages: [answer] });
  return answer;
}

beforeEach(async () => {
  localStorage.clear();
  server = new FakeServer();
  server.features = { history: true, feedback: true };
  await server.start();
});
afterEach(async () => {
  window.unmountCopilotWidget();
  await server.stop();
});

describe("thread id across page loads", () => {
  it("keeps the thread id and resumes it on the next page load", async () => {
    await mount();
    const first = server.only().threadId;
    await until(() => localStorage.getItem(key()) === first, "thread id stored");
    expect(window.getCopilotThreadId()).toBe(first);
    expect(server.handshakes[0].threadId).toBeUndefined();
    window.unmountCopilotWidget(); // a reload, as far as the widget knows
    stored(first, "plan a trip", "Lisbon it is.");

    await mount();
    expect(server.handshakes[1].threadId).toBe(first);
    await until(() => texts(".cp-msg .cp-bubble").join() === "Lisbon it is.", "resumed messages shown");
    expect(window.getChainlitCopilotThreadId()).toBe(first);
    expect($("[aria-live=polite]")!.textContent).toBe(""); // the past is not announced again
  });

  it("drops a stored thread the server cannot open, quietly", async () => {
    localStorage.setItem(key(), "someone-elses");
    await mount();
    expect(server.handshakes[0].threadId).toBe("someone-elses");
    await until(() => received("ready").length === 1 && server.only().seq === 1, "error sent");
    await sleep(50);
    expect($$(".cp-msg")).toHaveLength(0); // no error notice in the chat
    expect(localStorage.getItem(key())).toBe(server.only().threadId);
    expect(window.getCopilotThreadId()).toBe(server.only().threadId);
  });

  it("clearCopilotThreadId forgets it and starts a new chat", async () => {
    await mount();
    const first = server.only().threadId;
    window.clearCopilotThreadId();
    expect(localStorage.getItem(key())).toBeNull();
    await until(() => server.handshakes.length === 2 && window.getCopilotThreadId() !== first && localStorage.getItem(key()) !== null, "new thread");
    expect(server.handshakes[1].threadId).toBeUndefined();
  });

  it("without history, keeps nothing and sends no stored thread", async () => {
    server.features = { history: false, feedback: false };
    localStorage.setItem(key(), "old");
    await mount();
    expect(server.handshakes[0].threadId).toBeUndefined();
    expect(localStorage.getItem(key())).toBeNull();
    expect($('[aria-label="Conversations"]')).toBeNull();
    expect($(".cp-thumbs")).toBeNull();
  });
});

describe("optional sign-in", () => {
  it("an anonymous visitor chats without a history button and stores no thread", async () => {
    server.authMode = "optional";
    server.user = null;
    localStorage.setItem(key(), "a-signed-in-visit");
    await mount();
    expect($(".cp-composer textarea, .cp-composer input")).not.toBeNull();
    expect($(".cp-history-btn")).toBeNull();
    await sleep(50);
    // Kept for when the visitor signs in again (the server resumes it for its owner only).
    expect(localStorage.getItem(key())).toBe("a-signed-in-visit");
  });

  it("a signed-in user gets the history button", async () => {
    server.authMode = "optional";
    await mount();
    await until(() => $(".cp-history-btn") !== null, "history button");
  });
});

describe("history list", () => {
  it("lists, pages, opens, deletes and starts a new chat", async () => {
    for (let i = 0; i < 22; i++) stored(`old-${i}`, i === 1 ? null : `chat ${i}`, `answer ${i}`);
    await mount();
    click('[aria-label="Conversations"]');
    await until(() => $$(".cp-thread").length === 20, "first page");
    expect(received("list_threads")[0]).toEqual({ limit: 20 });
    expect($('[aria-label="Conversations"]')!.getAttribute("aria-pressed")).toBe("true");
    expect($(".cp-messages")!.hidden).toBe(true);
    expect($("ul.cp-threads")!.getAttribute("role")).toBe("list");
    expect(texts(".cp-thread-title").slice(0, 3)).toEqual(["chat 0", "Untitled", "chat 2"]);
    expect($(".cp-thread time")!.textContent).toBe("3 h ago");
    await until(() => shadow().activeElement === $("#cp-history-title"), "focus on the list's heading");

    click(".cp-more");
    await until(() => $$(".cp-thread").length === 22, "second page");
    expect(received("list_threads")[1]).toEqual({ limit: 20, before: "20" });
    expect($(".cp-more")).toBeNull();

    // Delete asks first; Cancel keeps it, Delete removes it.
    click('[aria-label="Delete “chat 2”"]');
    await until(() => shadow().activeElement?.textContent === "Cancel", "confirmation, focus on Cancel");
    click(".cp-confirm .cp-plain");
    await until(() => shadow().activeElement?.getAttribute("aria-label") === "Delete “chat 2”", "cancelled, focus back");
    click('[aria-label="Delete “chat 2”"]');
    await until(() => $(".cp-danger") !== null, "confirmation again");
    click(".cp-danger");
    await until(() => $$(".cp-thread").length === 21, "deleted");
    expect(received("delete_thread")).toEqual([{ threadId: "old-2" }]);
    expect(texts(".cp-thread-title")).not.toContain("chat 2");

    // Open one: the session ends, and a new connection asks for that thread.
    $$<HTMLButtonElement>(".cp-thread-open")[0].click();
    await until(() => received("end_session").length === 1, "end_session");
    await until(() => texts(".cp-msg .cp-bubble").join() === "answer 0", "opened thread shown");
    expect(server.handshakes[server.handshakes.length - 1].threadId).toBe("old-0");
    expect($(".cp-history")).toBeNull();
    expect(window.getCopilotThreadId()).toBe("old-0");
    expect(localStorage.getItem(key())).toBe("old-0");

    // The open conversation is marked in the list; "New chat" there starts an empty one.
    click('[aria-label="Conversations"]');
    await until(() => $(".cp-thread[aria-current=true]") !== null, "current marked");
    expect($(".cp-thread[aria-current=true] .cp-thread-title")!.textContent).toBe("chat 0");
    click(".cp-history-head .cp-plain");
    await until(() => received("end_session").length === 2 && $(".cp-history") === null, "new chat");
    await until(() => window.getCopilotThreadId() !== "old-0" && window.getCopilotThreadId() !== null, "new thread");
    expect($$(".cp-msg")).toHaveLength(0);
  });

  it("Escape leaves the list before it closes the panel", async () => {
    await mount();
    click('[aria-label="Conversations"]');
    await until(() => $(".cp-history") !== null, "list");
    await until(() => $(".cp-empty")?.textContent === "No conversations yet.", "empty list");
    $(".cp-history")!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, composed: true }));
    await until(() => $(".cp-history") === null, "back to the chat");
    expect($(".cp-panel")!.hidden).toBe(false);
    // Focus moves in an effect, after the list is gone from the DOM.
    await until(() => shadow().activeElement === $("textarea"), "composer focused");
  });
});

describe("feedback", () => {
  it("rates complete replies, takes a comment, and takes it back", async () => {
    await mount();
    const s = server.only();
    const answer = server.message(s, "An answer");
    server.emit(s, "new_message", { message: answer });
    server.emit(s, "stream_start", { message: server.message(s, "Still typ", { streaming: true }) });
    server.emit(s, "new_message", { message: server.message(s, "It broke", { isError: true }) });
    await until(() => $$(".cp-msg").length === 3, "messages");
    expect($$(".cp-thumbs")).toHaveLength(1); // not while streaming, not on errors
    const up = () => $<HTMLButtonElement>('.cp-thumbs [aria-label="Helpful"]')!;
    const down = () => $<HTMLButtonElement>('.cp-thumbs [aria-label="Not helpful"]')!;
    expect(up().getAttribute("aria-pressed")).toBe("false");

    up().click();
    await until(() => received("feedback").length === 1, "feedback sent");
    expect(received("feedback")[0]).toEqual({ messageId: answer.id, value: 1 });
    expect(up().getAttribute("aria-pressed")).toBe("true");
    await until(() => shadow().activeElement === $(".cp-comment textarea"), "comment box focused");
    const box = $<HTMLTextAreaElement>(".cp-comment textarea")!;
    box.value = "spot on";
    box.dispatchEvent(new Event("input", { bubbles: true }));
    await sleep(0);
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
    await until(() => received("feedback").length === 2, "comment sent");
    expect(received("feedback")[1]).toEqual({ messageId: answer.id, value: 1, comment: "spot on" });
    await until(() => $(".cp-comment") === null && $(".cp-comment-text")?.textContent === "“spot on”", "comment shown");

    down().click(); // switch
    await until(() => received("feedback").length === 3, "switched");
    expect(received("feedback")[2]).toEqual({ messageId: answer.id, value: 0 });
    click(".cp-comment .cp-plain"); // Skip
    await until(() => $(".cp-comment") === null, "comment box closed");
    down().click(); // the active thumb again: removed
    await until(() => received("feedback").length === 4, "removed");
    expect(received("feedback")[3]).toEqual({ messageId: answer.id, value: null });
    expect(down().getAttribute("aria-pressed")).toBe("false");
    expect($(".cp-comment")).toBeNull();
  });

  it("shows stored feedback on resumed messages, and a refusal", async () => {
    const answer = stored("old", "earlier", "Earlier answer", { feedback: { value: 0, comment: "too long" } });
    localStorage.setItem(key(), "old");
    server.onFeedback = () => ({ ok: false, error: { code: "not_found", message: "feedback: no such message in this conversation." } });
    await mount();
    await until(() => $('.cp-thumbs [aria-label="Not helpful"]')?.getAttribute("aria-pressed") === "true", "stored feedback shown");
    expect($(".cp-comment-text")!.textContent).toBe("“too long”");
    $<HTMLButtonElement>('.cp-thumbs [aria-label="Helpful"]')!.click();
    await until(() => $(".cp-feedback .cp-failed")?.textContent === "feedback: no such message in this conversation.", "refusal");
    expect(received("feedback")[0]).toEqual({ messageId: answer.id, value: 1 });
    expect($('.cp-thumbs [aria-label="Not helpful"]')!.getAttribute("aria-pressed")).toBe("true"); // back as it was
    expect($$(".cp-msg[data-error]")).toHaveLength(0);
  });
});

describe("not signed in", () => {
  it("says so plainly and does not retry", async () => {
    server.requiredToken = "secret";
    server.refusal = "not_authenticated: sign in to use the copilot";
    window.mountCopilotWidget({ server: server.url, opened: true });
    await until(() => $(".cp-signin") !== null, "signed-out state");
    expect($(".cp-signin-title")!.textContent).toBe("You're not signed in.");
    expect($(".cp-banner")).toBeNull(); // no error banner, no Retry button
    expect($("textarea")).toBeNull();
    expect($('[aria-label="New chat"]')).toBeNull();
    window.sendCopilotMessage({ type: "user_message", output: "hello?" });
    await sleep(700); // longer than socket.io's first reconnection delay
    expect(server.handshakes).toHaveLength(1);
  });
});

describe("relativeDate", () => {
  const now = Date.parse("2025-06-10T12:00:00Z");
  it("speaks in minutes, hours and days, then dates", () => {
    expect(relativeDate("2025-06-10T11:59:40Z", now)).toBe("just now");
    expect(relativeDate("2025-06-10T11:55:00+00:00", now)).toBe("5 min ago");
    expect(relativeDate("2025-06-10T09:00:00", now)).toBe("3 h ago"); // no offset: UTC
    expect(relativeDate("2025-06-09T06:00:00Z", now)).toBe("yesterday");
    expect(relativeDate("2025-06-06T12:00:00Z", now)).toBe("4 days ago");
    expect(relativeDate("2025-01-02T12:00:00Z", now)).toMatch(/2025/);
    expect(relativeDate("nonsense", now)).toBe("");
  });
});
