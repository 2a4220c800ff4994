import { describe, expect, it } from "vitest";
import type { WireMessage } from "../src/protocol";
import {
  ASK_TIMEOUT_NOTE,
  ackLocalMessage,
  addLocalMessage,
  clearUnanswered,
  finishAction,
  initialState,
  markUnanswered,
  receive,
  resetSeq,
  startAction,
  visibleMessages,
  type ChatState,
} from "../src/store";

const msg = (id: string, content: string, extra: Partial<WireMessage> = {}): WireMessage => ({
  id,
  threadId: "t1",
  type: "assistant_message",
  author: "Assistant",
  content,
  createdAt: "2026-01-01T00:00:00Z",
  streaming: false,
  isError: false,
  parentId: null,
  metadata: {},
  actions: [],
  elements: [],
  ...extra,
});

describe("store: messages", () => {
  it("new_message appends, and upserts by id", () => {
    let s = receive(initialState, "new_message", { seq: 1, message: msg("m1", "hello") });
    s = receive(s, "new_message", { seq: 2, message: msg("m2", "second") });
    s = receive(s, "new_message", { seq: 3, message: msg("m1", "hello again") });
    expect(s.messages.map((m) => [m.id, m.content])).toEqual([
      ["m1", "hello again"],
      ["m2", "second"],
    ]);
  });

  it("update_message replaces by id and delete_message removes", () => {
    let s = receive(initialState, "new_message", { seq: 1, message: msg("m1", "a") });
    s = receive(s, "new_message", { seq: 2, message: msg("m2", "b") });
    s = receive(s, "update_message", { seq: 3, message: msg("m1", "a2") });
    expect(s.messages[0].content).toBe("a2");
    s = receive(s, "delete_message", { seq: 4, id: "m1" });
    expect(s.messages.map((m) => m.id)).toEqual(["m2"]);
    s = receive(s, "delete_message", { seq: 5, id: "nope" });
    expect(s.messages.map((m) => m.id)).toEqual(["m2"]);
  });

  it("streams tokens, isSequence replaces, and a final update ends the stream", () => {
    let s = receive(initialState, "stream_start", { seq: 1, message: msg("m1", "He") });
    expect(s.messages[0].streaming).toBe(true);
    s = receive(s, "stream_token", { seq: 2, id: "m1", token: "llo", isSequence: false });
    s = receive(s, "stream_token", { seq: 3, id: "m1", token: " world" });
    expect(s.messages[0].content).toBe("Hello world");
    s = receive(s, "stream_token", { seq: 4, id: "m1", token: "Replaced", isSequence: true });
    expect(s.messages[0].content).toBe("Replaced");
    s = receive(s, "update_message", { seq: 5, message: msg("m1", "Final") });
    expect(s.messages[0]).toMatchObject({ content: "Final", streaming: false });
  });

  it("only the streamed message changes identity (cheap re-render)", () => {
    let s = receive(initialState, "new_message", { seq: 1, message: msg("m0", "old") });
    s = receive(s, "stream_start", { seq: 2, message: msg("m1", "") });
    const before = s.messages[0];
    s = receive(s, "stream_token", { seq: 3, id: "m1", token: "x" });
    expect(s.messages[0]).toBe(before);
  });

  it("task_start/task_end toggle running; task_end closes open streams", () => {
    let s = receive(initialState, "task_start", { seq: 1 });
    expect(s.running).toBe(true);
    s = receive(s, "stream_start", { seq: 2, message: msg("m1", "partial") });
    s = receive(s, "task_end", { seq: 3 });
    expect(s.running).toBe(false);
    expect(s.messages[0].streaming).toBe(false);
  });

  it("error events become error notices", () => {
    const s = receive(initialState, "error", { seq: 7, code: "replay_incomplete", message: "Some events are too old to replay", event: "ready" });
    expect(s.messages[0]).toMatchObject({ isError: true, content: "Some events are too old to replay" });
  });

  it("errors about a refused client_message or call_fn_result are not chat notices", () => {
    let s = receive(initialState, "error", { seq: 1, code: "too_large", message: "too long", event: "client_message" });
    s = receive(s, "error", { seq: 2, code: "unknown_call", message: "no call", event: "call_fn_result" });
    expect(s.messages).toHaveLength(0);
    expect(s.lastSeq).toBe(2);
  });

  it("system messages are kept out of the visible chat", () => {
    let s = receive(initialState, "new_message", { seq: 1, message: msg("s1", "ctx", { type: "system_message" }) });
    s = receive(s, "new_message", { seq: 2, message: msg("m1", "hi") });
    expect(visibleMessages(s).map((m) => m.id)).toEqual(["m1"]);
  });
});

