import { describe, expect, it } from "vitest";
import { MarkdownView, renderMarkdown, safeUrl } from "../src/markdown";

function md(text: string): HTMLElement {
  const root = document.createElement("div");
  renderMarkdown(root, text);
  return root;
}

const ALLOWED_TAGS = new Set([
  "DIV", "P", "BR", "HR", "H1", "H2", "H3", "H4", "H5", "H6", "EM", "STRONG", "S", "CODE", "PRE", "A",
  "IMG", "SPAN", "UL", "OL", "LI", "INPUT", "BLOCKQUOTE", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "BUTTON",
]);
const ALLOWED_ATTRS = new Set(["class", "href", "target", "rel", "src", "alt", "loading", "referrerpolicy", "type", "disabled", "checked", "start", "aria-label", "data-lang"]);

/** Every element and attribute in the output is on the allow-list; no URL runs script. */
function assertInert(root: HTMLElement) {
  for (const el of Array.from(root.querySelectorAll("*"))) {
    expect(ALLOWED_TAGS.has(el.tagName), `unexpected <${el.tagName}>`).toBe(true);
    for (const attr of Array.from(el.attributes)) {
      expect(ALLOWED_ATTRS.has(attr.name), `unexpected attribute ${attr.name}`).toBe(true);
      if (attr.name === "href" || attr.name === "src") {
        expect(new URL(attr.value, "https://host.example/").protocol).toMatch(/^(https?|mailto|tel):$/);
      }
    }
  }
}

describe("markdown sanitizing", () => {
  it("shows <img onerror> as text, creating no element", () => {
    const root = md("hello <img src=x onerror=alert(1)> world");
    expect(root.querySelector("img")).toBeNull();
    expect(root.innerHTML).not.toContain("<img");
    expect(root.textContent).toContain("<img src=x onerror=alert(1)>");
    assertInert(root);
  });

  it("never creates <script>, <iframe>, <svg> or event handlers", () => {
    const payloads = [
      "<script>alert(1)</script>",
      "<iframe src=\"javascript:alert(1)\"></iframe>",
      "<svg onload=alert(1)><circle/></svg>",
      "<a href=\"javascript:alert(1)\">x</a>",
      "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
      "<div style=\"background:url(javascript:alert(1))\">x</div>",
      "**<b onmouseover=alert(1)>bold</b>**",
      "`<script>alert(1)</script>`",
      "```html\n<script>alert(1)</script>\n```",
      "| a | <img src=x onerror=alert(1)> |\n|---|---|\n| <script>x</script> | 2 |",
    ];
    for (const p of payloads) {
      const root = md(p);
      expect(root.querySelector("script,iframe,svg,math,style,object,embed,form"), p).toBeNull();
      assertInert(root);
    }
  });

  it("keeps <script> text visible inside code blocks", () => {
    const root = md("```html\n<script>alert(1)</script>\n```");
    expect(root.querySelector("pre code")!.textContent).toBe("<script>alert(1)</script>");
    expect(root.querySelector("script")).toBeNull();
  });

  it("removes javascript:, data: and vbscript: links", () => {
    for (const url of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      " javascript:alert(1)",
      "java\tscript:alert(1)",
      "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
      "vbscript:msgbox(1)",
    ]) {
      const root = md(`[click me](${url})`);
      const a = root.querySelector("a");
      if (a) expect(a.hasAttribute("href"), url).toBe(false);
      assertInert(root);
      expect(root.textContent).toContain("click me");
    }
    // An entity is not decoded inside a URL: this stays an inert relative link.
    const root = md("[click me](javascript&#58;alert(1))");
    assertInert(root);
    expect(root.querySelector("a")!.getAttribute("href")).not.toMatch(/^javascript/i);
  });

  it("opens links in a new tab with rel=noopener noreferrer", () => {
    const root = md("see [the docs](https://example.com/docs?a=1) and https://example.org/x");
    const links = Array.from(root.querySelectorAll("a"));
    expect(links).toHaveLength(2);
    expect(links[0].getAttribute("href")).toBe("https://example.com/docs?a=1");
    for (const a of links) {
      expect(a.getAttribute("target")).toBe("_blank");
      expect(a.getAttribute("rel")).toBe("noopener noreferrer");
    }
  });

  it("allows only http(s) images, with their alt text", () => {
    const ok = md("![a cat](https://example.com/cat.png)");
    const img = ok.querySelector("img")!;
    expect(img.getAttribute("src")).toBe("https://example.com/cat.png");
    expect(img.getAttribute("alt")).toBe("a cat");
    const bad = md("![x](javascript:alert(1)) ![y](data:image/svg+xml,<svg onload=alert(1)>)");
    expect(bad.querySelector("img")).toBeNull();
    assertInert(bad);
  });

  it("safeUrl normalises and filters", () => {
    expect(safeUrl("https://a.example/x y", "link")).toBe("https://a.example/x%20y");
    expect(safeUrl("/relative/path?q=1#h", "link")).toBe("/relative/path?q=1#h");
    expect(safeUrl("mailto:a@b.example", "link")).toBe("mailto:a@b.example");
    expect(safeUrl("mailto:a@b.example", "image")).toBeNull();
    expect(safeUrl("\u0000javascript:alert(1)", "link")).toBeNull();
  });
});

