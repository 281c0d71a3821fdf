// Wires panels to data sources and to the live feed. A page lists its sources
// (API URLs and the events that make them stale) and its panel modules; each
// panel renders on its own and shows its own loading / error / "not available
// yet" state, so one missing endpoint never breaks the rest of the page.

import { ApiError, describeError, game, getJSON, initChrome, panelState, config } from "./core.js";
import { LiveFeed, statusBadge } from "./live.js";

export class Board {
  constructor({ sources, panels }) {
    this.sources = sources; // name -> {url: () => string, on: [event types], poll?: bool, what}
    this.modules = panels;
    this.results = {}; // name -> {data} | {error}
    this.mounted = [];
    this.inflight = {};
    this.timers = {};
    this.feed = new LiveFeed({
      game,
      onEvent: (type, event) => this.onEvent(type, event),
      onResync: (why) => (why === "poll" ? this.poll() : this.refreshAll()),
      onStatus: statusBadge,
    });
    this.feed.serverOffset = config.server_time * 1000 - Date.now();
  }

  start() {
    initChrome();
    for (const module of this.modules) {
      const root = document.querySelector(`[data-panel="${module.name}"]`);
      if (!root) continue;
      try {
        const instance = module.mount(root, this) || {};
        this.mounted.push({ module, root, instance });
      } catch (err) {
        panelState(root, "error", "This panel could not start.");
      }
    }
    window.dashboard = this; // for the browser console and the end-to-end tests
    // Endpoints this deployment does not have are marked "not available yet" without
    // requesting them (so the browser logs no 404s for features still to come).
    this.paths = getJSON("/api/openapi.json").then((doc) => new Set(Object.keys(doc.paths || {})), () => null);
    this.feed.start();
    // Data first, without waiting for the stream; the stream's hello refetches anyway.
    this.refreshAll();
  }

  refreshAll() {
    for (const name of Object.keys(this.sources)) this.refresh(name);
  }

  // Poll mode: the report is fetched with its ETag (a 304 is cheap); when it changed,
  // everything else is refetched too.
  async poll() {
    const polled = Object.entries(this.sources).filter(([, src]) => src.poll).map(([name]) => name);
    const before = polled.map((name) => this.results[name] && this.results[name].data);
    await Promise.all(polled.map((name) => this.load(name)));
    const changed = polled.some((name, i) => (this.results[name] && this.results[name].data) !== before[i]);
    if (changed) for (const name of Object.keys(this.sources)) if (!polled.includes(name)) this.refresh(name);
  }

  onEvent(type, event) {
    if (event.game && event.game !== game) return;
    for (const { instance } of this.mounted) {
      if (instance.onEvent) {
        try { instance.onEvent(type, event); } catch (err) { /* the refetch below repairs it */ }
      }
    }
    for (const [name, src] of Object.entries(this.sources)) if ((src.on || []).includes(type)) this.refresh(name);
  }

  // Coalesce bursts (a draw and its prediction arrive together) into one fetch.
  refresh(name, delay = 50) {
    clearTimeout(this.timers[name]);
    this.timers[name] = setTimeout(() => this.load(name), delay);
  }

  async load(name) {
    if (this.inflight[name]) {
      this.inflight[name].again = true;
      return this.inflight[name].promise;
    }
    const entry = { again: false };
    entry.promise = (async () => {
      try {
        const url = this.sources[name].url();
        const paths = await this.paths;
        if (paths && !paths.has(url.split("?")[0])) throw new ApiError(404, "not_available", "not available yet");
        this.results[name] = { data: await getJSON(url) };
      } catch (err) {
        this.results[name] = { error: err };
      }
      this.renderFor(name);
    })();
    this.inflight[name] = entry;
    try {
      await entry.promise;
    } finally {
      delete this.inflight[name];
    }
    if (entry.again) return this.load(name);
  }

  renderFor(name) {
    for (const item of this.mounted) {
      const needs = item.module.needs || [];
      const optional = item.module.optional || [];
      if (needs.includes(name) || optional.includes(name)) this.render(item);
    }
  }

  render({ module, root, instance }) {
    const needs = module.needs || [];
    const data = {};
    for (const name of needs) {
      const result = this.results[name];
      if (!result) return; // still loading
      if (result.error) {
        const err = result.error;
        const what = module.title || this.sources[name].what || "This panel";
        // Keep showing the last good data when a refresh fails; say so in the page.
        if (root.dataset.state === "ready" && !(err instanceof ApiError && err.unavailable)) {
          root.dataset.stale = "true";
          root.setAttribute("title", `Could not refresh: ${describeError(err, what)}`);
          return;
        }
        panelState(root, err instanceof ApiError && err.unavailable ? "unavailable" : "error", describeError(err, what));
        return;
      }
      data[name] = result.data;
    }
    for (const name of module.optional || []) {
      const result = this.results[name];
      data[name] = result ? result.data : undefined;
      if (result && result.error) data[`${name}Error`] = result.error;
    }
    try {
      instance.render(data);
      delete root.dataset.stale;
      root.removeAttribute("title");
      panelState(root, "ready");
    } catch (err) {
      panelState(root, "error", "This panel could not show the data it received.");
    }
  }
}
