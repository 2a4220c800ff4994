import type { Ref } from "preact";
import { useState } from "preact/hooks";
import type { Controller, ViewState } from "../controller";
import type { UploadLimits } from "../protocol";
import { ElementsPart } from "./ElementsPart";
import { ClipIcon, SendIcon, StopIcon } from "./icons";

interface Props {
  controller: Controller;
  state: ViewState;
  inputRef: Ref<HTMLTextAreaElement>;
  hidden?: boolean;
}

function autosize(el: HTMLTextAreaElement) {
  el.style.height = "auto";
  el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
}

/** The question's text, short and without Markdown marks, for the placeholder. */
function gist(markdown: string): string {
  const text = markdown.replace(/[*_`#>|~[\]]+/g, "").replace(/\s+/g, " ").trim();
  return text.length > 80 ? text.slice(0, 79) + "…" : text;
}

const KINDS: Record<string, string> = { image: "images", audio: "audio", video: "video", text: "text" };

/** "image/*" -> "images", "application/pdf" -> "PDF", ".csv" -> "CSV". */
function kindName(accept: string): string {
  if (accept.endsWith("/*")) return KINDS[accept.slice(0, -2)] || accept;
  return (accept.startsWith(".") ? accept.slice(1) : accept.split("/").pop() || accept).toUpperCase();
}

/** "images, PDF, CSV, up to 2 MB each, 3 files at most": the limits, said before any upload. */
export function describeLimits(limits: UploadLimits): string {
  const kinds = limits.accept.filter((a) => a !== "*/*" && a !== "*").map(kindName);
  const parts = [`up to ${limits.maxSizeMb} MB each`, `${limits.maxFiles} file${limits.maxFiles === 1 ? "" : "s"} at most`];
  if (kinds.length) parts.unshift(kinds.join(", "));
  return parts.join(", ");
}

/**
 * Enter sends, Shift+Enter starts a new line. Typing works offline: messages queue.
 * While the assistant asks for text, the next message answers it (the placeholder says
 * so); while it asks the user to pick an action, typing is off until a button is used.
 */
export function Composer({ controller, state, inputRef, hidden }: Props) {
  const [text, setText] = useState("");
  const ask = state.chat.ask;
  const fileAsk = ask?.kind === "file" ? ask : null;
  // An action ask takes a click; a file ask takes files only.
  const locked = ask?.kind === "action" || !!fileAsk;
  const grant = controller.uploadGrant();
  const uploads = state.uploads;
  const uploading = uploads.some((u) => u.status === "uploading");
  const attached = uploads.some((u) => u.status === "done");
  const canSend = !uploading && (attached || (!locked && !!text.trim()));
  const send = (el?: HTMLTextAreaElement | null) => {
    if (!canSend) return;
    controller.sendUserMessage(locked ? "" : text);
    setText("");
    if (el) {
      el.value = "";
      autosize(el);
    }
  };
  let placeholder = `Message ${state.title}…`;
  if (ask) {
    const question = state.chat.messages.find((m) => m.id === ask.messageId);
    const what = question ? gist(question.content) : "";
    if (fileAsk) placeholder = attached ? "Send the files" : `Attach the file${fileAsk.limits?.maxFiles === 1 ? "" : "s"} asked for${what ? `: ${what}` : ""}`;
    else placeholder = locked ? "Choose one of the options above" : what ? `Reply to: ${what}` : "Type your answer…";
  }
  const limitsText = grant ? describeLimits(grant.limits) : "";
  return (
    <form
      class="cp-composer"
      hidden={hidden}
      data-ask={ask ? ask.kind : undefined}
      onSubmit={(e) => {
        e.preventDefault();
        send((e.currentTarget as HTMLFormElement).querySelector("textarea"));
      }}
    >
      {fileAsk && grant && (
        <p class="cp-ask-files" id="cp-ask-files">
          {limitsText}
        </p>
      )}
      {uploads.length > 0 && <ElementsPart part="Attachments" controller={controller} state={state} />}
      {grant && (
        <label class="cp-attach" title={`Attach files (${limitsText})`} data-ask={fileAsk ? "" : undefined}>
          <ClipIcon />
          <span class="cp-sr">Attach files ({limitsText})</span>
          <input
            type="file"
            multiple={grant.limits.maxFiles > 1}
            accept={grant.limits.accept.join(",")}
            aria-describedby={fileAsk ? "cp-ask-files" : undefined}
            onChange={(e) => {
              const input = e.currentTarget;
              controller.attach(Array.from(input.files || []));
              input.value = "";
            }}
          />
        </label>
      )}
      <textarea
        ref={inputRef}
        rows={1}
        aria-label={ask && !locked ? "Your answer" : "Message"}
        placeholder={placeholder}
        disabled={locked}
        value={text}
        onInput={(e) => {
          const el = e.currentTarget;
          setText(el.value);
          autosize(el);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send(e.currentTarget);
          }
        }}
        onPaste={(e) => {
          const files = Array.from(e.clipboardData?.files || []);
          if (files.length && grant) {
            e.preventDefault();
            controller.attach(files);
          }
        }}
      />
      {state.chat.running && (
        <button
          type="button"
          class="cp-stop"
          aria-label={state.stopping ? "Stopping" : "Stop"}
          title={state.stopping ? "Stopping…" : "Stop"}
          disabled={state.stopping}
          onClick={() => controller.stop()}
        >
          <StopIcon />
        </button>
      )}
      <button type="submit" class="cp-send" aria-label="Send" title={uploading ? "Uploading…" : "Send"} disabled={!canSend}>
        <SendIcon />
      </button>
    </form>
  );
}