describe("markdown rendering", () => {
  it("renders the usual blocks", () => {
    const root = md("# Title\n\nSome **bold** and *em* and `code`.\n\n- a\n- b\n\n1. one\n2. two\n\n> quote\n\n| h1 | h2 |\n|---|---|\n| c1 | c2 |\n");
    expect(root.querySelector("h1")!.textContent).toBe("Title");
    expect(root.querySelector("strong")!.textContent).toBe("bold");
    expect(root.querySelector("em")!.textContent).toBe("em");
    expect(root.querySelectorAll("ul li")).toHaveLength(2);
    expect(root.querySelectorAll("ol li")).toHaveLength(2);
    expect(root.querySelector("blockquote")).not.toBeNull();
    expect(root.querySelectorAll("thead th")).toHaveLength(2);
    expect(root.querySelectorAll("tbody td")).toHaveLength(2);
  });

  it("gives code blocks a copy button and a language label", () => {
    const root = md("```python\nprint('hi')\n```");
    const block = root.querySelector(".cp-code")!;
    expect(block.getAttribute("data-lang")).toBe("python");
    expect(block.querySelector("code")!.className).toBe("language-python");
    const button = block.querySelector("button")!;
    expect(button.getAttribute("aria-label")).toBe("Copy code");
    let copied = "";
    Object.defineProperty(navigator, "clipboard", { value: { writeText: async (t: string) => void (copied = t) }, configurable: true });
    button.click();
    expect(copied).toBe("print('hi')");
  });

  it("streams: appends only new tokens and ends up like a one-shot render", () => {
    const text = "Hello **wor";
    const root = document.createElement("div");
    const view = new MarkdownView(root);
    view.update("Hel", true);
    const firstText = root.querySelector("p")!.firstChild;
    view.update(text, true);
    // The first text node is still there: nothing was re-rendered.
    expect(root.querySelector("p")!.firstChild).toBe(firstText);
    view.update("Hello **world** and [a link](https://example.com)", false);
    const oneShot = md("Hello **world** and [a link](https://example.com)");
    expect(root.innerHTML).toBe(oneShot.innerHTML);
  });

  it("re-renders when the content is replaced (isSequence, update_message)", () => {
    const root = document.createElement("div");
    const view = new MarkdownView(root);
    view.update("first version", false);
    view.update("second *version*", false);
    expect(root.textContent).toBe("second version");
    expect(root.querySelector("em")).not.toBeNull();
  });
});
