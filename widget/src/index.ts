/**
 * The host-page API: window.mountCopilotWidget & co, plus the Chainlit names, so a page
 * written for Chainlit's copilot works by changing only the script URL.
 */
import { resolveConfig, type ChainlitWidgetConfig, type WidgetConfig } from "./config";
import type { HostMessage } from "./controller";
import { Widget } from "./element";
import { registerCopilotFunction, removeCopilotContext, setCopilotContext, unregisterCopilotFunction } from "./pageTools";

export type { WidgetConfig, ChainlitWidgetConfig, HostMessage };
export type { CopilotFunctionSpec, ContextOptions } from "./pageTools";

let widget: Widget | null = null;
let mountPending = false;
/** sendCopilotMessage calls made before mounting; delivered by the next mount. */
const earlyMessages: HostMessage[] = [];

export function mountCopilotWidget(config: WidgetConfig | ChainlitWidgetConfig): void {
  if (widget || mountPending) return; // idempotent: a second call does not mount twice
  const resolved = resolveConfig(config);
  const start = () => {
    mountPending = false;
    if (widget) return;
    widget = new Widget(resolved);
    for (const message of earlyMessages.splice(0)) widget.controller.sendHostMessage(message);
  };
  if (document.body) start();
  else {
    mountPending = true;
    document.addEventListener("DOMContentLoaded", start, { once: true });
  }
}

export function unmountCopilotWidget(): void {
  if (!widget) return;
  widget.destroy();
  widget = null;
}

export function toggleCopilot(): void {
  if (widget) widget.controller.toggle();
}

export function sendCopilotMessage(message: HostMessage): void {
  if (widget) widget.controller.sendHostMessage(message);
  else earlyMessages.push(message);
}

export function getCopilotThreadId(): string | null {
  return widget ? widget.controller.threadId() : null;
}

/** Forget the current thread and start a new conversation (optionally on a given thread id). */
export function clearCopilotThreadId(newThreadId?: string): void {
  if (widget) widget.controller.newChat(typeof newThreadId === "string" ? newThreadId : undefined);
}

const api = {
  mountCopilotWidget,
  unmountCopilotWidget,
  toggleCopilot,
  sendCopilotMessage,
  getCopilotThreadId,
  clearCopilotThreadId,
  // What the page gives the assistant (works before mounting, too)
  registerCopilotFunction,
  unregisterCopilotFunction,
  setCopilotContext,
  removeCopilotContext,
  // Chainlit compatibility (Chainlit has no page functions or context to alias)
  mountChainlitWidget: mountCopilotWidget,
  unmountChainlitWidget: unmountCopilotWidget,
  toggleChainlitCopilot: toggleCopilot,
  sendChainlitMessage: sendCopilotMessage,
  getChainlitCopilotThreadId: getCopilotThreadId,
  clearChainlitCopilotThreadId: clearCopilotThreadId,
};

export type CopilotApi = typeof api;

declare global {
  interface Window extends CopilotApi {
    __copilotWidget?: CopilotApi;
  }
}

/** Install the globals, unless a copy of this script already did (script included twice). */
export function installGlobals(target: Window = window): CopilotApi {
  if (target.__copilotWidget) return target.__copilotWidget;
  target.__copilotWidget = api;
  Object.assign(target, api);
  return api;
}

if (typeof window !== "undefined") installGlobals();
