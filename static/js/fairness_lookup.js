// The fairness page's lookup, shared by every family: the form, the "latest" button, the
// ?issue= link, fetching one proof and the panel's state note. Each family's page says
// what an issue looks like and renders the proof it gets back.

import { field, game, getJSON } from "./core.js";

export function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

// pattern/invalid: what an issue looks like and what to say when it does not;
// empty: what to say when no draw is stored; reset(): clear before a lookup;
// render(proof): show a proof the server returned.
export function mountLookup(root, { pattern, invalid, empty, reset = () => {}, render }) {
  const form = field(root, "form");
  const input = field(root, "issue");
  const note = root.querySelector(".panel-state");
  const result = field(root, "result");

  function show(state, text) {
    note.hidden = !text;
    note.dataset.state = state;
    note.textContent = text || "";
    root.setAttribute("aria-busy", state === "loading" ? "true" : "false");
  }

  async function lookup(issue) {
    result.hidden = true;
    reset();
    if (!pattern.test(issue)) {
      show("error", invalid);
      return;
    }
    show("loading", "Looking up the proof…");
    history.replaceState(null, "", `?game=${encodeURIComponent(game)}&issue=${encodeURIComponent(issue)}`);
    let proof;
    try {
      proof = await getJSON(`/api/fairness/${encodeURIComponent(issue)}?game=${encodeURIComponent(game)}`);
    } catch (err) {
      show("error", err.message);
      return;
    }
    show("ready", "");
    result.hidden = false;
    root.dataset.status = proof.status;
    await render(proof);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    lookup(input.value.trim());
  });

  root.querySelector('[data-action="latest"]').addEventListener("click", async () => {
    try {
      const page = await getJSON(`/api/history?game=${encodeURIComponent(game)}&per_page=1`);
      if (!page.items || !page.items.length) {
        show("unavailable", empty);
        return;
      }
      input.value = page.items[0].issue;
      lookup(input.value);
    } catch (err) {
      show("error", err.message);
    }
  });

  const wanted = new URLSearchParams(location.search).get("issue");
  if (wanted) {
    input.value = wanted;
    lookup(wanted.trim());
  }
}
