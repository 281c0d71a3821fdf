// Provably fair lookup: the server's proof of one draw, checked again in this browser
// (SHA-256 of the seed against the commitment, and the HMAC digit) with WebCrypto.

import { ball, field, initChrome, setText } from "../core.js";
import { fromHex, hex, mountLookup } from "../fairness_lookup.js";

initChrome();
const root = document.querySelector('[data-panel="fairness"]');

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

async function render(proof) {
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

mountLookup(root, {
  pattern: /^[0-9]{13,20}$/,
  invalid: "An issue number is 13 to 20 digits, e.g. 20260101100010001.",
  empty: "No draws stored yet.",
  render,
});
