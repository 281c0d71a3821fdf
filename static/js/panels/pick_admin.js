// Pick-lottery draw data: CSV import (preview first, then confirm), manual entry, the import
// snapshots with rollback, and the data maintenance report. Admin actions send the token
// kept in sessionStorage (this tab only), like the other admin forms.

import { adminToken, bindTokenForm, describeError, field, game, getJSON, h, replace, sayer, sendJSON, setAdminToken } from "../core.js";

const q = `game=${encodeURIComponent(game)}`;
const root = document.querySelector('[data-panel="pick-admin"]');
const MAX_BYTES = 60000; // the server refuses bodies over 64 KB: bigger files go through the CLI
const LABELS = { unreadable: "unreadable records", off_calendar: "off-calendar dates", duplicates: "duplicate dates", era_mismatch: "era mismatches", out_of_range: "out-of-range numbers" };

if (root) init();

function changed() {
  document.dispatchEvent(new CustomEvent("pick:draws-changed"));
}

function init() {
  const showToken = bindTokenForm(root);
  const csv = field(root, "csv");
  const importBtn = root.querySelector('[data-action="import"]');
  const sayImport = sayer(field(root, "import-msg"));
  const sayManual = sayer(field(root, "manual-msg"));
  const sayVersions = sayer(field(root, "versions-msg"));
  let previewed = null; // the exact text the preview was made of: only that text is imported
  let sourceName = "page";

  // Every admin call: the token or a clear message; a refused token is forgotten.
  async function admin(method, url, body, say) {
    const token = adminToken();
    if (!token) {
      say("Enter the admin token first (above): this needs it.", "bad");
      return null;
    }
    try {
      return await sendJSON(method, url, body, { token });
    } catch (err) {
      if (err.status === 401) {
        setAdminToken("");
        showToken();
      }
      say(describeError(err, "That action"), "bad");
      return null;
    }
  }

  csv.addEventListener("input", () => {
    previewed = null;
    importBtn.disabled = true;
    sourceName = "page";
  });
  field(root, "csv-file").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    if (file.size > MAX_BYTES) {
      sayImport(`${file.name} is ${Math.round(file.size / 1024)} KB: the page takes up to ${MAX_BYTES / 1000} KB. Use python -m lottery import-csv for bigger files.`, "bad");
      return;
    }
    csv.value = await file.text();
    csv.dispatchEvent(new Event("input"));
    sourceName = file.name;
    sayImport(`${file.name} loaded: preview it before importing.`);
  });

  root.querySelector('[data-action="preview"]').addEventListener("click", async () => {
    const text = csv.value;
    if (!text.trim()) {
      sayImport("Paste CSV text or choose a file first.", "bad");
      return;
    }
    sayImport("Checking…");
    const out = await admin("POST", `/api/pick/import/preview?${q}`, { csv: text, limit: 5 }, sayImport);
    if (!out) return;
    renderPreview(out);
    previewed = out.ok ? text : null;
    importBtn.disabled = !out.ok;
    if (!out.ok) sayImport(`${out.errors.length} error(s): nothing can be imported until they are fixed.`, "bad");
    else if (out.same_as_version) sayImport(`The same content was imported as version ${out.same_as_version}: importing again stores nothing.`);
    else sayImport(`Ready: ${out.would_add} new draw(s) would be stored. Press Import to confirm.`, "good");
  });

  importBtn.addEventListener("click", async () => {
    if (previewed === null || previewed !== csv.value) {
      sayImport("Preview the text first.", "bad");
      return;
    }
    importBtn.disabled = true;
    sayImport("Importing…");
    const out = await admin("POST", `/api/pick/import?${q}`, { csv: previewed, source: sourceName }, sayImport);
    if (!out) return;
    previewed = null;
    if (out.status === "duplicate") sayImport(out.message);
    else sayImport(`Stored as version ${out.version}: ${out.added} new draw(s), ${out.duplicates} already stored.`, "good");
    loadVersions();
    changed();
  });

  field(root, "manual-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const nums = (name) => field(root, name).value.trim().split(/[\s,]+/).filter(Boolean).map(Number);
    const out = await admin("POST", `/api/pick/draws?${q}`, { draw_date: field(root, "manual-date").value, whites: nums("manual-whites"), bonus: nums("manual-bonus") }, sayManual);
    if (!out) return;
    sayManual(`Stored ${out.issue}: ${out.whites.join(" ")} + ${out.bonus.join(" ")}.`, "good");
    changed();
  });

  async function loadVersions() {
    try {
      const body = await getJSON(`/api/pick/imports?${q}`);
      const rows = body.versions.map((v) => {
        let cell = h("td", { text: v.status === "rolled_back" ? `rolled back (${v.removed} removed)` : "active", title: v.rolled_back_at ? `rolled back at ${v.rolled_back_at}` : null });
        if (v.status === "active") {
          const btn = h("button", { class: "btn ghost", type: "button", dataset: { version: v.version }, text: "Roll back" });
          btn.addEventListener("click", () => rollback(v, btn));
          cell = h("td", {}, "active ", btn);
        }
        return h("tr", { dataset: { version: v.version } },
          h("th", { scope: "row", text: `v${v.version}`, title: `sha256 ${v.hash}` }),
          h("td", { text: v.created_at.slice(0, 16).replace("T", " ") }),
          h("td", { text: v.rows }), h("td", { text: v.added }),
          h("td", { text: v.source }), cell);
      });
      replace(field(root, "versions"), rows.length ? rows : h("tr", {}, h("td", { colspan: 6, class: "muted", text: "No imports yet." })));
    } catch (err) {
      sayVersions(describeError(err, "The snapshot list"), "bad");
    }
  }

  async function rollback(v, btn) {
    // Two steps: the first click asks, the second removes the draws.
    if (btn.dataset.armed !== "true") {
      btn.dataset.armed = "true";
      btn.textContent = `Confirm: remove the ${v.added} draw(s) of v${v.version}`;
      return;
    }
    btn.disabled = true;
    const out = await admin("POST", `/api/pick/imports/${v.version}/rollback?${q}`, undefined, sayVersions);
    if (out) {
      sayVersions(`Version ${out.version} rolled back: ${out.removed} draw(s) removed.`, "good");
      changed();
    }
    loadVersions();
  }

  root.querySelector('[data-action="report"]').addEventListener("click", async () => {
    const target = field(root, "report");
    try {
      const b = await getJSON(`/api/pick/maintenance?${q}&examples=5`);
      const items = Object.entries(b.counts).map(([kind, n]) => h("li", {},
        `${LABELS[kind] || kind}: ${n}`,
        n ? h("ul", {}, b.examples[kind].map((e) => h("li", { class: "small", text: `${e.issue}: ${e.reason}` }))) : null));
      replace(target, h("p", { dataset: { tone: b.problems ? "bad" : "good" }, text: `Checked ${b.checked} stored draw(s): ${b.problems} problem(s).` }),
        h("ul", { class: "small" }, items), h("p", { class: "muted small", text: b.note }));
    } catch (err) {
      replace(target, h("p", { dataset: { tone: "bad" }, text: describeError(err, "The report") }));
    }
  });

  function renderPreview(out) {
    const summary = `Format: ${out.format || "not recognised"} · ${out.rows} row(s)` +
      (out.dates ? ` from ${out.dates[0]} to ${out.dates[1]}` : "") +
      ` · would add ${out.would_add} · already stored ${out.duplicates}` + (out.conflicts ? ` · conflicting ${out.conflicts}` : "");
    const head = out.first.length ? Object.keys(out.first[0]).filter((k) => ["line", "draw_date", "whites", "bonus"].includes(k)) : [];
    replace(field(root, "preview"),
      h("p", { class: "small", dataset: { field: "preview-summary" }, text: summary }),
      out.errors.length ? h("ol", { class: "errors", dataset: { field: "preview-errors" } },
        out.errors.slice(0, 50).map((e) => h("li", { text: `line ${e.line}: ${e.message}` }))) : null,
      head.length ? h("div", { class: "table-wrap" }, h("table", { class: "table compact" },
        h("thead", {}, h("tr", {}, head.map((k) => h("th", { scope: "col", text: k })))),
        h("tbody", {}, out.first.map((row) => h("tr", {}, head.map((k) => h("td", { text: Array.isArray(row[k]) ? row[k].join(" ") : row[k] }))))))) : null);
  }

  loadVersions();
}
