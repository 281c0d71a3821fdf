// What the simulator panels of every family share: a labelled figure, the queued-job
// client (202 + result_url, polled), a form that runs one job, and the live session's
// start/stop controls and balance chart.

import { adminToken, ApiError, describeError, game, h, replace, sendJSON, field } from "./core.js";
import { lineChart } from "./charts.js";

const POLL_MS = 200;
const JOB_DEADLINE_MS = 120000;

export function stat(label, value, key) {
  // One box per label and value, so the grid can never put a label over another value.
  return h("div", { class: "stat" }, h("dt", { text: label }), h("dd", { dataset: key ? { field: key } : {}, text: value }));
}

// Queue a simulator job and poll until it is done; noun names it in the errors ("study").
export async function runJob(url, body, noun) {
  const job = await sendJSON("POST", url, body);
  const deadline = Date.now() + JOB_DEADLINE_MS;
  while (Date.now() < deadline) {
    const state = await sendJSON("GET", job.result_url);
    if (state.status === "done") return state.result;
    if (state.status === "failed") {
      const err = state.error || {};
      throw new ApiError(400, err.error || "job_failed", err.message || `The ${noun || "job"} failed.`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new ApiError(0, "timeout", `The simulator worker did not finish ${noun ? `the ${noun} ` : ""}in time.`);
}

// Run one job from a form: its button is disabled (and the panel busy) while it runs;
// failures are said in the form. Resolves to the result, or null after a failure.
export async function runFromForm(root, form, say, { url, body, running, what, busy = true }) {
  const button = form.querySelector("button");
  button.disabled = true;
  if (busy) root.setAttribute("aria-busy", "true");
  say(running);
  try {
    return await runJob(url, body);
  } catch (err) {
    say(describeError(err, what), "bad");
    return null;
  } finally {
    button.disabled = false;
    if (busy) root.setAttribute("aria-busy", "false");
  }
}

// The admin start/stop of a live session. Returns start(body); the stop button stops the
// session current() returns. lock: disable the form's buttons while a request is out.
export function sessionControls(root, board, { form, say, current, lock = false }) {
  const send = async (action, body) => {
    const token = adminToken();
    if (!token) {
      say("Enter the admin token first: starting and stopping sessions needs it.", "bad");
      return;
    }
    const buttons = lock ? form.querySelectorAll("button") : [];
    buttons.forEach((b) => { b.disabled = true; });
    say(action === "start" ? "Starting…" : "Stopping…");
    try {
      const reply = await sendJSON("POST", `/api/simulator/${action}?game=${encodeURIComponent(game)}`, body, { token });
      say(reply.message || "Done.", reply.status === "queued" ? "" : "good");
      board.refresh("status", 0);
      board.refresh("history", 0);
    } catch (err) {
      say(describeError(err, "The simulator"), "bad");
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  };
  root.querySelector('[data-action="stop"]').addEventListener("click", () => {
    const s = current();
    if (!s || !s.is_running) {
      say("No session is running.", "bad");
      return;
    }
    send("stop", { session_id: s.session_id });
  });
  return (body) => send("start", body);
}

// The session's state tag, or "no session" (with the status message) when there is none.
// Returns the session's state, or null.
export function sessionHeader(root, status) {
  const stateTag = field(root, "sim-state");
  const worker = status.worker && status.worker.alive ? "" : " (the simulator worker is not running)";
  if (status.status !== "success" || !status.state) {
    stateTag.textContent = `no session${worker}`;
    stateTag.className = "tag neutral";
    replace(field(root, "wallet"), stat("Status", status.message || "No session yet."));
    replace(field(root, "balance-chart"));
    return null;
  }
  const s = status.state;
  stateTag.textContent = (s.is_running ? "running" : `stopped${s.stop_reason ? `: ${s.stop_reason_text || s.stop_reason}` : ""}`) + worker;
  stateTag.className = `tag ${s.is_running ? "good" : "neutral"}`;
  return s;
}

// The paper balance after each settled round of the history, from the starting wallet.
export function balanceChart(root, s, rows, unit) {
  const balances = rows.filter((row) => typeof row.wallet_after === "number").map((row) => row.wallet_after).reverse();
  replace(field(root, "balance-chart"), balances.length
    ? lineChart([s.initial_wallet, ...balances], { baseline: s.initial_wallet, label: "Paper balance after each settled round" })
    : h("p", { class: "small muted", text: `The balance chart starts with the first settled ${unit}.` }));
}
