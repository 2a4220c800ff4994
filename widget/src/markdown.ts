/**
 * Markdown rendering for chat messages, safe by construction.
 *
 * `streaming-markdown` parses incrementally and calls a renderer for every token; our
 * renderer builds the DOM with createElement + text nodes only. Raw HTML in a message is
 * never parsed as HTML (it shows as text), so there is no markup to sanitize and no
 * mXSS class of bugs. What remains are URLs: href/src pass an allow-list checked with
 * the URL parser (which normalises tricks such as "java\tscript:"), and links open in a
 * new tab with rel="noopener noreferrer".
 */
import {
  parser,
  parser_end,
  parser_write,
  type Parser,
  type Renderer,
} from "streaming-markdown";

// Token and attribute numbers of streaming-markdown (stable exported constants, inlined
// so the bundle only carries the parser).
const T = {
  DOCUMENT: 1, PARAGRAPH: 2, HEADING_1: 3, HEADING_6: 8, CODE_BLOCK: 9, CODE_FENCE: 10,
  CODE_INLINE: 11, ITALIC_AST: 12, ITALIC_UND: 13, STRONG_AST: 14, STRONG_UND: 15, STRIKE: 16,
  LINK: 17, RAW_URL: 18, IMAGE: 19, BLOCKQUOTE: 20, LINE_BREAK: 21, RULE: 22,
  LIST_UNORDERED: 23, LIST_ORDERED: 24, LIST_ITEM: 25, CHECKBOX: 26, TABLE: 27,
  TABLE_ROW: 28, TABLE_CELL: 29, EQUATION_BLOCK: 30, EQUATION_INLINE: 31,
} as const;
const A = { HREF: 1, SRC: 2, LANG: 4, CHECKED: 8, START: 16 } as const;

const LINK_PROTOCOLS = ["http:", "https:", "mailto:", "tel:"];
const IMAGE_PROTOCOLS = ["http:", "https:"];

/**
 * The URL to put in href/src, or null when it must not be used. Relative URLs are
 * allowed (they resolve against the host page). Anything with another scheme
 * (javascript:, data:, vbscript:, file:, …) is refused.
 */
export function safeUrl(raw: string, kind: "link" | "image"): string | null {
  const value = String(raw).trim();
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value, "https://relative.invalid/");
  } catch {
    return null;
  }
  const allowed = kind === "image" ? IMAGE_PROTOCOLS : LINK_PROTOCOLS;
  if (!allowed.includes(url.protocol)) return null;
  // Return what the URL parser understood, not the raw text.
  return url.host === "relative.invalid" ? url.pathname + url.search + url.hash : url.href;
}

