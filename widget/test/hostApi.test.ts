import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import "../src/index";
import { until } from "./fakeServer";

const host = () => document.getElementById("copilot-widget");
const shadow = () => host()!.shadowRoot!;
const tick = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  // No server in these tests: the settings request never answers.
  vi.stubGlobal("fetch", () => new Promise(() => {}));
});
afterEach(() => {
  window.unmountCopilotWidget();
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

describe("host API", () => {
  it("puts the Copilot and Chainlit names on window", () => {
    for (const name of [
      "mountCopilotWidget", "unmountCopilotWidget", "toggleCopilot", "sendCopilotMessage",
      "getCopilotThreadId", "clearCopilotThreadId", "mountChainlitWidget", "unmountChainlitWidget",
      "toggleChainlitCopilot", "sendChainlitMessage", "getChainlitCopilotThreadId", "clearChainlitCopilotThreadId",
    ]) {
      expect(typeof (window as any)[name], name).toBe("function");
    }
  });

  it("mounts once, however often it is called", async () => {
    window.mountCopilotWidget({ server: "http://127.0.0.1:1" });
    window.mountCopilotWidget({ server: "http://127.0.0.1:1" });
    window.mountChainlitWidget({ chainlitServer: "http://127.0.0.1:1" });
    await tick();
    expect(document.querySelectorAll("#copilot-widget")).toHaveLength(1);
    expect(shadow().querySelectorAll(".cp-launcher")).toHaveLength(1);
    window.unmountCopilotWidget();
    expect(host()).toBeNull();
    window.mountChainlitWidget({ chainlitServer: "http://127.0.0.1:1" });
    await tick();
    expect(document.querySelectorAll("#copilot-widget")).toHaveLength(1);
  });

  it("rejects a config without server, naming the key", () => {
    expect(() => window.mountCopilotWidget({} as any)).toThrow(/'server' is required/);
    expect(() => window.mountCopilotWidget({ server: "http://x", theme: "pink" } as any)).toThrow(/'theme'/);
    expect(host()).toBeNull();
  });

  it("lives in an open shadow root with its styles inside", async () => {
    window.mountCopilotWidget({ server: "http://127.0.0.1:1", customCssUrl: "https://cdn.example/copilot.css" });
    await tick();
    const root = shadow();
    expect(host()!.shadowRoot).toBe(root); // mode "open"
    expect(root.querySelector("style")!.textContent).toMatch(/:host\(:not\(.cp-launcher-host\)\)\s*{\s*all:\s*initial\s*!important/);
    expect(root.querySelector('link[rel="stylesheet"]')!.getAttribute("href")).toBe("https://cdn.example/copilot.css");
    expect(document.head.querySelector("style")).toBeNull(); // nothing leaks into the page
    const launcher = root.querySelector<HTMLButtonElement>(".cp-launcher")!;
    expect(launcher.getAttribute("aria-label")).toMatch(/^Open /);
    expect(root.querySelector('[role="log"]')).not.toBeNull();
    expect(root.querySelectorAll("[aria-live=polite]")).toHaveLength(1);
  });

  it("toggles, closes on Escape, and returns focus to the launcher", async () => {
    window.mountCopilotWidget({ server: "http://127.0.0.1:1" });
    await tick();
    const panel = shadow().querySelector<HTMLElement>(".cp-panel")!;
    expect(panel.hidden).toBe(true);
    shadow().querySelector<HTMLButtonElement>(".cp-launcher")!.click();
    await until(() => !panel.hidden, "panel open");
    const textarea = shadow().querySelector("textarea")!;
    await until(() => shadow().activeElement === textarea, "composer focused");
    textarea.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, composed: true }));
    await until(() => panel.hidden === true, "panel closed");
    expect(shadow().activeElement).toBe(shadow().querySelector(".cp-launcher"));
    window.toggleChainlitCopilot();
    await until(() => !panel.hidden, "panel open again");
    window.toggleCopilot();
    await until(() => panel.hidden === true, "panel closed again");
  });

  it("mounts the launcher into button.containerId, with className", async () => {
    document.body.innerHTML = '<nav><div id="slot"></div></nav>';
    window.mountCopilotWidget({ server: "http://127.0.0.1:1", button: { containerId: "slot", className: "my-btn big" } });
    await tick();
    const launcherHost = document.querySelector("#slot > #copilot-launcher")!;
    expect(launcherHost).not.toBeNull();
    expect(launcherHost.classList.contains("my-btn")).toBe(true);
    const button = launcherHost.shadowRoot!.querySelector(".cp-launcher")!;
    expect(button.classList.contains("big")).toBe(true);
    expect(shadow().querySelector(".cp-launcher")).toBeNull();
    (button as HTMLButtonElement).click();
    await until(() => !shadow().querySelector<HTMLElement>(".cp-panel")!.hidden, "panel open");
  });

  it("honours opened, expanded, theme and displayMode", async () => {
    window.mountCopilotWidget({ server: "http://127.0.0.1:1", opened: true, expanded: true, theme: "dark", displayMode: "sidebar" });
    await tick();
    const root = shadow().querySelector(".cp-root")!;
    expect(root.getAttribute("data-theme")).toBe("dark");
    expect(root.getAttribute("data-mode")).toBe("sidebar");
    const panel = shadow().querySelector<HTMLElement>(".cp-panel")!;
    expect(panel.hidden).toBe(false);
    expect(panel.hasAttribute("data-expanded")).toBe(true);
  });

  it("installs its globals only once if the script is loaded twice", async () => {
    const { installGlobals } = await import("../src/index");
    const first = window.mountCopilotWidget;
    installGlobals(window);
    expect(window.mountCopilotWidget).toBe(first);
  });
});
