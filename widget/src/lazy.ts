/**
 * Lazy chunks: code only some chats need (element renderers, uploads; later audio
 * recording) lives in files of its own next to index.js, loaded with `import()` the
 * first time it is needed. A chunk is an ES module whose default export is
 * `register(shared)`: it receives Preact (and a few helpers) from this bundle, so
 * Preact is not downloaded twice and hooks share one instance, and returns its parts.
 * See widget/README.md ("Lazy chunks") for how to add one.
 */
import { Component, Fragment, createRef, h } from "preact";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { jsx, jsxs } from "preact/jsx-runtime";

// What chunks get of Preact: named, so the rest of it is still left out of index.js.
const preact = { h, createElement: h, Fragment, Component, createRef };
const hooks = { useState, useEffect, useLayoutEffect, useRef, useMemo, useCallback };

/** Chunk name -> content hash, set by build.mjs (`?v=` keeps index.js and its chunks in step). */
declare const __COPILOT_CHUNKS__: Record<string, string>;

/** What every chunk gets from the main bundle. */
export interface Shared {
  preact: typeof preact;
  hooks: typeof hooks;
  jsx: typeof jsx;
  jsxs: typeof jsxs;
  /** Add a stylesheet to the widget's shadow roots (present and future). */
  addStyles(css: string): void;
  /** Anything else the main bundle offers chunks (components, helpers). */
  parts: Record<string, unknown>;
}

type Loader = (url: string) => Promise<{ default: (shared: Shared) => unknown }>;

// The script's own URL, read while it runs (document.currentScript is null later).
const scriptUrl = typeof document !== "undefined" && document.currentScript instanceof HTMLScriptElement ? document.currentScript.src : "";
const loaded = new Map<string, Promise<unknown>>();
/** Chunks already loaded, for components that render them synchronously. */
const ready = new Map<string, unknown>();
const styles: string[] = [];
const styleListeners = new Set<(css: string) => void>();
export const sharedParts: Record<string, unknown> = {};
let loader: Loader = (url) => import(/* @vite-ignore */ url);

/** Tests load chunks from their sources instead of over HTTP. */
export function setChunkLoader(load: Loader): void {
  loader = load;
  loaded.clear();
  ready.clear();
}

/** Stylesheets chunks added, and a way to hear of new ones (the shadow roots use it). */
export function onChunkStyles(listener: (css: string) => void): () => void {
  for (const css of styles) listener(css);
  styleListeners.add(listener);
  return () => styleListeners.delete(listener);
}

export function chunkUrl(name: string, server: string): string {
  const base = scriptUrl || `${server}/copilot/index.js`;
  const version = typeof __COPILOT_CHUNKS__ !== "undefined" ? __COPILOT_CHUNKS__[name] : "";
  return new URL(`${name}.js${version ? `?v=${version}` : ""}`, base).href;
}

/** The chunk's parts (loaded once; a failed load is retried next time). */
export function loadChunk<T>(name: string, server: string): Promise<T> {
  let promise = loaded.get(name);
  if (!promise) {
    const shared: Shared = {
      preact,
      hooks,
      jsx,
      jsxs,
      addStyles(css) {
        styles.push(css);
        for (const listener of styleListeners) listener(css);
      },
      parts: sharedParts,
    };
    promise = loader(chunkUrl(name, server)).then((module) => module.default(shared));
    promise.catch(() => loaded.delete(name));
    loaded.set(name, promise);
  }
  return promise as Promise<T>;
}

/** A chunk's parts for a component: null until loaded (the first call starts loading). */
export function useChunk<T>(name: string, server: string): T | null {
  const [parts, setParts] = useState<T | null>(() => (ready.get(name) as T) ?? null);
  useEffect(() => {
    if (parts) return;
    let live = true;
    loadChunk<T>(name, server).then(
      (loadedParts) => {
        ready.set(name, loadedParts);
        if (live) setParts(loadedParts);
      },
      (err) => console.warn(`copilot: could not load ${name}.js:`, err),
    );
    return () => {
      live = false;
    };
  }, [name, server, parts]);
  return parts;
}