const ENTITY: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', "#39": "'", apos: "'", nbsp: "\u00a0" };
const decodeEntities = (s: string) => s.replace(/&(lt|gt|amp|quot|#39|apos|nbsp);/g, (_, e: string) => ENTITY[e]);

interface RenderData {
  nodes: Element[];
  index: number;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  return e;
}

function copyButton(code: HTMLElement): HTMLButtonElement {
  const button = el("button", "cp-copy");
  button.type = "button";
  button.textContent = "Copy";
  button.setAttribute("aria-label", "Copy code");
  button.addEventListener("click", () => {
    const text = code.textContent || "";
    const done = () => {
      button.textContent = "Copied";
      setTimeout(() => (button.textContent = "Copy"), 1500);
    };
    const clip = navigator.clipboard;
    if (clip && clip.writeText) clip.writeText(text).then(done, () => (button.textContent = "Copy failed"));
  });
  return button;
}

function addToken(data: RenderData, type: number): void {
  let parent = data.nodes[data.index];
  let slot: Element;
  if (type === T.DOCUMENT) return;
  if (type >= T.HEADING_1 && type <= T.HEADING_6) {
    slot = el(`h${type - T.HEADING_1 + 1}` as "h1");
  } else {
    switch (type) {
      case T.PARAGRAPH: slot = el("p"); break;
      case T.BLOCKQUOTE: slot = el("blockquote"); break;
      case T.LINE_BREAK: slot = el("br"); break;
      case T.RULE: slot = el("hr"); break;
      case T.ITALIC_AST:
      case T.ITALIC_UND: slot = el("em"); break;
      case T.STRONG_AST:
      case T.STRONG_UND: slot = el("strong"); break;
      case T.STRIKE: slot = el("s"); break;
      case T.CODE_INLINE: slot = el("code"); break;
      case T.LINK:
      case T.RAW_URL: slot = el("a"); break;
      // The alt text streams in first; the <img> is created once a safe src is known.
      case T.IMAGE: slot = el("span", "cp-img-alt"); break;
      case T.LIST_UNORDERED: slot = el("ul"); break;
      case T.LIST_ORDERED: slot = el("ol"); break;
      case T.LIST_ITEM: slot = el("li"); break;
      case T.CHECKBOX: {
        const box = el("input");
        box.type = "checkbox";
        box.disabled = true;
        slot = box;
        break;
      }
      case T.CODE_BLOCK:
      case T.CODE_FENCE: {
        const wrap = parent.appendChild(el("div", "cp-code"));
        const code = el("code");
        wrap.appendChild(copyButton(code));
        parent = wrap.appendChild(el("pre"));
        slot = code;
        break;
      }
      case T.TABLE: {
        parent = parent.appendChild(el("div", "cp-table"));
        slot = el("table");
        break;
      }
      case T.TABLE_ROW:
        parent = parent.children[0]
          ? parent.children[1] || parent.appendChild(el("tbody"))
          : parent.appendChild(el("thead"));
        slot = el("tr");
        break;
      case T.TABLE_CELL:
        slot = el(parent.parentElement && parent.parentElement.tagName === "THEAD" ? "th" : "td");
        break;
      case T.EQUATION_BLOCK: slot = el("pre", "cp-math"); break;
      case T.EQUATION_INLINE: slot = el("code", "cp-math"); break;
      default: slot = el("span"); break;
    }
  }
  data.nodes[++data.index] = parent.appendChild(slot);
}

function endToken(data: RenderData): void {
  data.index -= 1;
}

function addText(data: RenderData, text: string): void {
  const node = data.nodes[data.index];
  const inCode = node.tagName === "CODE" || node.tagName === "PRE";
  node.appendChild(document.createTextNode(inCode ? text : decodeEntities(text)));
}

function setAttr(data: RenderData, type: number, value: string): void {
  const node = data.nodes[data.index];
  switch (type) {
    case A.HREF: {
      const href = safeUrl(value, "link");
      if (!href || node.tagName !== "A") return;
      node.setAttribute("href", href);
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
      return;
    }
    case A.SRC: {
      const src = safeUrl(value, "image");
      if (!src) return;
      const img = el("img");
      img.setAttribute("src", src);
      img.setAttribute("alt", node.textContent || "");
      img.setAttribute("loading", "lazy");
      img.setAttribute("referrerpolicy", "no-referrer");
      node.replaceWith(img);
      data.nodes[data.index] = img;
      return;
    }
    case A.LANG: {
      const lang = value.trim().toLowerCase().replace(/[^a-z0-9_+#.-]/g, "").slice(0, 32);
      if (lang) node.className = `language-${lang}`;
      const wrap = node.parentElement && node.parentElement.parentElement;
      if (lang && wrap && wrap.classList.contains("cp-code")) wrap.setAttribute("data-lang", lang);
      return;
    }
    case A.CHECKED:
      (node as HTMLInputElement).checked = true;
      return;
    case A.START:
      if (/^\d{1,9}$/.test(value.trim())) node.setAttribute("start", value.trim());
      return;
  }
}

function renderer(root: Element): Renderer<RenderData> {
  return {
    data: { nodes: [root], index: 0 },
    add_token: addToken,
    end_token: endToken,
    add_text: addText,
    set_attr: setAttr,
  } as unknown as Renderer<RenderData>;
}

/**
 * Renders one message's Markdown into `root` and keeps it in sync with the content.
 * While the content only grows (streaming), only the new tail is parsed and appended;
 * any other change re-renders from scratch.
 */
export class MarkdownView {
  private parser: Parser | null = null;
  private written = "";
  private ended = false;

  constructor(private readonly root: Element) {}

  update(content: string, streaming: boolean): void {
    const appendable = this.parser && !this.ended && content.startsWith(this.written);
    if (!appendable && (content !== this.written || !this.parser)) {
      this.root.textContent = "";
      this.parser = parser(renderer(this.root));
      this.written = "";
      this.ended = false;
    }
    if (content.length > this.written.length && this.parser && !this.ended) {
      parser_write(this.parser, content.slice(this.written.length));
      this.written = content;
    }
    if (!streaming && !this.ended && this.parser) {
      parser_end(this.parser);
      this.ended = true;
    }
  }
}

/** Render a finished Markdown text into `root` (replacing what it held). */
export function renderMarkdown(root: Element, content: string): void {
  new MarkdownView(root).update(content, false);
}
