/** Host-page configuration: validation, defaults, and the Chainlit spelling. */

export type Theme = "light" | "dark" | "auto";
export type DisplayMode = "floating" | "sidebar";

export interface ButtonConfig {
  /** id of an element on the page the launcher button is mounted into. */
  containerId?: string;
  imageUrl?: string;
  /** Extra CSS classes for the launcher (set on its host element and on the button). */
  className?: string;
}

/** What `mountCopilotWidget` accepts. */
export interface WidgetConfig {
  server: string;
  accessToken?: string;
  theme?: Theme;
  button?: ButtonConfig;
  opened?: boolean;
  expanded?: boolean;
  displayMode?: DisplayMode;
  language?: string;
  customCssUrl?: string;
  transports?: string[];
}

/** What `mountChainlitWidget` accepts (the seed's IWidgetConfig). */
export interface ChainlitWidgetConfig extends Omit<WidgetConfig, "server"> {
  chainlitServer: string;
  server?: string;
}

export interface ResolvedConfig {
  server: string;
  accessToken?: string;
  theme: Theme;
  button: ButtonConfig;
  opened: boolean;
  expanded: boolean;
  displayMode: DisplayMode;
  language?: string;
  customCssUrl?: string;
  transports?: string[];
}

export class ConfigError extends Error {}

function optionalString(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new ConfigError(`copilot: '${key}' must be a string`);
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, key: string): T {
  if (value === undefined || value === null) return fallback;
  if (!allowed.includes(value as T)) {
    throw new ConfigError(`copilot: '${key}' must be one of ${allowed.join(", ")}`);
  }
  return value as T;
}

/** Validate the host page's config; throws ConfigError naming the bad key. */
export function resolveConfig(input: unknown): ResolvedConfig {
  if (!input || typeof input !== "object") throw new ConfigError("copilot: mountCopilotWidget needs a config object");
  const c = input as Partial<WidgetConfig & ChainlitWidgetConfig>;
  const raw = optionalString(c.server ?? c.chainlitServer, "server");
  if (!raw) throw new ConfigError("copilot: 'server' is required (the URL of the copilot server, with its mount prefix)");
  let server: string;
  try {
    // Relative URLs are resolved against the page, so "/assistant" works on the same origin.
    const url = new URL(raw, typeof location !== "undefined" ? location.href : undefined);
    server = url.href.replace(/\/+$/, "");
  } catch {
    throw new ConfigError(`copilot: 'server' is not a valid URL: ${raw}`);
  }
  const button = c.button && typeof c.button === "object" ? c.button : {};
  if (c.transports !== undefined && !(Array.isArray(c.transports) && c.transports.every((t) => typeof t === "string"))) {
    throw new ConfigError("copilot: 'transports' must be a list of strings, e.g. [\"websocket\"]");
  }
  return {
    server,
    accessToken: optionalString(c.accessToken, "accessToken"),
    theme: oneOf(c.theme, ["light", "dark", "auto"] as const, "light", "theme"),
    button: {
      containerId: optionalString(button.containerId, "button.containerId"),
      imageUrl: optionalString(button.imageUrl, "button.imageUrl"),
      className: optionalString(button.className, "button.className"),
    },
    opened: Boolean(c.opened),
    expanded: Boolean(c.expanded),
    displayMode: oneOf(c.displayMode, ["floating", "sidebar"] as const, "floating", "displayMode"),
    language: optionalString(c.language, "language"),
    customCssUrl: optionalString(c.customCssUrl, "customCssUrl"),
    transports: c.transports && c.transports.length ? c.transports.slice() : undefined,
  };
}
