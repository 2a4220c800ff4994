import { Component } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import type { ViewState } from "../controller";
import { visibleMessages, type ChatMessage } from "../store";
import { MarkdownBlock } from "./Markdown";

interface ItemProps {
  message: ChatMessage;
  assistantName: string;
}

/** One message. Re-renders only when its own message object changed. */
class MessageItem extends Component<ItemProps> {
  shouldComponentUpdate(next: ItemProps): boolean {
    return next.message !== this.props.message || next.assistantName !== this.props.assistantName;
  }

  render({ message: m, assistantName }: ItemProps) {
    const isUser = m.type === "user_message";
    const author = m.author || (m.isError ? "Error" : isUser ? "You" : assistantName);
    return (
      <div
        class="cp-msg"
        data-type={m.type}
        data-error={m.isError ? "" : undefined}
        data-streaming={m.streaming ? "" : undefined}
        data-pending={m.pending ? "" : undefined}
      >
        <div class="cp-author">{author}</div>
        <div class="cp-bubble">
          {isUser ? m.content : <MarkdownBlock content={m.content} streaming={!!m.streaming} />}
        </div>
        {m.failed && <div class="cp-failed">Not sent: {m.failed}</div>}
      </div>
    );
  }
}

/** The conversation. Sticks to the bottom while the user has not scrolled up. */
export function MessageList({ state }: { state: ViewState }) {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });
  const onScroll = () => {
    const el = ref.current;
    if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
  };
  const messages = visibleMessages(state.chat);
  const running = state.chat.running;
  return (
    // role=log would announce every streamed token; replies are announced once, when
    // complete, by the panel's single polite live region instead.
    <div class="cp-messages" ref={ref} role="log" aria-live="off" aria-label="Conversation" tabIndex={0} onScroll={onScroll}>
      {messages.length === 0 && !running && <p class="cp-empty">How can I help?</p>}
      {messages.map((m) => (
        <MessageItem key={m.clientId || m.id} message={m} assistantName={state.assistantName} />
      ))}
      {running && (
        <div class="cp-typing" aria-hidden="true" title={`${state.assistantName} is working…`}>
          <i />
          <i />
          <i />
        </div>
      )}
    </div>
  );
}
