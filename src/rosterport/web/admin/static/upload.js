// The CSV upload tool: Add files → Upload and validate → Verify Changes → Commit.
// It calls the REST API (/api/v1) with the signed-in session and its CSRF token.
"use strict";
(() => {
  const tool = document.getElementById("tool");
  if (!tool) return;
  const org = tool.dataset.org;
  const csrf = tool.dataset.csrf;
  const maxBytes = Number(tool.dataset.maxMb) * 1024 * 1024;
  const api = `/api/v1/orgs/${encodeURIComponent(org)}`;
  const $ = (id) => document.getElementById(id);
  const modelSelect = $("model");
  const chosen = new Map(); // upload name → File
  let session = null;
  let breaches = [];
  const fmt = (n) => Number(n).toLocaleString("en-US");

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  async function call(method, path, body) {
    const options = { method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(api + path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((data.error && data.error.message) || `the server answered ${response.status}`);
    return data;
  }

  function showStep(step) {
    const order = ["choose", "validate", "verify", "commit"];
    const at = order.indexOf(step);
    document.querySelectorAll(".steps li").forEach((li) => {
      const i = order.indexOf(li.dataset.step);
      li.classList.toggle("current", i === at);
      li.classList.toggle("done", i < at);
      if (i === at) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    });
  }

  function fail(message) {
    $("progress").hidden = true;
    let box = document.querySelector("#tool > .alert");
    if (!box) { box = el("p", { class: "alert", role: "alert" }); tool.prepend(box); }
    box.textContent = message;
  }
  function clearFail() { const box = document.querySelector("#tool > .alert"); if (box) box.remove(); }

  // -- step 1: choose files ---------------------------------------------------------------
  function table() { return document.querySelector(`table.files[data-model="${modelSelect.value}"]`); }
  function rowFor(name) {
    const lower = name.toLowerCase();
    return [...table().querySelectorAll("tr[data-file]")].find((tr) =>
      tr.dataset.file.toLowerCase() === lower ||
      tr.dataset.aliases.split(",").filter(Boolean).some((a) => a.toLowerCase() === lower));
  }
  // a (+) slot takes the file of its own name only (letter case aside): another file there
  // would be read as the wrong kind of record
  function wrongSlot(file, slot) {
    if (!slot || file.name.toLowerCase() === slot.toLowerCase()) return false;
    fail(`${file.name} is not ${slot}: choose the file named ${slot} for this line, or use Add files for other files.`);
    return true;
  }
  function addFile(file, as) {
    if (wrongSlot(file, as)) return;
    const name = as || file.name;
    if (file.size > maxBytes) { fail(`${file.name} is larger than ${fmt(maxBytes / 1048576)} MB, the largest upload allowed.`); return; }
    chosen.set(name, file);
  }
  function renderChosen() {
    document.querySelectorAll("table.files").forEach((t) => { t.hidden = t.dataset.model !== modelSelect.value; });
    $("templates-link").href = `/api/v1/templates/${encodeURIComponent(modelSelect.value)}`;
    table().querySelectorAll("tr[data-file] td.chosen").forEach((td) => { td.replaceChildren(el("span", { class: "muted", text: "—" })); });
    const others = [];
    for (const [name, file] of chosen) {
      const tr = rowFor(name);
      const item = el("span", {}, `${file.name} (${fmt(Math.ceil(file.size / 1024))} KB) `,
        el("button", { type: "button", class: "link", "aria-label": `Remove ${name}`, onclick: () => { chosen.delete(name); renderChosen(); } }, "remove"));
      if (tr) tr.querySelector("td.chosen").replaceChildren(item); else others.push(el("li", {}, item));
    }
    $("others").hidden = others.length === 0;
    $("others").querySelector("ul").replaceChildren(...others);
    const hasZip = [...chosen.keys()].some((n) => n.toLowerCase().endsWith(".zip"));
    const missing = [...table().querySelectorAll('tr[data-required="yes"]')]
      .filter((tr) => !tr.querySelector("td.chosen button")).map((tr) => tr.dataset.file);
    const ready = chosen.size > 0 && (hasZip || missing.length === 0);
    $("upload").disabled = !ready;
    $("need").textContent = ready ? "" : chosen.size === 0 ? "Add the files of the data model to continue."
      : `Still needed: ${missing.join(", ")}`;
  }
  $("add-files").addEventListener("change", (event) => {
    clearFail();
    for (const file of event.target.files) addFile(file);
    event.target.value = "";
    renderChosen();
  });
  document.querySelectorAll("input[data-for]").forEach((input) => {
    input.addEventListener("change", () => {
      clearFail();
      if (input.files[0]) addFile(input.files[0], input.dataset.for);
      input.value = "";
      renderChosen();
    });
  });
  modelSelect.addEventListener("change", renderChosen);

  // -- step 2: upload and validate --------------------------------------------------------
  function put(name, file, done, total) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", `${api}/uploads/${session.id}/files/${encodeURIComponent(name)}`);
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.addEventListener("progress", (e) => {
        const pct = Math.round(((done + e.loaded) / total) * 100);
        $("bar").value = pct; $("bar").textContent = `${pct}%`;
        $("progress-text").textContent = `${name}: ${fmt(Math.round((done + e.loaded) / 1024))} of ${fmt(Math.round(total / 1024))} KB`;
      });
      xhr.onload = () => {
        let data = {};
        try { data = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new Error((data.error && data.error.message) || `uploading ${name} failed (${xhr.status})`));
      };
      xhr.onerror = () => reject(new Error(`uploading ${name} failed: the connection was lost; try again`));
      xhr.send(file);
    });
  }

  $("upload").addEventListener("click", async () => {
    clearFail();
    $("upload").disabled = true;
    $("progress").hidden = false;
    $("progress-title").textContent = "Uploading…";
    showStep("validate");
    try {
      session = await call("POST", "/uploads", { model: modelSelect.value });
      remember(session.id);
      const total = [...chosen.values()].reduce((sum, f) => sum + f.size, 0) || 1;
      let done = 0;
      for (const [name, file] of chosen) { await put(name, file, done, total); done += file.size; }
      $("progress-title").textContent = "Validating…";
      $("bar").removeAttribute("value");
      const started = Date.now();
      const ticker = setInterval(() => {
        $("progress-text").textContent = `Checking ${chosen.size} file(s): ${Math.round((Date.now() - started) / 1000)} s`;
      }, 500);
      try { session = await call("POST", `/uploads/${session.id}/validate`, {}); }
      finally { clearInterval(ticker); }
      $("progress").hidden = true;
      $("choose").hidden = true;
      renderValidation(session);
    } catch (error) {
      fail(`${error.message}`);
      $("upload").disabled = false;
      showStep("choose");
    }
  });

  // after a failed validation: send only the fixed files into the same upload (a file of
  // the same name replaces the earlier one) and validate again
  $("replace-files").addEventListener("change", () => { $("revalidate").disabled = !$("replace-files").files.length; });
  $("revalidate").addEventListener("click", async () => {
    clearFail();
    $("revalidate").disabled = true;
    const files = [...$("replace-files").files];
    $("progress").hidden = false;
    $("progress-title").textContent = "Uploading…";
    try {
      const total = files.reduce((sum, f) => sum + f.size, 0) || 1;
      let done = 0;
      for (const file of files) { await put(file.name, file, done, total); done += file.size; chosen.set(file.name, file); }
      $("progress-title").textContent = "Validating…";
      session = await call("POST", `/uploads/${session.id}/validate`, {});
      $("progress").hidden = true;
      $("replace-files").value = "";
      renderValidation(session);
    } catch (error) {
      fail(`${error.message}`);
      $("revalidate").disabled = false;
    }
  });

  function renderValidation(s) {
    const report = s.report;
    $("validated").hidden = false;
    const failed = !report.valid;
    const sm = report.summary;
    $("summary").replaceChildren(failed
      ? el("span", { class: "bad", text: `Validation failed: ${fmt(sm.error)} error(s), ${fmt(sm.warn)} warning(s). Fix the files and upload them again.` })
      : el("span", { class: "ok", text: `Validated and Uploaded${sm.warn ? ` with ${fmt(sm.warn)} warning(s): the records they concern are left out` : ""}.` }));
    $("notes").replaceChildren(...report.notes.map((n) => el("li", { text: n })));
    const groups = report.groups || [];
    const results = report.files.map((f) => {
      const mine = groups.filter((g) => g.file === f.name);
      const ok = f.status === "validated";
      const summary = el("summary", {},
        el("span", { class: "name", text: f.name }),
        el("span", { class: ok ? "ok" : "bad", text: ok ? "Validated and Uploaded" : "Validation failed" }),
        el("span", { class: "muted", text: `${fmt(f.rows)} rows · ${fmt(f.accepted)} accepted${f.filtered ? ` · ${fmt(f.filtered)} filtered` : ""}${mine.length ? ` · ${fmt(mine.reduce((n, g) => n + g.count, 0))} issue(s)` : ""}` }));
      const body = mine.length === 0 ? el("p", { class: "help", text: "No issues in this file." }) : breakdown(mine);
      return el("details", { class: "file-result", "data-file": f.name, open: !ok && mine.length <= 20 ? true : null }, summary, body);
    });
    const fileIssues = groups.filter((g) => !report.files.some((f) => f.name === g.file));
    if (fileIssues.length) results.push(el("details", { class: "file-result", open: true }, el("summary", {}, el("span", { class: "name", text: "Other issues" })), breakdown(fileIssues)));
    $("file-results").replaceChildren(...results);
    $("verify").hidden = failed;
    $("replace").hidden = !failed;
    const link = $("report-link");
    link.hidden = !(s.version && failed);
    if (s.version) link.href = `${api}/versions/${s.version}/report`;
  }

  function breakdown(groups) {
    const headers = ["Column", "Issue type", "Level", "Count", "Rows", "Example values", "Message", ""];
    const rows = [];
    for (const g of groups) {
      const shown = (g.rows || []).length;
      const detail = el("tr", { class: "issue-detail", hidden: true }, el("td", { colspan: headers.length }));
      const more = g.count > shown
        ? el("button", { type: "button", class: "link", "aria-expanded": "false", onclick: (e) => toggleDetail(e.target, detail, g) }, `All ${fmt(g.count)}`)
        : null;
      rows.push(el("tr", {},
        el("td", { text: g.column || "(file)" }), el("td", { text: g.code }),
        el("td", { class: `level-${g.level}`, text: g.level }), el("td", { class: "num", text: fmt(g.count) }),
        el("td", { text: (g.rows || []).join(", ") + (g.count > shown && shown ? ", …" : "") }),
        el("td", { text: (g.values || []).join(", ") }), el("td", { text: g.message }), el("td", {}, more)));
      rows.push(detail);
    }
    return el("table", { class: "small breakdown" },
      el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows));
  }

  // every issue of one group, a page at a time (GET …/uploads/{id}/issues)
  const PAGE = 50;
  function toggleDetail(button, detail, group) {
    const open = detail.hidden;
    detail.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open && !detail.dataset.loaded) { detail.dataset.loaded = "1"; showPage(detail, group, 0); }
  }

  async function showPage(detail, group, offset) {
    const cell = detail.firstChild;
    const query = new URLSearchParams({ offset: String(offset), limit: String(PAGE), file: group.file, code: group.code, level: group.level });
    if (group.column) query.set("column", group.column);
    try {
      const page = await call("GET", `/uploads/${session.id}/issues?${query}`);
      const last = Math.min(offset + page.issues.length, page.total);
      const nav = el("p", { class: "pager" },
        el("button", { type: "button", disabled: offset === 0, onclick: () => showPage(detail, group, Math.max(0, offset - PAGE)) }, "Previous"),
        el("span", { class: "muted", text: ` ${fmt(offset + 1)}–${fmt(last)} of ${fmt(page.total)} ` }),
        el("button", { type: "button", disabled: last >= page.total, onclick: () => showPage(detail, group, offset + PAGE) }, "Next"));
      const table = el("table", { class: "small" },
        el("thead", {}, el("tr", {}, ...["Row", "Value", "Message"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...page.issues.map((i) => el("tr", {},
          el("td", { class: "num", text: i.row === null ? "" : String(i.row) }), el("td", { text: i.value || "" }), el("td", { text: i.message })))));
      cell.replaceChildren(nav, table);
    } catch (error) { cell.replaceChildren(el("p", { class: "alert", text: error.message })); }
  }

  // -- step 3: verify changes -------------------------------------------------------------
  $("verify").addEventListener("click", async () => {
    clearFail();
    $("verify").disabled = true;
    try {
      const result = await call("POST", `/uploads/${session.id}/changes`);
      $("validated").hidden = true;
      renderChanges(result);
      showStep("verify");
    } catch (error) { fail(error.message); } finally { $("verify").disabled = false; }
  });

  function renderChanges(result) {
    $("changes").hidden = false;
    breaches = result.safeguards;
    const guard = $("safeguards");
    guard.replaceChildren();
    if (breaches.length) {
      const box = el("div", { class: "alert", role: "alert" },
        el("strong", { text: "This upload removes many records." }),
        el("ul", {}, ...breaches.map((b) => el("li", { text: `${b.file}: ${b.reason}.` }))),
        el("label", { class: "choice" }, el("input", { type: "checkbox", id: "confirm-removals", onchange: (e) => { $("commit").disabled = !e.target.checked; } }), "I confirm these removals"));
      guard.append(box);
    }
    const nothing = Object.values(result.changes).every((c) => c.added + c.updated + c.removed === 0);
    if (nothing) {
      guard.append(el("p", { class: "alert", role: "status", id: "nothing-to-commit",
        text: "This upload changes nothing: production already holds exactly these records, so there is nothing to commit." }));
    }
    $("commit").disabled = breaches.length > 0 || nothing;
    // counts first, each removed record's knock-on effects on demand
    $("change-notes").replaceChildren(
      ...result.cascades.map((c) => el("li", { "data-cascade": c.file },
        `${c.sentence}.`,
        el("details", {}, el("summary", { text: `Show the ${fmt(c.detail.length)} ${c.noun} removals one by one` }),
          el("ul", {}, ...c.detail.map((d) => el("li", { text: d })))))),
      ...result.kept.map((k) => el("li", { text: `${k.sentence}.` })));
    const files = Object.entries(result.changes);
    $("counts").querySelector("tbody").replaceChildren(...files.map(([name, c]) => el("tr", { "data-file": name },
      el("th", { scope: "row", text: name }), el("td", { class: "num", text: fmt(c.added) }),
      el("td", { class: "num", text: fmt(c.updated) }), el("td", { class: "num", text: fmt(c.removed) }))));
    $("details").replaceChildren(...files.filter(([, c]) => c.added + c.updated + c.removed > 0).map(([name, c]) => detailFor(name, c)));
  }

  function detailFor(name, counts) {
    const state = { offset: 0, change: "", q: "" };
    const size = 50;
    const body = el("tbody");
    const status = el("span", { class: "help", "aria-live": "polite" });
    const prev = el("button", { type: "button", text: "Previous" });
    const next = el("button", { type: "button", text: "Next" });
    const filter = el("select", { "aria-label": `Kind of change in ${name}` },
      el("option", { value: "", text: "All changes" }), el("option", { value: "added", text: `Added (${fmt(counts.added)})` }),
      el("option", { value: "updated", text: `Updated (${fmt(counts.updated)})` }), el("option", { value: "removed", text: `Removed (${fmt(counts.removed)})` }));
    const search = el("input", { type: "search", placeholder: "Find a name or identifier", "aria-label": `Find a record in ${name} by name or identifier` });
    async function load() {
      const query = new URLSearchParams({ offset: state.offset, limit: size });
      if (state.change) query.set("change", state.change);
      if (state.q) query.set("q", state.q);
      try {
        const page = await call("GET", `/uploads/${session.id}/changes/${encodeURIComponent(name)}?${query}`);
        body.replaceChildren(...page.rows.map((r) => el("tr", {},
          el("td", { text: r.change }), el("td", { text: r.name || "" }), el("td", { text: r.key }), el("td", { text: r.column || "" }),
          el("td", { text: r.old ?? "" }), el("td", { text: r.new ?? "" }))));
        const end = Math.min(state.offset + size, page.total);
        status.textContent = page.total ? `${fmt(state.offset + 1)}–${fmt(end)} of ${fmt(page.total)}` : "no changes match";
        prev.disabled = state.offset === 0;
        next.disabled = end >= page.total;
      } catch (error) { status.textContent = error.message; }
    }
    prev.addEventListener("click", () => { state.offset = Math.max(0, state.offset - size); load(); });
    next.addEventListener("click", () => { state.offset += size; load(); });
    filter.addEventListener("change", () => { state.change = filter.value; state.offset = 0; load(); });
    let timer = null;
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { state.q = search.value.trim(); state.offset = 0; load(); }, 300); });
    const details = el("details", { class: "file-result", "data-file": name },
      el("summary", {}, el("span", { class: "name", text: name }), el("span", { class: "muted", text: `${fmt(counts.added)} added · ${fmt(counts.updated)} updated · ${fmt(counts.removed)} removed` })),
      el("div", { class: "row" }, filter, search),
      el("table", { class: "small" }, el("thead", {}, el("tr", {}, ...["Change", "Name", "Record", "Field", "Old", "New"].map((h) => el("th", { scope: "col", text: h })))), body),
      el("div", { class: "pager" }, prev, next, status));
    let loaded = false;
    details.addEventListener("toggle", () => { if (details.open && !loaded) { loaded = true; load(); } });
    return details;
  }

  // -- step 4: commit ---------------------------------------------------------------------
  $("commit").addEventListener("click", async () => {
    clearFail();
    $("commit").disabled = true;
    try {
      const allow = Boolean($("confirm-removals") && $("confirm-removals").checked);
      const result = await call("POST", `/uploads/${session.id}/commit`, { allow_deletions: allow });
      $("changes").hidden = true;
      $("committed").hidden = false;
      showStep("commit");
      follow(result.version, result.status);
    } catch (error) { fail(error.message); $("commit").disabled = false; }
  });

  async function follow(version, status) {
    const line = $("commit-status");
    let filtered = 0;
    try { filtered = (await call("GET", `/versions/${version}`)).filtered || 0; } catch (_) { /* shown without */ }
    const kept = filtered ? `, ${fmt(filtered)} record${filtered === 1 ? "" : "s"} filtered` : "";
    for (let i = 0; i < 1200; i++) {
      line.replaceChildren(`Version ${version}: `, el("span", { class: "status", "data-status": status, text: status }), kept);
      if (status !== "Pending propagation") return;
      await new Promise((r) => setTimeout(r, 1000));
      try { status = (await call("GET", `/versions/${version}`)).status; } catch (_) { /* keep polling */ }
    }
  }

  // -- reload and back: the upload's id is in the address (?session=…), and the page
  // picks the upload up where it was (validated, changes verified, committed)
  function remember(id) {
    const url = new URL(window.location.href);
    if (id) url.searchParams.set("session", id); else url.searchParams.delete("session");
    window.history.replaceState(null, "", url);
  }
  async function resume(id) {
    try { session = await call("GET", `/uploads/${encodeURIComponent(id)}`); } catch (_) { remember(null); return; }
    if (session.model && modelSelect.value !== session.model) { modelSelect.value = session.model; renderChosen(); }
    if (["validated", "failed", "previewed"].includes(session.state) && session.report) {
      $("choose").hidden = true;
      showStep("validate");
      renderValidation(session);
      if (session.state === "previewed") {
        try {
          const result = await call("POST", `/uploads/${session.id}/changes`);
          $("validated").hidden = true;
          renderChanges(result);
          showStep("verify");
        } catch (error) { fail(error.message); }
      }
    } else if (["committed", "committing"].includes(session.state) && session.version) {
      $("choose").hidden = true;
      $("committed").hidden = false;
      showStep("commit");
      follow(session.version, session.status || "Pending propagation");
    } else {
      remember(null);  // nothing uploaded yet: the files are chosen again
      session = null;
    }
  }

  // -- reset, at every step ---------------------------------------------------------------
  document.querySelectorAll("#tool .reset").forEach((button) => button.addEventListener("click", async () => {
    clearFail();
    // the page starts over at once; the server's session is reset in the background (files
    // chosen meanwhile belong to the next upload)
    const previous = session && !["committed", "reset"].includes(session.state) && $("committed").hidden ? session : null;
    session = null; chosen.clear(); remember(null);
    ["progress", "validated", "changes", "committed"].forEach((id) => { $(id).hidden = true; });
    $("choose").hidden = false;
    showStep("choose");
    renderChosen();
    if (previous) {
      try { await call("POST", `/uploads/${previous.id}/reset`); } catch (_) { /* expired already */ }
    }
  }));

  // files chosen before this script ran (a quick hand, or a browser restoring the form)
  for (const file of $("add-files").files) addFile(file);
  document.querySelectorAll("input[data-for]").forEach((input) => {
    if (input.files[0]) addFile(input.files[0], input.dataset.for);
  });
  renderChosen();
  const resuming = new URLSearchParams(window.location.search).get("session");
  (resuming ? resume(resuming) : Promise.resolve()).finally(() => { tool.dataset.ready = "yes"; });
})();
