/*
 * The to-do page's own code: the buttons and the filter, the functions the copilot may
 * call (registerCopilotFunction, each with a JSON Schema; remove_row needs the user's
 * approval) and what it may read (setCopilotContext: the rows, the filter, the selected
 * row). Clicks and copilot calls go through the same small HTTP API, so what the
 * assistant does is exactly what a click would do.
 */
(function () {
  "use strict";
  const body = document.querySelector("#todos tbody");
  const filter = document.getElementById("filter");
  const status = document.getElementById("status");

  const rows = () => Array.from(body.rows);
  const titleOf = (tr) => tr.querySelector(".title").textContent;

  function renumber() {
    rows().forEach((tr, i) => (tr.cells[0].textContent = String(i + 1)));
  }

  /** Row `number` (1-based, as shown in the # column), or an error the copilot reports. */
  function rowAt(number) {
    const tr = rows()[Number(number) - 1];
    if (!tr) throw new Error(`there is no row ${number} (the list has ${rows().length})`);
    return tr;
  }

  async function api(method, path, data) {
    const response = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json" },
      body: data === undefined ? undefined : JSON.stringify(data),
    });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
    return response.status === 204 ? null : response.json();
  }

  function makeRow(todo) {
    const tr = document.createElement("tr");
    tr.dataset.id = String(todo.id);
    tr.innerHTML =
      '<td class="num"></td><td class="check"><input type="checkbox" aria-label="Done"></td>' +
      '<td class="title"></td><td class="actions"><button type="button" class="remove" aria-label="Remove">×</button></td>';
    tr.querySelector(".title").textContent = todo.title; // never innerHTML for data
    return tr;
  }

  async function addRow(title) {
    const todo = await api("POST", "/api/todos", { title });
    const tr = makeRow(todo);
    body.appendChild(tr);
    renumber();
    applyFilter();
    return { row: rows().indexOf(tr) + 1, title: todo.title };
  }

  async function setDone(tr, done) {
    await api("PATCH", `/api/todos/${tr.dataset.id}`, { done });
    tr.classList.toggle("done", done);
    tr.querySelector("input").checked = done;
  }

  async function removeRow(tr) {
    await api("DELETE", `/api/todos/${tr.dataset.id}`);
    tr.remove();
    renumber();
  }

  function highlight(tr) {
    rows().forEach((r) => r.classList.remove("highlight"));
    tr.hidden = false;
    tr.classList.add("highlight");
    tr.scrollIntoView({ block: "center", behavior: "smooth" });
    setTimeout(() => tr.classList.remove("highlight"), 4000);
  }

  function applyFilter() {
    const query = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const tr of rows()) {
      tr.hidden = Boolean(query) && !titleOf(tr).toLowerCase().includes(query);
      if (!tr.hidden) shown++;
    }
    status.textContent = query ? `${shown} of ${rows().length} shown` : "";
    return { shown, total: rows().length };
  }

  // ---- what the copilot may read ------------------------------------------------

  /** The list as the copilot sees it (setCopilotContext), sent again after every change. */
  function share() {
    const list = rows().map((tr, i) => ({
      row: i + 1,
      title: titleOf(tr),
      done: tr.classList.contains("done"),
      shown: !tr.hidden,
    }));
    window.setCopilotContext("rows", list, {
      description: "The to-do list on screen, in order (row numbers as shown in the # column)",
    });
    window.setCopilotContext("filter", filter.value.trim(), { description: "The filter typed above the list" });
  }

  // ---- the user's own clicks --------------------------------------------------

  document.getElementById("add-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = document.getElementById("new-title");
    if (!input.value.trim()) return;
    await addRow(input.value.trim());
    input.value = "";
    share();
  });
  filter.addEventListener("input", () => {
    applyFilter();
    share();
  });
  body.addEventListener("click", async (e) => {
    const tr = e.target.closest("tr");
    if (!tr) return;
    if (e.target.matches("input[type=checkbox]")) return setDone(tr, e.target.checked).then(share);
    if (e.target.matches(".remove")) return removeRow(tr).then(share);
    // Selecting a row tells the copilot about it (page state: not shown in the chat).
    rows().forEach((r) => r.classList.remove("selected"));
    tr.classList.add("selected");
    const number = rows().indexOf(tr) + 1;
    window.setCopilotContext(
      "selected_row",
      { row: number, title: titleOf(tr), done: tr.classList.contains("done") },
      { description: "The row the user clicked last" },
    );
  });

  // ---- functions the copilot calls (each declared with a JSON Schema) -----------------

  const ROW = { type: "integer", minimum: 1, description: "A row number, as shown in the # column" };

  /** Declare `name`; after its handler ran, the copilot gets the list as it is now. */
  function declare(name, description, properties, required, handler, confirm = false) {
    window.registerCopilotFunction({
      name,
      description,
      parameters: { type: "object", properties, required, additionalProperties: false },
      confirm,
      handler: async (args) => {
        const result = await handler(args);
        share();
        return result;
      },
    });
  }

  declare(
    "add_row",
    "Add a row at the end of the list",
    { title: { type: "string", minLength: 1, maxLength: 200, description: "The new row's text" } },
    ["title"],
    ({ title }) => addRow(title),
  );
  declare("highlight_row", "Scroll to a row and highlight it for a few seconds", { row: ROW }, ["row"], ({ row }) => {
    const tr = rowAt(row);
    highlight(tr);
    return { row, title: titleOf(tr) };
  });
  declare(
    "set_done",
    "Tick a row off (done: true) or reopen it (done: false)",
    { row: ROW, done: { type: "boolean" } },
    ["row", "done"],
    async ({ row, done }) => {
      const tr = rowAt(row);
      await setDone(tr, done);
      return { row, title: titleOf(tr), done };
    },
  );
  declare(
    "filter_rows",
    "Show only the rows containing a text (an empty query shows every row)",
    { query: { type: "string", maxLength: 200 } },
    ["query"],
    ({ query }) => {
      filter.value = query;
      return applyFilter();
    },
  );
  declare(
    "remove_row",
    "Delete a row for good",
    { row: ROW },
    ["row"],
    async ({ row }) => {
      const tr = rowAt(row);
      const title = titleOf(tr);
      await removeRow(tr);
      return { row, title };
    },
    true, // the user approves each removal in the chat
  );

  renumber();
  share();
})();