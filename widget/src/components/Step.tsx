import type { Controller } from "../controller";
import type { WireStep } from "../protocol";
import type { ChatMessage, MessageMark } from "../store";
import { Actions, validActions } from "./Actions";
import { MarkdownBlock } from "./Markdown";

export interface StepProps {
  message: ChatMessage;
  /** Steps by the id of the step they are nested in. */
  nested: Map<string, ChatMessage[]>;
  marks: Record<string, MessageMark>;
  askingId: string | null;
  controller: Controller;
}

const STATUS_TEXT = { running: "Running", done: "Done", error: "Failed" } as const;

function infoOf(m: ChatMessage): WireStep {
  const step = m.step;
  if (step && typeof step === "object" && (step.status === "running" || step.status === "done" || step.status === "error")) return step;
  return { kind: "run", input: null, status: m.isError ? "error" : m.streaming ? "running" : "done" };
}

/**
 * A step (a tool call, a page function call, any `Step` on the server): one compact
 * line with its name and state, which opens on the input, the output (or error) and
 * the steps nested in it. Open by itself while it asks for approval.
 */
export function StepItem({ message: m, nested, marks, askingId, controller }: StepProps) {
  const info = infoOf(m);
  const children = nested.get(m.id) || [];
  const mark = marks[m.id];
  const asking = validActions(m).length > 0;
  const asCode = info.language === "json" || info.status === "error";
  const name = m.author || info.kind;
  return (
    <div class="cp-step" data-status={info.status} data-kind={info.kind} data-asking={askingId === m.id ? "" : undefined}>
      <details open={asking || undefined}>
        <summary>
          <span class="cp-step-icon" aria-hidden="true" />
          <span class="cp-step-name">{name}</span>
          <span class="cp-step-state">{asking && info.status === "running" ? "Needs your approval" : STATUS_TEXT[info.status]}</span>
        </summary>
        <div class="cp-step-body">
          {info.input ? (
            <div class="cp-step-part" data-part="input">
              <div class="cp-step-label">Input</div>
              <pre>{info.input}</pre>
            </div>
          ) : null}
          {m.content ? (
            <div class="cp-step-part" data-part="output">
              <div class="cp-step-label">{info.status === "error" ? "Error" : "Output"}</div>
              {asCode ? <pre>{m.content}</pre> : <MarkdownBlock content={m.content} streaming={!!m.streaming} />}
            </div>
          ) : null}
          {children.map((child) => (
            <StepItem key={child.id} message={child} nested={nested} marks={marks} askingId={askingId} controller={controller} />
          ))}
        </div>
      </details>
      <Actions message={m} mark={mark} controller={controller} />
      {mark?.actionError && <div class="cp-failed">{mark.actionError}</div>}
    </div>
  );
}
