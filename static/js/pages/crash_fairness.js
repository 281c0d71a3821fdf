// Provably fair crash round: the server's proof of one round, recomputed in this browser
// with WebCrypto (a secure context: https, or 127.0.0.1 / localhost).
//   h = HMAC-SHA256(key = the salt's text, message = the round hash's 32 bytes)
//   r = the first 52 bits of h;  X = max(1, floor(99 * 2^52 / (2^52 - r)) / 100)
//   SHA-256(round hash bytes) = the previous round's hash; walking it `position` times
//   reaches the chain's published final hash.

import { field, h, initChrome, replace, setText } from "../core.js";
import { fromHex, hex, mountLookup } from "../fairness_lookup.js";

initChrome();
const root = document.querySelector('[data-panel="fairness"]');
const HASH = /^[0-9a-f]{64}$/i;
const WALK_MAX = 200000; // steps to the final hash the browser walks (a chain is 100,000 rounds)

// The v2 formula in exact integers (BigInt): the result in whole cents.
export async function crashCents(roundHash, salt) {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(salt), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = hex(await crypto.subtle.sign("HMAC", key, fromHex(roundHash)));
  const r = BigInt(`0x${mac.slice(0, 13)}`);
  const e = 1n << 52n;
  const cents = (99n * e) / (e - r);
  return { cents: Number(cents < 100n ? 100n : cents), hmac: mac };
}

export async function sha256Hex(roundHash) {
  return hex(await crypto.subtle.digest("SHA-256", fromHex(roundHash)));
}

async function walk(roundHash, steps, progress) {
  let cur = fromHex(roundHash);
  for (let i = 0; i < steps; i += 1) {
    cur = new Uint8Array(await crypto.subtle.digest("SHA-256", cur));
    if (i % 5000 === 4999) progress(i + 1);
  }
  return hex(cur);
}

function line(list, ok, text) {
  list.append(h("li", { dataset: { tone: ok === null ? "" : ok ? "good" : "bad", check: ok === null ? "skipped" : ok ? "match" : "mismatch" }, text }));
}

async function browserCheck(proof) {
  const list = field(root, "browser-check");
  replace(list);
  const verdict = field(root, "browser-verdict");
  if (!(window.crypto && crypto.subtle)) {
    verdict.textContent = "Your browser can only re-check this page over https or on localhost.";
    return;
  }
  if (!HASH.test(proof.hash || "") || typeof proof.salt !== "string") {
    verdict.textContent = "The round hash is not 64 hex digits; it cannot be checked.";
    verdict.dataset.tone = "bad";
    return;
  }
  verdict.textContent = "Checking…";
  const { cents, hmac } = await crashCents(proof.hash, proof.salt);
  const x = cents / 100;
  const xOk = Math.round(proof.multiplier * 100) === cents;
  line(list, xOk, `HMAC-SHA256(salt, hash) = ${hmac.slice(0, 13)}…; the formula gives ${x.toFixed(2)}x — ${xOk ? "matches" : "does NOT match"} the stored ${Number(proof.multiplier).toFixed(2)}x`);
  const link = await sha256Hex(proof.hash);
  const linkOk = link === String(proof.commitment || "").toLowerCase();
  line(list, linkOk, `SHA-256(hash) = ${link.slice(0, 16)}… — ${linkOk ? "matches" : "does NOT match"} the previous round's hash published before this round`);
  if (proof.previous_seed) {
    const prevOk = link === String(proof.previous_seed).toLowerCase();
    line(list, prevOk, `…and ${prevOk ? "matches" : "does NOT match"} the hash revealed by round ${Number(proof.issue) - 1}`);
  }
  let endOk = null;
  const steps = proof.chain_position;
  if (proof.terminal_hash && Number.isInteger(steps) && steps >= 1 && steps <= WALK_MAX) {
    const say = (done) => { verdict.textContent = `Walking the chain: ${done} of ${steps} steps…`; };
    const end = await walk(proof.hash, steps, say);
    endOk = end === String(proof.terminal_hash).toLowerCase();
    line(list, endOk, `${steps} SHA-256 steps reach ${end.slice(0, 16)}… — ${endOk ? "matches" : "does NOT match"} the chain's published final hash`);
  } else {
    line(list, null, "The chain's published final hash was not given; only the link to the previous round is checked.");
  }
  const ok = xOk && linkOk && endOk !== false && (!proof.previous_seed || link === String(proof.previous_seed).toLowerCase());
  verdict.textContent = ok ? `Verified in your browser: round ${proof.issue} is ${x.toFixed(2)}x and sits in the published chain.`
    : `NOT verified in your browser: see the mismatch above.`;
  verdict.dataset.tone = ok ? "good" : "bad";
  root.dataset.browser = ok ? "verified" : "mismatch";
}

async function render(proof) {
  setText(root, "formula", proof.formula);
  setText(root, "commitment", proof.commitment);
  replace(field(root, "browser-check"));
  const verdict = field(root, "verdict");
  const browserVerdict = field(root, "browser-verdict");
  if (proof.status !== "settled") {
    setText(root, "status", "pending: the round has not ended; only the previous round's hash is public");
    setText(root, "hash", "not revealed yet");
    setText(root, "salt", "");
    setText(root, "multiplier", "—");
    verdict.textContent = "Not played yet.";
    verdict.dataset.tone = "";
    browserVerdict.textContent = "";
    return;
  }
  setText(root, "status", "settled");
  setText(root, "hash", proof.hash);
  setText(root, "salt", proof.salt);
  setText(root, "multiplier", `${Number(proof.multiplier).toFixed(2)}x`);
  verdict.textContent = proof.verified ? "Verified by the server." : `NOT verified by the server${proof.reason ? `: ${proof.reason}` : ""}.`;
  verdict.dataset.tone = proof.verified ? "good" : "bad";
  try {
    await browserCheck(proof);
  } catch (err) {
    browserVerdict.textContent = "Your browser could not re-check this proof.";
  }
}

mountLookup(root, {
  pattern: /^[0-9]{1,12}$/,
  invalid: "A round is a whole number, e.g. 1234.",
  empty: "No rounds stored yet.",
  reset: () => { delete root.dataset.browser; },
  render,
});
