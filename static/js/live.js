// Live updates: server-sent events from /api/stream, resumed with Last-Event-ID
// after any disconnect, with polling (ETag requests) whenever the stream is down.

const EVENT_TYPES = ["draw", "prediction", "ai_prediction", "simulator"];
const POLL_MS = 3000;
const REOPEN_MAX_MS = 30000;
const SEEN_MAX = 2000;

export class LiveFeed {
  // onEvent(type, event) for each new event; onResync() after (re)connecting and on
  // each poll, so the page refetches what it shows; onStatus(state, text).
  constructor({ game, onEvent, onResync, onStatus }) {
    this.game = game;
    this.onEvent = onEvent;
    this.onResync = onResync;
    this.onStatus = onStatus || (() => {});
    this.lastId = null;
    this.received = []; // event ids in arrival order (shown in the status tooltip, read by tests)
    this.seen = new Set();
    this.source = null;
    this.pollTimer = null;
    this.reopenTimer = null;
    this.reopenDelay = 1000;
    this.errorsSinceOpen = 0;
    this.serverOffset = 0; // server clock minus this browser's clock, in ms
    this.connects = 0;
  }

  start() {
    if (typeof EventSource === "undefined") {
      this.startPolling();
      return;
    }
    this.open();
  }

  open() {
    clearTimeout(this.reopenTimer);
    if (this.source) this.source.close();
    const params = new URLSearchParams({ game: this.game });
    // A fresh EventSource cannot set headers: the id we reached goes in the query.
    if (this.lastId) params.set("last_event_id", this.lastId);
    const source = new EventSource(`/api/stream?${params}`);
    this.source = source;
    this.onStatus("connecting", "connecting…");
    source.addEventListener("hello", (ev) => {
      let hello = {};
      try { hello = JSON.parse(ev.data); } catch (err) { /* keep defaults */ }
      if (typeof hello.server_time === "number") this.serverOffset = hello.server_time * 1000 - Date.now();
      if (ev.lastEventId && !this.lastId) this.lastId = ev.lastEventId;
      this.connects += 1;
      this.errorsSinceOpen = 0;
      this.reopenDelay = 1000;
      this.stopPolling();
      this.onStatus("live", "live");
      this.onResync("connect");
    });
    for (const type of EVENT_TYPES) source.addEventListener(type, (ev) => this.handle(type, ev));
    source.onerror = () => {
      if (source !== this.source) return;
      this.errorsSinceOpen += 1;
      if (source.readyState === EventSource.CLOSED || this.errorsSinceOpen >= 3) {
        // The server refused (e.g. 503) or keeps failing: poll, and retry the stream later.
        source.close();
        this.startPolling();
        this.reopenTimer = setTimeout(() => this.open(), this.reopenDelay);
        this.reopenDelay = Math.min(this.reopenDelay * 2, REOPEN_MAX_MS);
      } else {
        // The browser reconnects by itself and sends Last-Event-ID.
        this.onStatus("reconnecting", "reconnecting…");
      }
    };
  }

  handle(type, ev) {
    const id = ev.lastEventId;
    if (id && this.seen.has(id)) return; // a replay can repeat what already arrived
    let event;
    try { event = JSON.parse(ev.data); } catch (err) { return; }
    if (id) {
      this.seen.add(id);
      this.received.push(id);
      if (this.received.length > SEEN_MAX) this.seen.delete(this.received.shift());
      this.lastId = id;
    }
    this.onEvent(type, event);
  }

  startPolling() {
    this.onStatus("polling", "polling");
    if (this.pollTimer) return;
    const tick = () => this.onResync("poll");
    tick();
    this.pollTimer = setInterval(tick, POLL_MS);
  }

  stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  serverNow() {
    return Date.now() + this.serverOffset;
  }
}

export function statusBadge(state, text) {
  const badge = document.getElementById("live-status");
  if (!badge) return;
  badge.hidden = false;
  badge.dataset.state = state;
  badge.textContent = text;
  badge.title = {
    live: "Live: updates arrive as they happen",
    connecting: "Connecting to live updates",
    reconnecting: "Reconnecting; nothing is missed",
    polling: "Live updates unavailable; refreshing every few seconds",
  }[state] || text;
}
