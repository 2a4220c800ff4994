import { useEffect, useRef } from "preact/hooks";
import type { Controller, ViewState } from "../controller";
import { Composer } from "./Composer";
import { CloseIcon, CollapseIcon, ExpandIcon, PlusIcon } from "./icons";
import { MessageList } from "./MessageList";

function Banner({ controller, state }: { controller: Controller; state: ViewState }) {
  if (state.status === "reconnecting") {
    return <div class="cp-banner">Connection lost. Reconnecting…</div>;
  }
  if (state.status === "connecting" && state.statusDetail) {
    return <div class="cp-banner">Connecting… ({state.statusDetail})</div>;
  }
  if (state.status === "failed") {
    return (
      <div class="cp-banner" data-kind="error">
        <span>{state.statusDetail || "Not connected."}</span>
        <button type="button" onClick={() => controller.retry()}>
          Retry
        </button>
      </div>
    );
  }
  return null;
}

/** The chat panel: header, connection banner, conversation, composer. */
export function Panel({ controller, state }: { controller: Controller; state: ViewState }) {
  const input = useRef<HTMLTextAreaElement>(null);
  const firstRun = useRef(true);
  useEffect(() => {
    // Focus the composer when the user opens the panel (not on a page-load `opened`).
    if (state.open && !firstRun.current && input.current) input.current.focus();
    firstRun.current = false;
  }, [state.open]);

  const close = () => {
    controller.close();
    controller.focusLauncher();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape" && !e.isComposing) {
      e.preventDefault();
      close();
    }
    // Keep the page's keyboard shortcuts from firing while the user types here.
    e.stopPropagation();
  };

  return (
    <div
      class="cp-panel"
      role="dialog"
      aria-labelledby="cp-title"
      hidden={!state.open}
      data-expanded={state.expanded ? "" : undefined}
      onKeyDown={onKey}
      onKeyUp={(e) => e.stopPropagation()}
      onKeyPress={(e) => e.stopPropagation()}
    >
      <header class="cp-header">
        <h2 id="cp-title" class="cp-title">
          {state.title}
        </h2>
        <button type="button" class="cp-icon-btn" aria-label="New chat" title="New chat" onClick={() => controller.newChat()}>
          <PlusIcon />
        </button>
        <button
          type="button"
          class="cp-icon-btn cp-expand"
          aria-label={state.expanded ? "Collapse" : "Expand"}
          title={state.expanded ? "Collapse" : "Expand"}
          aria-pressed={state.expanded ? "true" : "false"}
          onClick={() => controller.setExpanded(!state.expanded)}
        >
          {state.expanded ? <CollapseIcon /> : <ExpandIcon />}
        </button>
        <button type="button" class="cp-icon-btn" aria-label="Close" title="Close" onClick={close}>
          <CloseIcon />
        </button>
      </header>
      <Banner controller={controller} state={state} />
      <MessageList controller={controller} state={state} />
      <Composer controller={controller} state={state} inputRef={input} />
    </div>
  );
}
