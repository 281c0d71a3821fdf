// Shared page helpers: DOM building (text only, never HTML from data), the JSON
// client (ETags, timeouts, {error, message} bodies), formatting, theme and chrome.

export const config = JSON.parse(document.getElementById("page-config").textContent);
export const game = config.game;

// ---- DOM -----------------------------------------------------------------
// Every string from data goes in as a text node or an attribute value, so no
// server string can ever become markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  return fill(el, attrs, children);
}

const SVG_NS = "http://www.w3.org/2000/svg";
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  return fill(el, attrs, children);
}

function fill(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

export function field(root, name) {
  return root.querySelector(`[data-field="${name}"]`);
}

export function setText(root, name, value) {
  const el = field(root, name);
  if (el) el.textContent = value === null || value === undefined ? "—" : String(value);
  return el;
}

// ---- panel states ----------------------------------------------------------
// A panel shows exactly one of: loading, an error, "not available yet", or its body.
export function panelState(panel, state, message) {
  const note = panel.querySelector(":scope > .panel-state");
  const body = panel.querySelector(":scope > .panel-body");
  panel.setAttribute("aria-busy", state === "loading" ? "true" : "false");
  panel.dataset.state = state;
  if (state === "ready") {
    if (note) note.hidden = true;
    if (body) body.hidden = false;
    return;
  }
  if (note) {
    note.hidden = false;
    note.dataset.state = state;
    note.textContent = message || { loading: "Loading…", unavailable: "Not available yet." }[state] || "";
  }
  if (body && state !== "stale") body.hidden = true;
}

// ---- JSON client -----------------------------------------------------------
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  get unavailable() {
    // A panel's endpoint that this deployment does not have (yet) answers 404.
    return this.status === 404;
  }
}

const cache = new Map(); // url -> {etag, data}: conditional GETs answer 304 cheaply

export async function getJSON(url, { timeout = 10000 } = {}) {
  const headers = { Accept: "application/json" };
  const cached = cache.get(url);
  if (cached && cached.etag) headers["If-None-Match"] = cached.etag;
  const resp = await request(url, { headers, cache: "no-store" }, timeout);
  if (resp.status === 304 && cached) return cached.data;
  const data = await readBody(resp);
  const etag = resp.headers.get("ETag");
  if (etag) cache.set(url, { etag, data });
  return data;
}

export async function sendJSON(method, url, body, { token, timeout = 30000 } = {}) {
  const headers = { Accept: "application/json", "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const resp = await request(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, timeout);
  return readBody(resp);
}

async function request(url, init, timeout) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  try {
    return await fetch(url, { ...init, signal: ctrl.signal });
  } catch (err) {
    throw new ApiError(0, ctrl.signal.aborted ? "timeout" : "network",
      ctrl.signal.aborted ? "The server took too long to answer." : "Could not reach the server.");
  } finally {
    clearTimeout(timer);
  }
}

async function readBody(resp) {
  let data = null;
  const text = await resp.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch (err) {
    if (resp.ok) throw new ApiError(resp.status, "bad_json", "The server sent a reply that is not JSON.");
  }
  if (!resp.ok) {
    throw new ApiError(resp.status, (data && data.error) || `http_${resp.status}`,
      (data && typeof data.message === "string" && data.message) || `The server answered ${resp.status}.`);
  }
  return data;
}

export function describeError(err, what) {
  if (err instanceof ApiError) {
    if (err.unavailable) return `${what} is not available yet.`;
    return err.message;
  }
  return `Something went wrong showing ${what.toLowerCase()}.`;
}

// ---- formatting -------------------------------------------------------------
export function pct(x, digits = 1) {
  return typeof x === "number" && isFinite(x) ? `${(100 * x).toFixed(digits)}%` : "—";
}

export function pctValue(x, digits = 1) {
  // The report already gives percentages (0-100).
  return typeof x === "number" && isFinite(x) ? `${x.toFixed(digits)}%` : "—";
}

