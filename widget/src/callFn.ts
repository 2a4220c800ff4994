/**
 * Server-initiated function calls on the host page.
 *
 * The call is dispatched on `window` as `copilot-call-fn` and (for pages written for
 * Chainlit) `chainlit-call-fn`, with `detail = {name, args, callback}`. The first
 * callback wins. `callback` accepts a value, a Promise, or an Error.
 *
 * "No listener" detection: `dispatchEvent` is synchronous, so we know when every
 * listener has run. A listener that handles the call necessarily reads `event.detail`
 * (or its fields) during dispatch; both are instrumented getters. If nobody read them
 * and nobody called back, we wait a short grace period (a listener that kept the event
 * object and reads it later still counts) and then answer "no listener". A listener
 * that throws during dispatch is reported by the browser as a window `error` event,
 * which we catch while dispatching and turn into an error result.
 */

export const CALL_FN_EVENTS = ["copilot-call-fn", "chainlit-call-fn"] as const;
export const NO_LISTENER_GRACE_MS = 100;

export type CallOutcome = { value: unknown } | { error: string };

export interface CallFnDetail {
  readonly name: string;
  readonly args: unknown;
  readonly callback: (result?: unknown) => void;
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name || "Error";
  if (typeof e === "string") return e;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}

/**
 * Dispatch a function call to the host page and resolve with its outcome.
 * Never rejects. `target` is injectable for tests.
 */
export function callHostFunction(name: string, args: unknown, target: Window = window): Promise<CallOutcome> {
  return new Promise<CallOutcome>((resolve) => {
    let settled = false;
    let touched = false;
    let answered = false;

    const settle = (outcome: CallOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };

    const callback = (result?: unknown) => {
      touched = true;
      if (answered) return; // first callback wins
      answered = true;
      if (result instanceof Error) settle({ error: errorText(result) });
      else if (result && typeof (result as PromiseLike<unknown>).then === "function") {
        Promise.resolve(result as PromiseLike<unknown>).then(
          (value) => (value instanceof Error ? settle({ error: errorText(value) }) : settle({ value: value === undefined ? null : value })),
          (err) => settle({ error: errorText(err) }),
        );
      } else settle({ value: result === undefined ? null : result });
    };

    const detail = {} as CallFnDetail;
    Object.defineProperties(detail, {
      name: { enumerable: true, get: () => ((touched = true), name) },
      args: { enumerable: true, get: () => ((touched = true), args) },
      callback: { enumerable: true, get: () => ((touched = true), callback) },
    });

    let thrown: unknown = undefined;
    let didThrow = false;
    const onError = (e: ErrorEvent) => {
      // Only errors raised synchronously by a listener during our dispatch land here.
      if (!didThrow) {
        didThrow = true;
        thrown = e.error ?? e.message;
      }
    };

    target.addEventListener("error", onError);
    try {
      for (const type of CALL_FN_EVENTS) {
        const event = new (target as unknown as typeof globalThis).CustomEvent(type, { detail });
        // Reading event.detail counts as handling it, even if the fields are read later.
        Object.defineProperty(event, "detail", { get: () => ((touched = true), detail) });
        target.dispatchEvent(event);
      }
    } finally {
      target.removeEventListener("error", onError);
    }

    if (didThrow && !answered) {
      answered = true;
      settle({ error: errorText(thrown) || "listener threw an error" });
      return;
    }
    if (!touched) {
      setTimeout(() => {
        if (!touched && !answered) {
          answered = true;
          settle({ error: `no listener for function '${name}' (the page handles no ${CALL_FN_EVENTS[0]} event)` });
        }
      }, NO_LISTENER_GRACE_MS);
    }
  });
}
