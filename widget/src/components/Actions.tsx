import type { Controller } from "../controller";
import type { WireAction } from "../protocol";
import type { ChatMessage, MessageMark } from "../store";

export function validActions(m: ChatMessage): WireAction[] {
  if (!Array.isArray(m.actions)) return [];
  return m.actions.filter((a): a is WireAction => !!a && typeof a === "object" && typeof a.id === "string");
}

/** The action buttons under a message or step; a click waits for the server's ack. */
export function Actions({ message, mark, controller }: { message: ChatMessage; mark?: MessageMark; controller: Controller }) {
  const actions = validActions(message);
  if (!actions.length) return null;
  return (
    <div class="cp-actions" role="group" aria-label="Actions" aria-busy={mark?.actionPending ? "true" : undefined}>
      {actions.map((a) => (
        <button
          key={a.id}
          type="button"
          class="cp-action"
          title={a.tooltip || undefined}
          disabled={!!mark?.actionPending}
          onClick={() => controller.runAction(message.id, a)}
        >
          {String(a.label || a.name || "")}
        </button>
      ))}
    </div>
  );
}
