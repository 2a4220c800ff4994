/**
 * The elements chunk (elements.js, loaded on first use): renders every element type,
 * the side / page / zoom views, the attached files' chips, and uploads them.
 *
 * Images load lazily and enlarge on click (alt text from the name); files are chips
 * with name, size and a download link; PDFs open in the browser's own viewer (an
 * iframe of the signed URL: no PDF library here); audio and video use the browser's
 * players; text is Markdown (or code, with a `language`). A stored element whose signed
 * URL has expired asks the server for a fresh one (`file_url`) once, when it fails to load.
 */
import type { ComponentType } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Controller, UploadItem, ViewState } from "../controller";
import type { UploadedFile, UploadLimits, WireElement } from "../protocol";
import { uuid } from "../uuid";
import css from "./elements.css?raw";
import { addStyles, bind, parts } from "./shared";
import type { Shared } from "../lazy";

type Props = { controller: Controller; el: WireElement };

export function formatBytes(n: number | null | undefined): string {
  if (typeof n !== "number" || n < 0) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Stored on our server (a path): signed, renewable. External URLs are used as they are. */
function isOurs(el: WireElement): boolean {
  return typeof el.url === "string" && el.url.startsWith("/");
}

/** The element's URL, absolute; external ones only over http(s). */
export function urlOf(controller: Controller, el: WireElement, url = el.url): string | null {
  if (!url) return null;
  try {
    const absolute = new URL(url, controller.config.server);
    return absolute.protocol === "http:" || absolute.protocol === "https:" ? absolute.href : null;
  } catch {
    return null;
  }
}

/**
 * The element's URL, renewed through the server (`file_url`) once when loading it fails,
 * and by `freshen()` (hover, focus) when its signature is about to expire.
 */
function useSource(controller: Controller, el: WireElement): [string | null, () => void, () => void] {
  const [src, setSrc] = useState(() => urlOf(controller, el));
  const renewed = useRef(false);
  useEffect(() => setSrc(urlOf(controller, el)), [el.url]);
  const renew = () =>
    void controller.renewUrl(el.id).then((url) => {
      if (url) setSrc(urlOf(controller, el, url));
    });
  const onError = () => {
    if (renewed.current || !isOurs(el)) return;
    renewed.current = true;
    renew();
  };
  const freshen = () => {
    if (src && isOurs(el) && signedAge(src) > controller.fileUrlTtl() - 120) renew();
  };
  return [src, onError, freshen];
}

/** Seconds since a signed URL was signed (its token is itsdangerous': payload.timestamp.signature). */
export function signedAge(url: string): number {
  const token = new URL(url).pathname.split("/").slice(-2)[0] || "";
  const stamp = token.split(".").slice(-2)[0] || "";
  let seconds = 0;
  for (const c of stamp) {
    const i = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(c);
    if (i < 0) return 0;
    seconds = seconds * 64 + i;
  }
  // base64 of a big-endian integer, without padding: drop the filler bits
  seconds = Math.floor(seconds / 2 ** ((stamp.length * 6) % 8));
  return stamp ? Date.now() / 1000 - seconds : 0;
}

function withQuery(url: string, query: string): string {
  return url + (url.includes("?") ? "&" : "?") + query;
}

function FileChip({ controller, el }: Props) {
  const [src, , freshen] = useSource(controller, el);
  const size = formatBytes(el.bytes);
  const label = `${el.name}${size ? `, ${size}` : ""}`;
  const body = (
    <>
      <span class="cp-file-icon" aria-hidden="true">
        {(el.name.split(".").pop() || "file").slice(0, 4).toUpperCase()}
      </span>
      <span class="cp-file-name">{el.name}</span>
      {size && <span class="cp-file-size">{size}</span>}
    </>
  );
  if (!src) return <span class="cp-file">{body}</span>;
  const href = isOurs(el) ? withQuery(src, "download=1") : src;
  return (
    <a
      class="cp-file"
      href={href}
      download={el.name}
      target="_blank"
      rel="noopener noreferrer"
      aria-label={`Download ${label}`}
      title={`Download ${label}`}
      onPointerEnter={freshen}
      onFocus={freshen}
    >
      {body}
    </a>
  );
}

function ImageEl({ controller, el, full }: Props & { full?: boolean }) {
  const [src, onError] = useSource(controller, el);
  if (!src) return <FileChip controller={controller} el={el} />;
  const img = <img src={src} alt={el.name} loading="lazy" decoding="async" onError={onError} />;
  if (full) return <div class="cp-img" data-size="large">{img}</div>;
  return (
    <button
      type="button"
      class="cp-img"
      data-size={el.size || "medium"}
      aria-label={`Enlarge ${el.name}`}
      title={el.name}
      onClick={() => controller.view(el, "zoom")}
    >
      {img}
    </button>
  );
}

function PdfEl({ controller, el, full }: Props & { full?: boolean }) {
  const [src] = useSource(controller, el);
  if (!src) return <FileChip controller={controller} el={el} />;
  const page = typeof el.page === "number" && el.page > 0 ? `#page=${el.page}` : "";
  return (
    <div class="cp-pdf" data-full={full ? "" : undefined}>
      <iframe src={src + page} title={el.name} loading="lazy" />
      <FileChip controller={controller} el={el} />
    </div>
  );
}

function PlayerEl({ controller, el }: Props) {
  const [src, onError] = useSource(controller, el);
  if (!src) return <FileChip controller={controller} el={el} />;
  const common = { src, controls: true, preload: "metadata" as const, autoPlay: !!el.autoPlay, onError, "aria-label": el.name, title: el.name };
  return (
    <figure class="cp-player" data-type={el.type}>
      {el.type === "video" ? <video {...common} playsInline /> : <audio {...common} />}
      <figcaption>{el.name}</figcaption>
    </figure>
  );
}

function TextEl({ controller, el }: Props) {
  const [text, setText] = useState<string | null>(typeof el.content === "string" ? el.content : null);
  const [src] = useSource(controller, el);
  useEffect(() => {
    if (typeof el.content === "string") return setText(el.content);
    if (!src) return;
    let live = true;
    fetch(src)
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((t) => live && setText(t))
      .catch(() => live && setText(null));
    return () => {
      live = false;
    };
  }, [el.content, src]);
  if (text === null) return <FileChip controller={controller} el={el} />;
  const Markdown = parts.MarkdownBlock as ComponentType<{ content: string; streaming: boolean }>;
  const fence = "`".repeat(Math.max(3, ...(text.match(/`+/g) || []).map((m) => m.length + 1)));
  const content = el.language ? `${fence}${el.language}\n${text}\n${fence}` : text;
  return (
    <div class="cp-text">
      <Markdown content={content} streaming={false} />
    </div>
  );
}

/** One element, shown in full. */
function ElementView({ controller, el, full }: Props & { full?: boolean }) {
  switch (el.type) {
    case "image":
      return <ImageEl controller={controller} el={el} full={full} />;
    case "pdf":
      return <PdfEl controller={controller} el={el} full={full} />;
    case "audio":
    case "video":
      return <PlayerEl controller={controller} el={el} />;
    case "text":
      return <TextEl controller={controller} el={el} />;
    default:
      return <FileChip controller={controller} el={el} />;
  }
}

/** A message's elements: inline ones in place, side and page ones as buttons that open them. */
export function Elements({ controller, elements }: { controller: Controller; elements: WireElement[] }) {
  const valid = elements.filter((el) => el && typeof el.id === "string" && typeof el.name === "string");
  return (
    <div class="cp-elements">
      {valid.map((el) =>
        el.display === "side" || el.display === "page" ? (
          <button key={el.id} type="button" class="cp-el-open" data-display={el.display} onClick={() => controller.view(el, el.display as "side" | "page")}>
            {el.name}
          </button>
        ) : (
          <div key={el.id} class="cp-el" data-type={el.type}>
            <ElementView controller={controller} el={el} />
          </div>
        ),
      )}
    </div>
  );
}

/** An element opened in the side view, over the whole panel, or (an image) enlarged. */
export function Viewer({ controller, state }: { controller: Controller; state: ViewState }) {
  const close = useRef<HTMLButtonElement>(null);
  const viewing = state.viewing;
  useEffect(() => close.current?.focus(), [viewing && viewing.element.id]);
  if (!viewing) return null;
  const { element: el, mode } = viewing;
  const cls = mode === "zoom" ? "cp-zoom" : mode === "page" ? "cp-page" : "cp-side";
  return (
    <div class={cls} role="dialog" aria-label={el.name} onClick={mode === "zoom" ? () => controller.view(null) : undefined}>
      <div class="cp-view-head">
        <span class="cp-view-title">{el.name}</span>
        <button ref={close} type="button" class="cp-view-close" aria-label="Close" title="Close" onClick={() => controller.view(null)}>
          ×
        </button>
      </div>
      <div class="cp-view-body" onClick={(e) => mode === "zoom" && e.stopPropagation()}>
        <ElementView controller={controller} el={el} full />
      </div>
    </div>
  );
}

/** The files attached to the next message: progress while uploading, cancel, refusals. */
export function Attachments({ controller, state }: { controller: Controller; state: ViewState }) {
  return (
    <ul class="cp-uploads" aria-label="Attached files">
      {state.uploads.map((u) => (
        <li key={u.id} class="cp-upload" data-status={u.status}>
          <span class="cp-upload-name">{u.name}</span>
          <span class="cp-upload-size">{formatBytes(u.size)}</span>
          {u.status === "uploading" && (
            <span class="cp-progress" role="progressbar" aria-label={`Uploading ${u.name}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(u.progress * 100)}>
              <span style={{ width: `${Math.round(u.progress * 100)}%` }} />
            </span>
          )}
          {u.error && <span class="cp-upload-error">{u.error}</span>}
          <button
            type="button"
            class="cp-upload-remove"
            aria-label={u.status === "uploading" ? `Cancel upload of ${u.name}` : `Remove ${u.name}`}
            title={u.status === "uploading" ? "Cancel" : "Remove"}
            onClick={() => controller.removeUpload(u.id)}
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Whether the browser's idea of the file (its type, its name) matches `accept`; the server sniffs the content. */
export function acceptsFile(accept: string[], file: { name: string; type: string }): boolean {
  const type = (file.type || "").toLowerCase();
  const name = (file.name || "").toLowerCase();
  return accept.some((pattern) => {
    const p = pattern.trim().toLowerCase();
    if (p === "*/*" || p === "*") return true;
    if (p.startsWith(".")) return name.endsWith(p);
    if (!type) return true; // unknown here: the server decides
    return p.endsWith("/*") ? type.startsWith(p.slice(0, -1)) : type === p;
  });
}

/** Why a file cannot be attached (before uploading it), or null. */
export function refusal(limits: UploadLimits, file: { name: string; type: string; size: number }, count: number): string | null {
  if (count >= limits.maxFiles) return `${file.name}: at most ${limits.maxFiles} file${limits.maxFiles === 1 ? "" : "s"}.`;
  if (file.size > limits.maxSizeMb * 1024 * 1024) return `${file.name} is larger than ${limits.maxSizeMb} MB.`;
  if (!acceptsFile(limits.accept, file)) return `${file.name}: this kind of file is not accepted here.`;
  return null;
}

function upload(controller: Controller, token: string, item: UploadItem, file: File): UploadItem {
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `${controller.config.server}/copilot/uploads`);
  xhr.setRequestHeader("X-Copilot-Upload", token);
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable && e.total > 0) controller.updateUpload(item.id, { progress: e.loaded / e.total });
  };
  xhr.onload = () => {
    let body: { files?: UploadedFile[]; message?: string } | null = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      /* not JSON */
    }
    const stored = xhr.status === 201 && body && Array.isArray(body.files) ? body.files[0] : undefined;
    if (stored) controller.updateUpload(item.id, { status: "done", progress: 1, file: stored, abort: undefined });
    else controller.updateUpload(item.id, { status: "refused", abort: undefined, error: (body && body.message) || `${item.name}: upload failed (HTTP ${xhr.status}).` });
  };
  xhr.onerror = () => controller.updateUpload(item.id, { status: "refused", abort: undefined, error: `${item.name}: upload failed.` });
  const form = new FormData();
  form.append("file", file, file.name);
  xhr.send(form);
  return { ...item, abort: () => xhr.abort() };
}

/** Check the files against the limits in force, refuse what breaks them, upload the rest. */
export function addFiles(controller: Controller, files: File[]): void {
  const grant = controller.uploadGrant();
  const current = controller.getState().uploads;
  let count = current.filter((u) => u.status !== "refused").length;
  const added: UploadItem[] = [];
  for (const file of files) {
    const base = { id: uuid(), name: file.name || "file", size: file.size, mime: file.type, progress: 0 };
    const why = grant ? refusal(grant.limits, file, count) : "Files are not accepted here.";
    if (why || !grant) {
      added.push({ ...base, status: "refused", error: why || undefined });
      continue;
    }
    count++;
    added.push(upload(controller, grant.token, { ...base, status: "uploading" }, file));
  }
  controller.setUploads([...controller.getState().uploads, ...added]);
}

export default function register(shared: Shared) {
  bind(shared);
  addStyles(css);
  return { Elements, Viewer, Attachments, addFiles };
}