describe("store: seq de-duplication", () => {
  it("ignores events at or below the highest seq seen (replay)", () => {
    let s = receive(initialState, "new_message", { seq: 1, message: msg("m1", "a") });
    s = receive(s, "stream_start", { seq: 2, message: msg("m2", "") });
    s = receive(s, "stream_token", { seq: 3, id: "m2", token: "tok" });
    const snapshot = s;
    // The server replays 2 and 3 after a reconnect: nothing changes, same object.
    s = receive(s, "stream_start", { seq: 2, message: msg("m2", "") });
    s = receive(s, "stream_token", { seq: 3, id: "m2", token: "tok" });
    expect(s).toBe(snapshot);
    expect(s.messages[1].content).toBe("tok");
    s = receive(s, "stream_token", { seq: 4, id: "m2", token: "en" });
    expect(s.messages[1].content).toBe("token");
    expect(s.lastSeq).toBe(4);
  });

  it("call_fn events count for dedupe without changing messages", () => {
    const s = receive(initialState, "call_fn", { seq: 5, callId: "c1", name: "f", args: {} });
    expect(s.lastSeq).toBe(5);
    expect(receive(s, "call_fn", { seq: 5, callId: "c1", name: "f", args: {} })).toBe(s);
  });

  it("resetSeq starts counting again for a new server session", () => {
    let s = receive(initialState, "task_start", { seq: 9 });
    s = resetSeq(s);
    expect(s.lastSeq).toBe(0);
    expect(s.running).toBe(false);
    s = receive(s, "new_message", { seq: 1, message: msg("n1", "new session") });
    expect(s.messages.map((m) => m.id)).toEqual(["n1"]);
  });
});

describe("store: optimistic user messages", () => {
  const local = (s: ChatState, clientId: string, content: string) =>
    addLocalMessage(s, { clientId, content, author: "You" });

  it("shows the message at once and merges the server echo by clientId", () => {
    let s = local(initialState, "c-1", "hi there");
    expect(s.messages[0]).toMatchObject({ clientId: "c-1", pending: true, type: "user_message" });
    s = receive(s, "new_message", { seq: 1, message: msg("srv-1", "hi there", { type: "user_message", author: "ann", metadata: { clientId: "c-1" } }) });
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]).toMatchObject({ id: "srv-1", clientId: "c-1", author: "ann" });
    expect(s.messages[0].pending).toBeFalsy();
    // The ack arriving after the echo changes nothing visible.
    s = ackLocalMessage(s, "c-1", { ok: true, id: "srv-1" });
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0].id).toBe("srv-1");
  });

  it("takes the server id from the ack, then merges the echo by id", () => {
    let s = local(initialState, "c-2", "question");
    s = ackLocalMessage(s, "c-2", { ok: true, id: "srv-2" });
    expect(s.messages[0]).toMatchObject({ id: "srv-2", pending: false });
    s = receive(s, "new_message", { seq: 1, message: msg("srv-2", "question", { type: "user_message", metadata: { clientId: "c-2" } }) });
    expect(s.messages).toHaveLength(1);
  });

  it("keeps order: the echo replaces the optimistic message in place", () => {
    let s = local(initialState, "c-1", "one");
    s = receive(s, "new_message", { seq: 1, message: msg("a1", "reply") });
    s = receive(s, "new_message", { seq: 2, message: msg("u1", "one", { type: "user_message", metadata: { clientId: "c-1" } }) });
    expect(s.messages.map((m) => m.id)).toEqual(["u1", "a1"]);
  });

  it("marks a refused message as failed", () => {
    let s = local(initialState, "c-3", "too long");
    s = ackLocalMessage(s, "c-3", { ok: false, error: { code: "invalid", message: "content is too long" } });
    expect(s.messages[0]).toMatchObject({ pending: false, failed: "content is too long" });
  });

  it("adding the same clientId twice shows it once", () => {
    let s = local(initialState, "c-4", "x");
    s = local(s, "c-4", "x");
    expect(s.messages).toHaveLength(1);
  });
});

