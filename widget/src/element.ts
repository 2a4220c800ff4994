/**
 * The widget's presence in the page: host elements with open shadow roots, the styles
 * inside them, and the Preact trees rendered into them.
 */
import { h, render } from "preact";
import { App, LauncherApp } from "./components/App";
import { MarkdownBlock } from "./components/Markdown";
import type { ResolvedConfig } from "./config";
import { Controller } from "./controller";
import { onChunkStyles, sharedParts } from "./lazy";
import css from "./styles.css?raw";

// What chunks may use from this bundle (see lazy.ts).
sharedParts.MarkdownBlock = MarkdownBlock;

export const HOST_ID = "copilot-widget";
export const LAUNCHER_HOST_ID = "copilot-launcher";

function createHost(tag: "div" | "span", id: string, config: ResolvedConfig): { host: HTMLElement; mount: HTMLElement; stop: () => void } {
  const host = document.createElement(tag);
  host.id = id;
  host.setAttribute("data-copilot-widget", "");
  const root = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = css;
  root.appendChild(style);
  if (config.customCssUrl) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = config.customCssUrl;
    root.appendChild(link);
  }
  const mount = document.createElement("div");
  root.appendChild(mount);
  // Stylesheets of lazily loaded chunks, before the mount point so the page's customCssUrl still wins.
  const stop = onChunkStyles((chunkCss) => {
    const extra = document.createElement("style");
    extra.textContent = chunkCss;
    root.insertBefore(extra, style.nextSibling);
  });
  return { host, mount, stop };
}

export class Widget {
  readonly controller: Controller;
  private mounts: HTMLElement[] = [];
  private hosts: HTMLElement[] = [];
  private stops: Array<() => void> = [];

  constructor(config: ResolvedConfig) {
    this.controller = new Controller(config);
    const containerId = config.button.containerId;
    const container = containerId ? document.getElementById(containerId) : null;
    if (containerId && !container) {
      console.warn(`copilot: button.containerId "${containerId}" not found; using the floating button`);
    }

    const main = createHost("div", HOST_ID, config);
    document.body.appendChild(main.host);
    this.stops.push(main.stop);
    this.hosts.push(main.host);
    this.mounts.push(main.mount);
    render(h(App, { controller: this.controller, withLauncher: !container }), main.mount);

    if (container) {
      const launcher = createHost("span", LAUNCHER_HOST_ID, config);
      launcher.host.classList.add("cp-launcher-host");
      if (config.button.className) launcher.host.classList.add(...config.button.className.split(/\s+/).filter(Boolean));
      container.appendChild(launcher.host);
      this.stops.push(launcher.stop);
      this.hosts.push(launcher.host);
      this.mounts.push(launcher.mount);
      render(h(LauncherApp, { controller: this.controller }), launcher.mount);
    }
  }

  destroy(): void {
    for (const mount of this.mounts) render(null, mount);
    for (const host of this.hosts) host.remove();
    for (const stop of this.stops) stop();
    this.stops = [];
    this.mounts = [];
    this.hosts = [];
    this.controller.destroy();
  }
}
