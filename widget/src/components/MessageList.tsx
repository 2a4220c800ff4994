import { Component } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import type { Controller, ViewState } from "../controller";
import type { WireAction } from "../protocol";
import { visibleMessages, type ChatMessage, type MessageMark } from "../store";
import { MarkdownBlock } from "./Markdown";

interface ItemProps {
  message: ChatMessage;
  assistantName: string;
  mark: MessageMark | undefined;
  /** This message is the question of the running ask. */
  asking: boolean;
  onAction: (messageId: string, action: WireAction) => void;
}

function validActions(m: ChatMessage): WireAction[] {
  if (!Array.isArray(m.actions)) return [];
  return m.actions.filter((a): a is WireAction => !!a && typeof a === "object" && typeof a.id === "string");
}

/** One message. Re-renders only when its own message, mark or ask status changed. */
class MessageItem extends Component<ItemProps> {
  shouldComponentUpdate(next: ItemProps): boolean {
    const p = this.props;
    return next.message !== p.message || next.assistantName !== p.assistantName || next.mark !== p.mark || next.asking !== p.asking;
  }

  render({ message: m, assistantName, mark, asking, onAction }: ItemProps) {
    const isUser = m.type === "user_message";
    const author = m.author || (m.isError ? "Error" : isUser ? "You" : assistantName);
    const actions = validActions(m);
    return (
      <div
        class="cp-msg"
        data-type={m.type}
        data-error={m.isError ? "" : undefined}
        data-streaming={m.streaming ? "" : undefined}
        data-pending={m.pending ? "" : undefined}
        data-asking={asking ? "" : undefined}
      >
        <div class="cp-author">{author}</div>
        <div class="cp-bubble">
          {isUser ? m.content : <MarkdownBlock content={m.content} streaming={!!m.streaming} />}
        </div>
        {actions.length > 0 && (
          <div class="cp-actions" role="group" aria-label="Actions" aria-busy={mark?.actionPending ? "true" : undefined}>
            {actions.map((a) => (
              <button
                key={a.id}
                type="button"
                class="cp-action"
                title={a.tooltip || undefined}
                disabled={!!mark?.actionPending}
                onClick={() => onAction(m.id, a)}
              >
                {String(a.label || a.name || "")}
              </button>
            ))}
          </div>
        )}
        {m.failed && <div class="cp-failed">Not sent: {m.failed}</div>}
        {mark?.actionError && <div class="cp-failed">{mark.actionError}</div>}
        {mark?.note && <div class="cp-note">{mark.note}</div>}
      </div>
    );
  }
}

/** The conversation. Sticks to the bottom while the user has not scrolled up. */
export function MessageList({ controller, state }: { controller: Controller; state: ViewState }) {
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
  const { running, ask, marks } = state.chat;
  const onAction = (messageId: string, action: WireAction) => controller.runAction(messageId, action);
  return (
    // role=log would announce every streamed token; replies are announced once, when
    // complete, by the panel's single polite live region instead.
    <div class="cp-messages" ref={ref} role="log" aria-live="off" aria-label="Conversation" tabIndex={0} onScroll={onScroll}>
      {messages.length === 0 && !running && <p class="cp-empty">How can I help?</p>}
      {messages.map((m) => (
        <MessageItem
          key={m.clientId || m.id}
          message={m}
          assistantName={state.assistantName}
          mark={marks[m.id]}
          asking={!!ask && ask.messageId === m.id}
          onAction={onAction}
        />
      ))}
      {running && !ask && (
        <div class="cp-typing" aria-hidden="true" title={`${state.assistantName} is working…`}>
          <i />
          <i />
          <i />
        </div>
      )}
    </div>
  );
}