describe("store: messages that were never answered", () => {
  const local = (s: ChatState, clientId: string, content: string) =>
    addLocalMessage(s, { clientId, content, author: "Ann" });
  const echo = (s: ChatState, seq: number, id: string, clientId: string) =>
    receive(s, "new_message", { seq, message: msg(id, "q", { type: "user_message", metadata: { clientId } }) });

  it("an accepted message awaits its handler's end; a lost session leaves it unanswered", () => {
    let s = local(initialState, "c-1", "answered");
    s = ackLocalMessage(s, "c-1", { ok: true, id: "u1" });
    s = echo(s, 1, "u1", "c-1");
    s = receive(s, "task_start", { seq: 2, messageId: "u1" });
    s = receive(s, "task_end", { seq: 3, messageId: "u1" });
    s = local(s, "c-2", "interrupted");
    s = echo(s, 4, "u2", "c-2"); // echoed before its ack: the order does not matter
    s = ackLocalMessage(s, "c-2", { ok: true, id: "u2" });
    s = receive(s, "task_start", { seq: 5, messageId: "u2" });
    s = local(s, "c-3", "typed offline"); // never accepted: the outbox sends it again
    expect(s.awaiting).toEqual(["c-2", "c-3"]);
    expect(markUnanswered(s, [], false)).toBe(s); // the same session goes on: nothing to say
    const after = markUnanswered(resetSeq(s), [], true);
    expect(after.marks).toEqual({ u2: { unanswered: true } });
    expect(after.awaiting).toEqual(["c-3"]);
    expect(clearUnanswered(after, "u2").marks.u2.unanswered).toBe(false);
    // A resumed thread: the server saw which handlers ended; only its list counts.
    const resumed = markUnanswered(resetSeq(s), ["u9"], true, true);
    expect(resumed.marks).toEqual({ u9: { unanswered: true } });
    expect(resumed.awaiting).toEqual(["c-3"]);
  });

  it("answers to an ask and refused messages await nothing", () => {
    let s = local(initialState, "c-1", "my name");
    s = ackLocalMessage(s, "c-1", { ok: true, id: "u1", askAnswer: true });
    s = local(s, "c-2", "refused");
    s = ackLocalMessage(s, "c-2", { ok: false, error: { code: "store_unavailable", message: "later" } });
    expect(s.awaiting).toEqual([]);
    expect(s.messages[1]).toMatchObject({ failed: "later", failedCode: "store_unavailable" });
    expect(markUnanswered(s, [], true)).toBe(s);
  });

  it("marks what the server reports for a resumed thread", () => {
    const s = markUnanswered(initialState, ["u7", 3 as never], false);
    expect(s.marks).toEqual({ u7: { unanswered: true } });
  });
});

describe("store: asks and actions", () => {
  const asked = (): ChatState => {
    let s = receive(initialState, "task_start", { seq: 1 });
    s = receive(s, "new_message", { seq: 2, message: msg("q1", "Which?") });
    return receive(s, "ask", { seq: 3, askId: "a1", kind: "action", messageId: "q1", timeout: 60 });
  };

  it("ask sets the pending ask; its ask_end clears it; a replayed ask is ignored", () => {
    let s = asked();
    expect(s.ask).toEqual({ askId: "a1", kind: "action", messageId: "q1" });
    expect(receive(s, "ask", { seq: 3, askId: "a1", kind: "action", messageId: "q1" })).toBe(s);
    s = receive(s, "ask_end", { seq: 4, askId: "other", reason: "answered" });
    expect(s.ask).not.toBeNull();
    s = receive(s, "ask_end", { seq: 5, askId: "a1", reason: "answered" });
    expect(s.ask).toBeNull();
    expect(s.marks).toEqual({});
  });

  it("a timed-out ask leaves a note on its question, which an update does not wipe", () => {
    let s = receive(asked(), "ask_end", { seq: 4, askId: "a1", reason: "timeout" });
    s = receive(s, "update_message", { seq: 5, message: msg("q1", "Which?", { actions: [] }) });
    expect(s.ask).toBeNull();
    expect(s.marks.q1.note).toBe(ASK_TIMEOUT_NOTE);
    s = receive(s, "delete_message", { seq: 6, id: "q1" });
    expect(s.marks.q1).toBeUndefined();
  });

  it("an ask with a bad kind is ignored; task_end and a new session clear an ask", () => {
    expect(receive(initialState, "ask", { seq: 1, askId: "a", kind: "audio" as never, messageId: "m" }).ask).toBeNull();
    expect(receive(asked(), "task_end", { seq: 4 }).ask).toBeNull();
    expect(resetSeq(asked()).ask).toBeNull();
  });

  it("action clicks are pending until acknowledged; a refusal keeps its message", () => {
    let s = startAction(asked(), "q1");
    expect(s.marks.q1).toEqual({ actionPending: true, actionError: undefined });
    s = finishAction(s, "q1", { ok: false, error: { code: "x", message: "Too late." } });
    expect(s.marks.q1).toEqual({ actionPending: false, actionError: "Too late." });
    s = finishAction(startAction(s, "q1"), "q1", { ok: true });
    expect(s.marks.q1).toEqual({ actionPending: false, actionError: undefined });
  });
});
