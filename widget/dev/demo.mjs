#!/usr/bin/env node
/**
 * Try the widget without the Python server: serves a demo page, the built bundle and a
 * scripted fake copilot (test/fakeServer.ts) on http://127.0.0.1:PORT (default 8765).
 *
 *   npm run build && npm run demo [-- --port 8765]
 *
 * Type anything to get a streamed Markdown reply; "call" makes the server call the
 * page's `test` function; "error" shows an error message. History (the clock button)
 * lists three made-up past conversations; replies have feedback thumbs.
 */
import * as esbuild from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const widget = resolve(here, "..");
const port = Number(process.argv[process.argv.indexOf("--port") + 1]) || 8765;

// Compile the test server (TypeScript) next to node_modules so it resolves socket.io.
const built = await esbuild.build({
  entryPoints: [resolve(widget, "test/fakeServer.ts")],
  bundle: true, platform: "node", format: "esm", packages: "external", write: false, logLevel: "warning",
});
const cache = resolve(widget, "node_modules/.cache");
mkdirSync(cache, { recursive: true });
writeFileSync(resolve(cache, "fakeServer.mjs"), built.outputFiles[0].text);
const { FakeServer } = await import(pathToFileURL(resolve(cache, "fakeServer.mjs")).href);

const REPLY = `Here is what I can render:

**Bold**, *italic*, ~~strike~~, \`inline code\` and a [safe link](https://example.com).
A [javascript: link](javascript:alert(1)) loses its href, and <img src=x onerror=alert(1)> is just text.

\`\`\`python
def greet(name: str) -> str:
    return f"Hello {name}!"
\`\`\`

| Feature | Status |
|---|---|
| Streaming | ✅ |
| Sanitizing | ✅ |

1. first
2. second
   - nested
`;

const page = (q) => `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>flask-copilot widget demo</title>
<style>
  /* Hostile page CSS: none of it may change the widget. */
  * { color: red !important; font-family: serif !important; }
  button { background: yellow !important; border: 3px dashed green !important; }
  body { font-size: 30px; line-height: 3; margin: 2rem; }
  #slot { display: inline-block; margin-left: 1rem; }
</style></head>
<body>
  <h1>Host page</h1>
  <p>This text is red and serif on purpose. <span id="slot"></span></p>
  <script src="/copilot/index.js"></script>
  <script>
    const q = new URLSearchParams(location.search);
    if (q.has("throw")) window.addEventListener("copilot-call-fn", () => { throw new Error("listener failed"); });
    else if (!q.has("nolistener")) window.addEventListener("chainlit-call-fn", (e) => {
      const { name, args, callback } = e.detail;
      callback("You sent: " + args.msg);
    });
    window.mountChainlitWidget({
      chainlitServer: location.origin,
      opened: q.has("opened"),
      expanded: q.has("expanded"),
      theme: q.get("theme") || "light",
      displayMode: q.get("mode") || "floating",
      button: q.has("slot") ? { containerId: "slot" } : undefined,
    });
    if (q.has("ask")) window.sendChainlitMessage({ type: "user_message", output: q.get("ask") });
    if (q.has("running")) window.sendChainlitMessage({ type: "user_message", output: "keep running" });
  </script>
</body></html>`;

const server = new FakeServer();
// History and feedback on, with a few past conversations to list, open and delete.
server.features = { history: true, feedback: true };
for (const [i, name] of ["Plan a trip to Lisbon", null, "Quarterly numbers"].entries()) {
  const id = `demo-thread-${i}`;
  const updatedAt = new Date(Date.now() - (i * 26 + 1) * 3600_000).toISOString();
  const answer = server.message({ threadId: id }, `This was conversation ${i + 1}.`, i === 2 ? { feedback: { value: 1, comment: "useful" } } : {});
  server.threads.set(id, { name, updatedAt, messages: [answer] });
}
const record = server.received.push.bind(server.received);
server.received.push = (...items) => {
  for (const r of items) console.log("received", r.event, JSON.stringify(r.payload));
  return record(...items);
};
server.routes = (req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(page(url.searchParams));
    return true;
  }
  if (url.pathname === "/copilot/index.js") {
    res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
    res.end(readFileSync(resolve(widget, "../flask_copilot/static/copilot/index.js")));
    return true;
  }
  return false;
};
/** The ask the demo's "handler" is waiting on: the next typed message answers it. */
let waiting = null;
server.onAction = (s, { actionId }) => {
  if (!waiting || waiting.kind !== "action") return { ok: false, error: { code: "unknown_action", message: "Nothing is waiting for this." } };
  const { askId, question } = waiting;
  waiting = null;
  const label = question.actions.find((a) => a.id === actionId)?.label ?? actionId;
  server.emit(s, "update_message", { message: { ...question, actions: [] } });
  server.emit(s, "ask_end", { askId, reason: "answered" });
  server.emit(s, "new_message", { message: server.message(s, `You chose **${label}**.`) });
  server.emit(s, "task_end", {});
  return { ok: true };
};
server.onMessage = (s, m) => {
  if (m.type !== "user_message") return;
  if (waiting && waiting.kind === "text") {
    const { askId } = waiting;
    waiting = null;
    server.emit(s, "ask_end", { askId, reason: "answered" });
    server.emit(s, "new_message", { message: server.message(s, `Nice to meet you, ${m.content}.`) });
    server.emit(s, "task_end", {});
    return;
  }
  server.emit(s, "task_start", {});
  if (m.content === "ask" || m.content === "confirm") {
    const kind = m.content === "ask" ? "text" : "action";
    const actions =
      kind === "action"
        ? [
            { id: "yes" + Date.now(), name: "yes", label: "Yes", tooltip: "Go ahead", payload: {}, forId: null },
            { id: "no" + Date.now(), name: "no", label: "No", tooltip: "", payload: {}, forId: null },
          ]
        : [];
    const question = server.message(s, kind === "text" ? "What is your **name**?" : "Delete everything?", { actions });
    server.emit(s, "new_message", { message: question });
    waiting = { kind, askId: "ask" + Date.now(), question };
    server.emit(s, "ask", { askId: waiting.askId, kind, messageId: question.id, timeout: 60 });
    return;
  }
  if (m.content === "keep running") return; // leave the handler "running" (typing + stop)
  if (m.content === "call") {
    server.emit(s, "call_fn", { callId: "c" + Date.now(), name: "test", args: { msg: "hi from the server" }, timeout: 10 });
    server.emit(s, "task_end", {});
    return;
  }
  if (m.content === "error") {
    server.emit(s, "new_message", { message: server.message(s, "The handler raised `ValueError`.", { isError: true }) });
    server.emit(s, "task_end", {});
    return;
  }
  const reply = server.message(s, "", { streaming: true });
  server.emit(s, "stream_start", { message: reply });
  const tokens = REPLY.match(/[\s\S]{1,6}/g);
  let i = 0;
  const timer = setInterval(() => {
    if (i < tokens.length) server.emit(s, "stream_token", { id: reply.id, token: tokens[i++] });
    else {
      clearInterval(timer);
      server.emit(s, "update_message", { message: { ...reply, content: REPLY, streaming: false } });
      server.emit(s, "task_end", {});
    }
  }, 15);
};
server.http.listen(port, "127.0.0.1", () => console.log(`demo on http://127.0.0.1:${port}/  (?opened&ask=hi&theme=dark&mode=sidebar&slot)`));
