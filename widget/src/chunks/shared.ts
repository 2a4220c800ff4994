/**
 * Inside a chunk, `preact`, `preact/hooks` and `preact/jsx-runtime` resolve to this module
 * (build.mjs): its bindings are filled from the main bundle by `bind(shared)`, which the
 * chunk's `register` calls first. Components only call them when rendered, by which time
 * they are bound, so one Preact instance serves the whole widget.
 */
import type * as P from "preact";
import type * as H from "preact/hooks";
import type * as J from "preact/jsx-runtime";
import type { Shared } from "../lazy";

export let h: typeof P.h;
export let createElement: typeof P.createElement;
export let Fragment: typeof P.Fragment;
export let Component: typeof P.Component;
export let createRef: typeof P.createRef;
export let useState: typeof H.useState;
export let useEffect: typeof H.useEffect;
export let useLayoutEffect: typeof H.useLayoutEffect;
export let useRef: typeof H.useRef;
export let useMemo: typeof H.useMemo;
export let useCallback: typeof H.useCallback;
export let jsx: typeof J.jsx;
export let jsxs: typeof J.jsxs;
export let jsxDEV: typeof J.jsx;
/** What the main bundle offers chunks beyond Preact (see `sharedParts` in lazy.ts). */
export let parts: Record<string, unknown>;
export let addStyles: (css: string) => void;

export function bind(shared: Shared): void {
  ({ h, createElement, Fragment, Component, createRef } = shared.preact);
  ({ useState, useEffect, useLayoutEffect, useRef, useMemo, useCallback } = shared.hooks);
  ({ jsx, jsxs, parts, addStyles } = shared);
  jsxDEV = jsx;
}