export function interval(ci) {
  return Array.isArray(ci) && ci.length === 2 ? `${pct(ci[0])} – ${pct(ci[1])}` : "—";
}

export function pValue(p) {
  if (typeof p !== "number" || !isFinite(p)) return "—";
  return p < 0.0001 ? "< 0.0001" : p.toFixed(4);
}

export function fmtNumber(x, digits = 2) {
  return typeof x === "number" && isFinite(x) ? x.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "—";
}

export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

const COLOR_CLASSES = { Red: "red", Green: "green", Violet: "violet", Big: "big", Small: "small" };

export function toneClass(name) {
  return COLOR_CLASSES[name] || "neutral";
}

export function tag(text, extra = "") {
  return h("span", { class: `tag ${toneClass(text)} ${extra}`.trim(), text: text ?? "—" });
}

// A digit drawn with its colours from the game's rules (sent by the server).
export function ball(digit, { small = false, title } = {}) {
  const rule = config.digits[digit];
  if (!rule) return h("span", { class: "ball neutral", text: String(digit ?? "?") });
  const classes = ["ball", ...rule.colors.map(toneClass)];
  if (small) classes.push("sm");
  return h("span", { class: classes.join(" "), title: title || `${digit}: ${rule.size}, ${rule.colors.join(" + ")}`, text: String(digit) });
}

export function rule(digit) {
  return config.digits[digit] || null;
}

// ---- page chrome ---------------------------------------------------------------
export function showError(message) {
  const toast = document.getElementById("page-error");
  if (!toast) return;
  toast.textContent = message;
  toast.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { toast.hidden = true; }, 8000);
}

export function adminToken() {
  try { return sessionStorage.getItem("adminToken") || ""; } catch (err) { return ""; }
}

export function setAdminToken(token) {
  try {
    if (token) sessionStorage.setItem("adminToken", token);
    else sessionStorage.removeItem("adminToken");
  } catch (err) { /* storage disabled: the token is simply not kept */ }
}

// A status line for a form: say(text, tone) with tone "good", "bad" or "".
export function sayer(el) {
  return (text, tone = "") => {
    el.textContent = text;
    el.dataset.tone = tone;
  };
}

// The admin token form of a panel: the token is kept in sessionStorage (this tab only).
export function bindTokenForm(root) {
  const form = field(root, "token-form");
  const input = field(form, "token");
  const state = field(form, "token-state");
  const show = () => { state.textContent = adminToken() ? "token kept for this tab" : "no token entered"; };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    setAdminToken(input.value.trim());
    input.value = "";
    show();
  });
  form.querySelector('[data-action="forget"]').addEventListener("click", () => {
    setAdminToken("");
    show();
  });
  addEventListener("storage", show);
  show();
  return show;
}

function initTheme() {
  const root = document.documentElement;
  const button = document.getElementById("theme-toggle");
  if (!button) return;
  const dark = () => root.dataset.theme === "dark" ||
    (root.dataset.theme !== "light" && matchMedia("(prefers-color-scheme: dark)").matches);
  const label = () => button.setAttribute("aria-pressed", dark() ? "true" : "false");
  label();
  button.addEventListener("click", () => {
    root.dataset.theme = dark() ? "light" : "dark";
    try { localStorage.setItem("theme", root.dataset.theme); } catch (err) { /* not kept */ }
    label();
  });
}

function initGamePicker() {
  const select = document.getElementById("game-select");
  if (!select) return;
  select.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("game", select.value);
    location.assign(url.toString());
  });
}

export function initChrome() {
  initTheme();
  initGamePicker();
  // Failures are shown in the page, never only in the console.
  addEventListener("unhandledrejection", (ev) => {
    ev.preventDefault();
    showError(ev.reason instanceof ApiError ? ev.reason.message : "Something went wrong; the page keeps trying.");
  });
  addEventListener("error", () => showError("Something went wrong; the page keeps trying."));
}
