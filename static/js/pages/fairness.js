// Provably fair lookup: the server's proof of one draw, checked again in this browser
// (SHA-256 of the seed against the commitment, and the HMAC digit) with WebCrypto.

import { ball, field, game, getJSON, initChrome, setText } from "../core.js";

initChrome();
const root = document.querySelector('[data-panel="fairness"]');
const form = field(root, "form");
const input = field(root, "issue");
const note = root.querySelector(".panel-state");
const result = field(root, "result");
const ISSUE = /^[0-9]{13,20}$/;

function show(state, text) {
  note.hidden = !text;
  note.dataset.state = state;
  note.textContent = text || "";
  root.setAttribute("aria-busy", state === "loading" ? "true" : "false");
}

function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

// Recompute what the server claims, independently of it.
async function browserCheck(proof) {
  if (!(window.crypto && crypto.subtle)) return "Your browser can only re-check this page over https or on localhost.";
  if (!/^[0-9a-f]+$/i.test(proof.seed || "") || proof.seed.length % 2) return "The revealed seed is not hex; it cannot be checked.";
  const seed = fromHex(proof.seed);
  const commitment = hex(await crypto.subtle.digest("SHA-256", seed));
  const key = await crypto.subtle.importKey("raw", seed, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${proof.game}:${proof.issue}`)));
  let digit = 0;
  for (const b of mac) digit = (digit * 256 + b) % 10; // the big-endian integer mod 10
  const ok = commitment === String(proof.commitment).toLowerCase() && digit === proof.number;
  return `Checked in your browser: SHA-256(seed) ${commitment === String(proof.commitment).toLowerCase() ? "matches" : "does NOT match"} the commitment; the seed gives digit ${digit}${ok ? " — verified." : " — NOT verified."}`;
}

async function lookup(issue) {
  result.hidden = true;
  if (!ISSUE.test(issue)) {
    show("error", "An issue number is 13 to 20 digits, e.g. 20260101100010001.");
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
  setText(root, "status", proof.status === "pending" ? `pending: drawn at ${proof.draw_at || "the end of its period"}; the seed is revealed after the draw` : "settled");
  setText(root, "commitment", proof.commitment);
  setText(root, "seed", proof.seed || "not revealed yet");
  const number = field(root, "number");
  number.replaceChildren(typeof proof.number === "number" ? ball(proof.number) : "—");
  setText(root, "recomputed", proof.recomputed_number);
  setText(root, "formula", proof.formula);
  const verdict = field(root, "verdict");
  if (proof.status === "settled") {
    verdict.textContent = proof.verified ? "Verified: the revealed seed matches the commitment and gives the drawn digit." : `NOT verified${proof.reason ? `: ${proof.reason}` : ""}.`;
    verdict.dataset.tone = proof.verified ? "good" : "bad";
    setText(root, "browser-check", "Checking in your browser…");
    try {
      setText(root, "browser-check", await browserCheck(proof));
    } catch (err) {
      setText(root, "browser-check", "Your browser could not re-check this proof.");
    }
  } else {
    verdict.textContent = "Not drawn yet: only the commitment is public.";
    verdict.dataset.tone = "";
    setText(root, "browser-check", "");
  }
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  lookup(input.value.trim());
});

root.querySelector('[data-action="latest"]').addEventListener("click", async () => {
  try {
    const page = await getJSON(`/api/history?game=${encodeURIComponent(game)}&per_page=1`);
    if (!page.items || !page.items.length) {
      show("unavailable", "No draws stored yet.");
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
