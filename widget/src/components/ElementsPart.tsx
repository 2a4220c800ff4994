import { h, type ComponentType } from "preact";
import type { Controller, ElementsChunk } from "../controller";
import { useChunk } from "../lazy";

type Part = "Elements" | "Viewer" | "Attachments";

/**
 * A part of the elements chunk (elements.js), loaded on first use: until it arrives
 * an empty placeholder holds its place.
 */
export function ElementsPart(props: { part: Part; controller: Controller } & Record<string, unknown>) {
  const chunk = useChunk<ElementsChunk>("elements", props.controller.config.server);
  if (!chunk) return <div class="cp-loading-part" aria-busy="true" />;
  const { part, ...rest } = props;
  return h(chunk[part] as unknown as ComponentType<Record<string, unknown>>, rest);
}
