/*
 * The to-do page's own code: the buttons and the filter, and the functions the copilot
 * may call (copilot-call-fn). Both go through the same small HTTP API, so what the
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

  // ---- the user's own clicks --------------------------------------------------

  document.getElementById("add-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = document.getElementById("new-title");
    if (!input.value.trim()) return;
    await addRow(input.value.trim());
    input.value = "";
  });
  filter.addEventListener("input", applyFilter);
  body.addEventListener("click", async (e) => {
    const tr = e.target.closest("tr");
    if (!tr) return;
    if (e.target.matches("input[type=checkbox]")) return setDone(tr, e.target.checked);
    if (e.target.matches(".remove")) return removeRow(tr);
    // Selecting a row tells the copilot about it (context for the server; not shown in the chat).
    rows().forEach((r) => r.classList.remove("selected"));
    tr.classList.add("selected");
    const number = rows().indexOf(tr) + 1;
    const state = tr.classList.contains("done") ? "done" : "open";
    window.sendCopilotMessage({
      type: "system_message",
      output: `row ${number}, “${titleOf(tr)}” (${state})`,
      metadata: { row: number, id: Number(tr.dataset.id) },
    });
  });

  // ---- functions the copilot calls ----------------------------------------------

  const functions = {
    add_row: ({ title }) => addRow(String(title)),
    highlight_row: ({ row }) => {
      const tr = rowAt(row);
      highlight(tr);
      return { row: Number(row), title: titleOf(tr) };
    },
    set_done: async ({ row, done }) => {
      const tr = rowAt(row);
      await setDone(tr, Boolean(done));
      return { row: Number(row), title: titleOf(tr), done: Boolean(done) };
    },
    filter_rows: ({ query }) => {
      filter.value = String(query || "");
      return applyFilter();
    },
    remove_row: async ({ row }) => {
      const tr = rowAt(row);
      const title = titleOf(tr);
      await removeRow(tr);
      return { row: Number(row), title };
    },
    list_rows: () =>
      rows().map((tr, i) => ({ row: i + 1, title: titleOf(tr), done: tr.classList.contains("done") })),
  };

  window.addEventListener("copilot-call-fn", (e) => {
    const { name, args, callback } = e.detail;
    const fn = functions[name];
    if (!fn) return callback(new Error(`this page has no function "${name}"`));
    try {
      callback(Promise.resolve(fn(args || {}))); // a value, or an error the server sees
    } catch (err) {
      callback(err);
    }
  });

  renumber();
})();
