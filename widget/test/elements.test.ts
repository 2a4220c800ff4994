// @vitest-environment jsdom
import { h, render } from "preact";
import { describe, expect, it } from "vitest";
import register, { acceptsFile, formatBytes, refusal, signedAge } from "../src/chunks/elements";
import { describeLimits } from "../src/components/Composer";
import * as preact from "preact";
import * as hooks from "preact/hooks";
import { jsx, jsxs } from "preact/jsx-runtime";
import type { WireElement } from "../src/protocol";
import { elementsOf, initialState, receive } from "../src/store";

const image: WireElement = { id: "e1", forId: "m1", type: "image", name: "cat.png", mime: "image/png", display: "inline", url: "/copilot/files/t/cat.png", bytes: 10 };

describe("elements in the chat state", () => {
  const withMessage = () =>
    receive(initialState, "new_message", { seq: 1, message: { id: "m1", type: "assistant_message", content: "hi", elements: [image] } });

  it("an element sent alone joins its message, replaces by id, and is removed", () => {
    let s = withMessage();
    const pdf: WireElement = { ...image, id: "e2", type: "pdf", name: "a.pdf" };
    s = receive(s, "element", { seq: 2, element: pdf });
    expect(elementsOf(s, s.messages[0]).map((e) => e.name)).toEqual(["cat.png", "a.pdf"]);
    s = receive(s, "element", { seq: 3, element: { ...pdf, name: "b.pdf" } });
    expect(elementsOf(s, s.messages[0]).map((e) => e.name)).toEqual(["cat.png", "b.pdf"]);
    // An update of the message keeps what was sent alone.
    s = receive(s, "update_message", { seq: 4, message: { id: "m1", type: "assistant_message", content: "hi!", elements: [image] } });
    expect(elementsOf(s, s.messages[0]).map((e) => e.id)).toEqual(["e1", "e2"]);
    s = receive(s, "delete_element", { seq: 5, id: "e1" });
    s = receive(s, "delete_element", { seq: 6, id: "e2" });
    expect(elementsOf(s, s.messages[0])).toEqual([]);
  });

  it("a file ask carries its limits and grant", () => {
    const s = receive(withMessage(), "ask", {
      seq: 2,
      askId: "a",
      kind: "file",
      messageId: "m1",
      accept: ["application/pdf"],
      maxSizeMb: 1,
      maxFiles: 2,
      uploadToken: "grant",
    });
    expect(s.ask).toEqual({ askId: "a", kind: "file", messageId: "m1", limits: { accept: ["application/pdf"], maxSizeMb: 1, maxFiles: 2 }, uploadToken: "grant" });
  });
});

describe("checks before uploading", () => {
  const limits = { accept: ["image/*", ".csv"], maxSizeMb: 1, maxFiles: 2 };

  it("accepts by MIME pattern or extension, leaves unknown types to the server", () => {
    expect(acceptsFile(limits.accept, { name: "a.png", type: "image/png" })).toBe(true);
    expect(acceptsFile(limits.accept, { name: "t.csv", type: "text/csv" })).toBe(true);
    expect(acceptsFile(limits.accept, { name: "a.pdf", type: "application/pdf" })).toBe(false);
    expect(acceptsFile(limits.accept, { name: "blob", type: "" })).toBe(true);
  });

  it("refuses with a reason: count, size, type", () => {
    expect(refusal(limits, { name: "a.png", type: "image/png", size: 10 }, 2)).toBe("a.png: at most 2 files.");
    expect(refusal(limits, { name: "a.png", type: "image/png", size: 2 * 1024 * 1024 }, 0)).toBe("a.png is larger than 1 MB.");
    expect(refusal(limits, { name: "a.exe", type: "application/x-msdownload", size: 1 }, 0)).toBe("a.exe: this kind of file is not accepted here.");
    expect(refusal(limits, { name: "a.png", type: "image/png", size: 1 }, 1)).toBeNull();
  });

  it("says the limits before any upload", () => {
    expect(describeLimits(limits)).toBe("images, CSV, up to 1 MB each, 2 files at most");
    expect(describeLimits({ accept: ["*/*"], maxSizeMb: 20, maxFiles: 1 })).toBe("up to 20 MB each, 1 file at most");
    expect(describeLimits({ accept: ["application/pdf", "audio/*"], maxSizeMb: 5, maxFiles: 1 })).toBe("PDF, audio, up to 5 MB each, 1 file at most");
  });

  it("formats sizes and reads a signed URL's age", () => {
    expect([formatBytes(12), formatBytes(2048), formatBytes(5 * 1024 * 1024)]).toEqual(["12 B", "2.0 KB", "5.0 MB"]);
    // itsdangerous: base64url(JSON).base64url(big-endian seconds).signature
    const now = Math.floor(Date.now() / 1000) - 100;
    const bytes = [now >>> 24, (now >>> 16) & 255, (now >>> 8) & 255, now & 255];
    const stamp = Buffer.from(bytes).toString("base64url");
    const age = signedAge(`http://x/copilot/files/eyJrIjoxfQ.${stamp}.sig/a.png`);
    expect(age).toBeGreaterThanOrEqual(100);
    expect(age).toBeLessThan(102);
  });
});

describe("the chunk renders with the main bundle's Preact", () => {
  it("registers its styles and renders images lazily with their name as alt text", () => {
    const styles: string[] = [];
    const chunk = register({ preact: { ...preact, createElement: preact.h }, hooks, jsx, jsxs, addStyles: (css: string) => styles.push(css), parts: {} } as never);
    expect(styles[0]).toContain(".cp-elements");
    const root = document.createElement("div");
    const controller = { config: { server: "http://copilot.test" }, view: () => {}, renewUrl: async () => null, fileUrlTtl: () => 3600 };
    render(h(chunk.Elements as never, { controller, elements: [image, { ...image, id: "e3", type: "file", name: "t.csv", bytes: 2048 }] }), root);
    const img = root.querySelector("img")!;
    expect(img.getAttribute("src")).toBe("http://copilot.test/copilot/files/t/cat.png");
    expect(img.getAttribute("alt")).toBe("cat.png");
    expect(img.getAttribute("loading")).toBe("lazy");
    const link = root.querySelector("a.cp-file")!;
    expect(link.getAttribute("href")).toBe("http://copilot.test/copilot/files/t/cat.png?download=1");
    expect(link.textContent).toContain("2.0 KB");
  });
});
