/**
 * What the page gives the assistant: functions it may call and values it may read.
 *
 *   registerCopilotFunction({ name, description, parameters, handler, confirm })
 *   unregisterCopilotFunction(name)
 *   setCopilotContext(key, value, { description })
 *   removeCopilotContext(key)
 *
 * Kept per page (not per widget), so a page may declare before mounting the widget.
 * The mounted widget sends it all to the server as `page_state` at connect and after
 * every change (debounced), bounded in bytes.
 */
import type { PageState } from "./protocol";

export interface CopilotFunctionSpec {
  /** 1–64 letters, digits, `_` or `-` (what models accept as a tool name). */
  name: string;
  /** What the function does, for the model. */
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters?: Record<string, unknown>;
  /** Runs the call: returns a value, a Promise, or throws. */
  handler: (args: Record<string, unknown>) => unknown;
  /** The user approves each call in the chat first. */
  confirm?: boolean;
}

export interface ContextOptions {
  /** What the value is, for the model. */
  description?: string;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** The server's limits (flask_copilot/protocol/schemas.py). */
const MAX_FUNCTIONS = 64;
const MAX_CONTEXT_KEYS = 64;
const EMPTY_OBJECT = { type: "object", properties: {} };

const functions = new Map<string, Required<Omit<CopilotFunctionSpec, "description">> & { description: string }>();
const context = new Map<string, { value: unknown; description: string }>();
const listeners = new Set<() => void>();

function changed(): void {
  for (const listener of listeners) listener();
}

/** Call `listener` after every change; returns the unsubscribe function. */
export function onPageToolsChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Declare a function the assistant may call. Returns a function that removes it. */
export function registerCopilotFunction(spec: CopilotFunctionSpec): () => void {
  if (!spec || typeof spec !== "object") throw new TypeError("copilot: registerCopilotFunction needs {name, handler, …}");
  const { name, handler } = spec;
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new TypeError(`copilot: function name ${JSON.stringify(name)} must be 1–64 letters, digits, _ or -`);
  }
  if (typeof handler !== "function") throw new TypeError(`copilot: function '${name}' needs a handler`);
  const parameters = spec.parameters ?? EMPTY_OBJECT;
  if (!parameters || typeof parameters !== "object" || (parameters as { type?: unknown }).type !== "object") {
    throw new TypeError(`copilot: the parameters of '${name}' must be a JSON Schema with type "object"`);
  }
  const entry = {
    name,
    description: typeof spec.description === "string" ? spec.description : "",
    parameters,
    handler,
    confirm: spec.confirm === true,
  };
  functions.set(name, entry);
  changed();
  return () => {
    if (functions.get(name) === entry) unregisterCopilotFunction(name);
  };
}

export function unregisterCopilotFunction(name: string): void {
  if (functions.delete(name)) changed();
}

/** Share a value the assistant can read (any JSON; sent again on every call). */
export function setCopilotContext(key: string, value: unknown, options?: ContextOptions): void {
  if (typeof key !== "string" || !key || key.length > 100) throw new TypeError("copilot: a context key is a string of 1–100 characters");
  const description = options && typeof options.description === "string" ? options.description.slice(0, 500) : "";
  if (!context.has(key) && context.size >= MAX_CONTEXT_KEYS) {
    throw new RangeError(`copilot: at most ${MAX_CONTEXT_KEYS} context values; remove one first`);
  }
  context.set(key, { value, description });
  changed();
}

export function removeCopilotContext(key: string): void {
  if (context.delete(key)) changed();
}

export function pageFunction(name: string) {
  return functions.get(name);
}

/** Size in bytes of `value` as UTF-8 JSON, or -1 when it is not JSON. */
function jsonBytes(value: unknown): number {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? -1 : new TextEncoder().encode(text).length;
  } catch {
    return -1;
  }
}

/**
 * The page state to send, at most `limit` bytes of JSON: every function, then the
 * context values that fit (the largest are left out first, with a warning).
 */
export function pageState(limit: number): PageState {
  const declared = [...functions.values()];
  if (declared.length > MAX_FUNCTIONS) {
    console.warn(`copilot: only the first ${MAX_FUNCTIONS} declared functions are offered`);
  }
  const state: PageState = {
    functions: declared.slice(0, MAX_FUNCTIONS).map(({ name, description, parameters, confirm }) => ({
      name,
      description: description.slice(0, 1024),
      parameters,
      confirm,
    })),
    context: {},
    url: typeof location !== "undefined" ? location.href.slice(0, 2048) : "",
    title: typeof document !== "undefined" ? document.title.slice(0, 500) : "",
  };
  let size = jsonBytes(state);
  const values = [...context.entries()].map(([key, item]) => ({ key, item, bytes: jsonBytes(item) }));
  const left: string[] = [];
  for (const { key, item, bytes } of values.sort((a, b) => a.bytes - b.bytes)) {
    const cost = bytes + jsonBytes(key) + 1;
    if (bytes < 0 || size + cost > limit) {
      left.push(key);
      continue;
    }
    state.context[key] = item;
    size += cost;
  }
  if (left.length) {
    console.warn(`copilot: context not sent (not JSON, or over the ${limit}-byte limit): ${left.join(", ")}`);
  }
  // Keep the page's own order for the model.
  const ordered: PageState["context"] = {};
  for (const key of context.keys()) if (key in state.context) ordered[key] = state.context[key];
  state.context = ordered;
  return state;
}
