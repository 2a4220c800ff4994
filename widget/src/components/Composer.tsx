import type { Ref } from "preact";
import { useState } from "preact/hooks";
import type { Controller, ViewState } from "../controller";
import { SendIcon, StopIcon } from "./icons";

interface Props {
  controller: Controller;
  state: ViewState;
  inputRef: Ref<HTMLTextAreaElement>;
}

function autosize(el: HTMLTextAreaElement) {
  el.style.height = "auto";
  el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
}

/** Enter sends, Shift+Enter starts a new line. Typing works offline: messages queue. */
export function Composer({ controller, state, inputRef }: Props) {
  const [text, setText] = useState("");
  const send = (el?: HTMLTextAreaElement | null) => {
    if (!text.trim()) return;
    controller.sendUserMessage(text);
    setText("");
    if (el) {
      el.value = "";
      autosize(el);
    }
  };
  return (
    <form
      class="cp-composer"
      onSubmit={(e) => {
        e.preventDefault();
        send((e.currentTarget as HTMLFormElement).querySelector("textarea"));
      }}
    >
      <textarea
        ref={inputRef}
        rows={1}
        aria-label="Message"
        placeholder={`Message ${state.title}…`}
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
        <button type="button" class="cp-stop" aria-label="Stop" title="Stop" onClick={() => controller.stop()}>
          <StopIcon />
        </button>
      )}
      <button type="submit" class="cp-send" aria-label="Send" title="Send" disabled={!text.trim()}>
        <SendIcon />
      </button>
    </form>
  );
}
