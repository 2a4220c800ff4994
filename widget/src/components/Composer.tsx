import type { Ref } from "preact";
import { useState } from "preact/hooks";
import type { Controller, ViewState } from "../controller";
import { SendIcon, StopIcon } from "./icons";

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

/**
 * Enter sends, Shift+Enter starts a new line. Typing works offline: messages queue.
 * While the assistant asks for text, the next message answers it (the placeholder says
 * so); while it asks the user to pick an action, typing is off until a button is used.
 */
export function Composer({ controller, state, inputRef, hidden }: Props) {
  const [text, setText] = useState("");
  const ask = state.chat.ask;
  const locked = ask?.kind === "action";
  const send = (el?: HTMLTextAreaElement | null) => {
    if (!text.trim() || locked) return;
    controller.sendUserMessage(text);
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
    placeholder = locked ? "Choose one of the options above" : what ? `Reply to: ${what}` : "Type your answer…";
  }
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
      <button type="submit" class="cp-send" aria-label="Send" title="Send" disabled={locked || !text.trim()}>
        <SendIcon />
      </button>
    </form>
  );
}
