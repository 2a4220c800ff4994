import { useEffect, useRef } from "preact/hooks";
import type { Controller, ViewState } from "../controller";
import type { ThreadSummary } from "../protocol";
import { PlusIcon, TrashIcon } from "./icons";

/** A server timestamp; one without an offset is UTC. */
function parseDate(iso: string | undefined): number {
  if (!iso) return NaN;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z");
}

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", else the date. */
export function relativeDate(iso: string | undefined, now = Date.now()): string {
  const t = parseDate(iso);
  if (isNaN(t)) return "";
  const minutes = Math.floor(Math.max(0, now - t) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  if (days < 2) return "yesterday";
  if (days < 7) return `${days} days ago`;
  return new Date(t).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export const threadTitle = (t: ThreadSummary) => (typeof t.name === "string" && t.name.trim()) || "Untitled";

interface ItemProps {
  controller: Controller;
  thread: ThreadSummary;
  current: boolean;
  confirming: boolean;
}

function ThreadItem({ controller, thread, current, confirming }: ItemProps) {
  const cancel = useRef<HTMLButtonElement>(null);
  const remove = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    // Keyboard users land on the safe choice, and back on the delete button after it.
    if (confirming) cancel.current?.focus();
    else if (wasConfirming.current) remove.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);
  const title = threadTitle(thread);
  const when = thread.updatedAt || thread.createdAt;
  const date = parseDate(when);
  return (
    <li class="cp-thread" aria-current={current ? "true" : undefined}>
      {confirming ? (
        <div class="cp-confirm" role="group" aria-label={`Delete “${title}”?`}>
          <span>Delete “{title}”?</span>
          <button type="button" class="cp-danger" onClick={() => void controller.deleteThread(thread.id)}>
            Delete
          </button>
          <button type="button" class="cp-plain" ref={cancel} onClick={() => controller.confirmDelete(null)}>
            Cancel
          </button>
        </div>
      ) : (
        <>
          <button type="button" class="cp-thread-open" onClick={() => controller.openThread(thread.id)}>
            <span class="cp-thread-title">{title}</span>
            {!isNaN(date) && (
              <time dateTime={new Date(date).toISOString()} title={new Date(date).toLocaleString()}>
                {relativeDate(when)}
              </time>
            )}
          </button>
          <button
            type="button"
            class="cp-icon-btn"
            ref={remove}
            aria-label={`Delete “${title}”`}
            title="Delete"
            onClick={() => controller.confirmDelete(thread.id)}
          >
            <TrashIcon />
          </button>
        </>
      )}
    </li>
  );
}

/** The signed-in user's past conversations: open one, delete one, or start a new one. */
export function History({ controller, state }: { controller: Controller; state: ViewState }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const h = state.history;
  const count = h.threads.length;
  useEffect(() => {
    heading.current?.focus();
  }, []);
  useEffect(() => {
    // A deleted item took the focus with it: put it somewhere sensible.
    const el = heading.current;
    const root = el && (el.getRootNode() as ShadowRoot | Document);
    if (el && root && !root.activeElement) el.focus();
  }, [count]);
  const current = controller.threadId();
  return (
    <section class="cp-history" aria-labelledby="cp-history-title">
      <div class="cp-history-head">
        <h3 id="cp-history-title" ref={heading} tabIndex={-1}>
          Conversations
        </h3>
        <button
          type="button"
          class="cp-plain"
          onClick={() => {
            controller.hideHistory();
            controller.newChat();
          }}
        >
          <PlusIcon /> New chat
        </button>
      </div>
      {h.error && (
        <div class="cp-failed" role="alert">
          {h.error}{" "}
          <button type="button" class="cp-link" onClick={() => void controller.loadThreads(false)}>
            Retry
          </button>
        </div>
      )}
      {!h.loading && !h.error && count === 0 && <p class="cp-empty">No conversations yet.</p>}
      {count > 0 && (
        <ul class="cp-threads" role="list" aria-label="Past conversations">
          {h.threads.map((t) => (
            <ThreadItem key={t.id} controller={controller} thread={t} current={t.id === current} confirming={h.confirming === t.id} />
          ))}
        </ul>
      )}
      <p class="cp-note" role="status">
        {h.loading ? "Loading…" : ""}
      </p>
      {h.next && !h.loading && (
        <button type="button" class="cp-plain cp-more" onClick={() => void controller.loadThreads(true)}>
          Load more
        </button>
      )}
    </section>
  );
}
