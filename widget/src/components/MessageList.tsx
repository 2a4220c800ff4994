import { Component } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Controller, ViewState } from "../controller";
import type { FeedbackValue, WireElement, WireFeedback } from "../protocol";
import { RESENDABLE, elementsOf, visibleMessages, type ChatMessage, type MessageMark } from "../store";
import { Actions } from "./Actions";
import { ElementsPart } from "./ElementsPart";
import { ThumbIcon } from "./icons";
import { MarkdownBlock } from "./Markdown";
import { StepItem } from "./Step";

interface ItemProps {
  message: ChatMessage;
  elements: WireElement[];
  assistantName: string;
  mark: MessageMark | undefined;
  /** This message is the question of the running ask. */
  asking: boolean;
  /** The server stores feedback: complete assistant replies get thumbs. */
  feedbackOn: boolean;
  controller: Controller;
}

/** A reply that can be rated: complete, from the server, not an error. */
function rateable(m: ChatMessage): boolean {
  return m.type === "assistant_message" && !m.streaming && !m.isError && !m.pending && !m.id.startsWith("local-");
}

/** The optional comment after a thumb: Enter sends, Escape (or Skip) closes it. */
function CommentForm({ onSend, onClose }: { onSend: (text: string) => void; onClose: () => void }) {
  const [text, setText] = useState("");
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <form
      class="cp-comment"
      onSubmit={(e) => {
        e.preventDefault();
        onSend(text);
      }}
    >
      <textarea
        ref={ref}
        rows={2}
        maxLength={2000}
        aria-label="Comment (optional)"
        placeholder="Tell us more (optional)"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            onSend(text);
          } else if (e.key === "Escape") {
            e.preventDefault();
            e.stopPropagation(); // closes the box, not the panel
            onClose();
          }
        }}
      />
      <div class="cp-comment-buttons">
        <button type="button" class="cp-plain" onClick={onClose}>
          Skip
        </button>
        <button type="submit" class="cp-primary" disabled={!text.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}

function Feedback({ id, feedback, mark, controller }: { id: string; feedback: WireFeedback | null; mark?: MessageMark; controller: Controller }) {
  const thumb = (value: FeedbackValue, label: string) => (
    <button
      type="button"
      class={value ? "cp-thumb" : "cp-thumb cp-down"}
      aria-label={label}
      title={label}
      aria-pressed={feedback?.value === value ? "true" : "false"}
      onClick={() => controller.rate(id, value)}
    >
      <ThumbIcon />
    </button>
  );
  return (
    <div class="cp-feedback">
      <div class="cp-thumbs" role="group" aria-label="Rate this answer">
        {thumb(1, "Helpful")}
        {thumb(0, "Not helpful")}
        {feedback?.comment && !mark?.commentOpen && <span class="cp-comment-text">“{feedback.comment}”</span>}
      </div>
      {mark?.commentOpen && feedback && (
        <CommentForm onSend={(text) => controller.comment(id, text)} onClose={() => controller.closeComment(id)} />
      )}
      {mark?.feedbackError && <div class="cp-failed">{mark.feedbackError}</div>}
    </div>
  );
}

function ResendButton({ id, controller }: { id: string; controller: Controller }) {
  return (
    <button type="button" class="cp-plain cp-resend" onClick={() => controller.resend(id)}>
      Send again
    </button>
  );
}

/** One message. Re-renders only when its own message, mark or ask status changed. */
class MessageItem extends Component<ItemProps> {
  shouldComponentUpdate(next: ItemProps): boolean {
    const p = this.props;
    return (
      next.message !== p.message ||
      next.elements !== p.elements ||
      next.assistantName !== p.assistantName ||
      next.mark !== p.mark ||
      next.asking !== p.asking ||
      next.feedbackOn !== p.feedbackOn
    );
  }

  render({ message: m, elements, assistantName, mark, asking, feedbackOn, controller }: ItemProps) {
    const isUser = m.type === "user_message";
    // The user's own messages are "You" (the server's echo names them "User" or the login).
    const author = isUser ? "You" : m.author || (m.isError ? "Error" : assistantName);
    const feedback = mark && mark.feedback !== undefined ? mark.feedback : m.feedback || null;
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
        {(m.content || !elements.length) && (
          <div class="cp-bubble">{isUser ? m.content : <MarkdownBlock content={m.content} streaming={!!m.streaming} />}</div>
        )}
        {elements.length > 0 && <ElementsPart part="Elements" controller={controller} elements={elements} />}
        <Actions message={m} mark={mark} controller={controller} />
        {m.failed && (
          <div class="cp-failed">
            Not sent: {m.failed}
            {m.failedCode && RESENDABLE.includes(m.failedCode) && <ResendButton id={m.id} controller={controller} />}
          </div>
        )}
        {isUser && mark?.unanswered && (
          <div class="cp-unanswered" role="status">
            Not answered. <ResendButton id={m.id} controller={controller} />
          </div>
        )}
        {mark?.actionError && <div class="cp-failed">{mark.actionError}</div>}
        {mark?.note && <div class="cp-note">{mark.note}</div>}
        {feedbackOn && rateable(m) && <Feedback id={m.id} feedback={feedback} mark={mark} controller={controller} />}
      </div>
    );
  }
}

/** The conversation. Sticks to the bottom while the user has not scrolled up. */
export function MessageList({ controller, state, hidden }: { controller: Controller; state: ViewState; hidden?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });
  const onScroll = () => {
    const el = ref.current;
    if (el && !hidden) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
  };
  const messages = visibleMessages(state.chat);
  const { running, ask, marks } = state.chat;
  // Steps nested in another step are shown inside it; the rest in the flow of the chat.
  const stepIds = new Set(messages.filter((m) => m.type === "step").map((m) => m.id));
  const nested = new Map<string, ChatMessage[]>();
  const shown: ChatMessage[] = [];
  for (const m of messages) {
    if (m.type === "step" && m.parentId && stepIds.has(m.parentId)) {
      nested.set(m.parentId, [...(nested.get(m.parentId) || []), m]);
    } else shown.push(m);
  }
  return (
    // role=log would announce every streamed token; replies are announced once, when
    // complete, by the panel's single polite live region instead.
    <div
      class="cp-messages"
      ref={ref}
      role="log"
      aria-live="off"
      aria-label="Conversation"
      tabIndex={0}
      hidden={hidden}
      onScroll={onScroll}
    >
      {messages.length === 0 && !running && <p class="cp-empty">How can I help?</p>}
      {shown.map((m) =>
        m.type === "step" ? (
          <StepItem key={m.id} message={m} nested={nested} marks={marks} askingId={ask ? ask.messageId : null} controller={controller} />
        ) : (
        <MessageItem
          key={m.clientId || m.id}
          message={m}
          elements={elementsOf(state.chat, m)}
          assistantName={state.assistantName}
          mark={marks[m.id]}
          asking={!!ask && ask.messageId === m.id}
          feedbackOn={state.features.feedback}
          controller={controller}
        />
        ),
      )}
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
