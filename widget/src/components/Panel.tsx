import { useEffect, useRef, useState } from "preact/hooks";
import type { Controller, ViewState } from "../controller";
import { Composer, describeLimits } from "./Composer";
import { ElementsPart } from "./ElementsPart";
import { History } from "./History";
import { CloseIcon, CollapseIcon, ExpandIcon, HistoryIcon, PlusIcon } from "./icons";
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

/** Refused as not signed in: said plainly, with nothing to retry. */
function SignedOut() {
  return (
    <div class="cp-signin" role="status">
      <p class="cp-signin-title">You're not signed in.</p>
      <p>Sign in to this site to chat with the assistant.</p>
    </div>
  );
}

/** The chat panel: header, connection banner, conversation (or past ones), composer. */
export function Panel({ controller, state }: { controller: Controller; state: ViewState }) {
  const input = useRef<HTMLTextAreaElement>(null);
  const firstRun = useRef(true);
  useEffect(() => {
    // Focus the composer when the user opens the panel (not on a page-load `opened`).
    if (state.open && !firstRun.current && input.current) input.current.focus();
    firstRun.current = false;
  }, [state.open]);
  const signedOut = state.status === "unauthenticated";
  const showHistory = state.view === "history" && !signedOut;
  const wasHistory = useRef(false);
  useEffect(() => {
    // Back from the list: the composer, as when the panel opens.
    if (!showHistory && wasHistory.current && input.current) input.current.focus();
    wasHistory.current = showHistory;
  }, [showHistory]);

  const [dropping, setDropping] = useState(false);
  const grant = !signedOut && !showHistory ? controller.uploadGrant() : null;
  const hasFiles = (e: DragEvent) => !!e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files");

  const close = () => {
    controller.close();
    controller.focusLauncher();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape" && !e.isComposing) {
      e.preventDefault();
      // Escape closes an open element first, then the list of conversations, then the panel.
      if (state.viewing) controller.view(null);
      else if (showHistory) controller.hideHistory();
      else close();
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
      onDragOver={(e) => {
        if (!grant || !hasFiles(e)) return;
        e.preventDefault(); // accept the drop
        if (!dropping) setDropping(true);
      }}
      onDragLeave={(e) => {
        const to = e.relatedTarget as Node | null;
        if (!to || !(e.currentTarget as Node).contains(to)) setDropping(false);
      }}
      onDrop={(e) => {
        setDropping(false);
        if (!grant || !hasFiles(e)) return;
        e.preventDefault();
        controller.attach(Array.from(e.dataTransfer?.files || []));
      }}
    >
      <header class="cp-header">
        <h2 id="cp-title" class="cp-title">
          {state.title}
        </h2>
        {state.features.history && state.user && !signedOut && (
          <button
            type="button"
            class="cp-icon-btn cp-history-btn"
            aria-label="Conversations"
            title="Conversations"
            aria-pressed={showHistory ? "true" : "false"}
            onClick={() => (showHistory ? controller.hideHistory() : controller.showHistory())}
          >
            <HistoryIcon />
          </button>
        )}
        {!signedOut && (
          <button
            type="button"
            class="cp-icon-btn"
            aria-label="New chat"
            title="New chat"
            onClick={() => {
              controller.hideHistory();
              controller.newChat();
            }}
          >
            <PlusIcon />
          </button>
        )}
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
      {signedOut ? (
        <SignedOut />
      ) : (
        <>
          {showHistory && <History controller={controller} state={state} />}
          {/* Kept (hidden) under the list: the draft and the scroll position survive. */}
          <MessageList controller={controller} state={state} hidden={showHistory} />
          <Composer controller={controller} state={state} inputRef={input} hidden={showHistory} />
        </>
      )}
      {state.viewing && <ElementsPart part="Viewer" controller={controller} state={state} />}
      {dropping && grant && (
        <div class="cp-drop" aria-hidden="true">
          <p>Drop files to attach</p>
          <p class="cp-drop-limits">{describeLimits(grant.limits)}</p>
        </div>
      )}
    </div>
  );
}
