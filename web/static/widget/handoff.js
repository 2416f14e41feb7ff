/* Handoff to a support agent: the status line, "Stop waiting", and telling the agent the user types.
 * state.handoff.state: bot | requested (queued: the assistant is paused) | assigned (an agent answers) */
import { state } from "./state.js";
import { t } from "./i18n.js";
import { handoffOf, postHandoff } from "./api.js";

const ui = state.ui;

export function showHandoff(h) {
  state.handoff = h && h.state ? h : { state: "bot" };
  const st = state.handoff.state;
  ui.handoff.hidden = st === "bot";
  ui.stopWaiting.hidden = st !== "requested";
  ui.restart.disabled = st !== "bot";
  ui.root.setAttribute("data-handoff", st);
  if (st !== "requested") disableWaitingReplies();
  if (st === "requested") {
    const minutes = Math.max(1, Math.round((state.handoff.estimated_wait_seconds || 120) / 60));
    ui.handoffText.textContent = t("waiting", { minutes });
  } else if (st === "assigned") {
    ui.handoffText.textContent = t("withAgent", { name: state.handoff.agent_name || "" });
  }
}

export function disableWaitingReplies() { // "Stop waiting" means nothing once an agent joined or it is over
  ui.log.querySelectorAll(".sc-waiting .sc-reply").forEach((b) => { b.disabled = true; });
}

export function handoffStatus() {
  return handoffOf(state.sid).then((h) => { if (h) showHandoff(h); }, () => { /* keep the current state */ });
}

// While an agent holds the conversation, they see "… is typing" (throttled; stops after a pause).
export function tellTyping(on) {
  const typing = state.userTyping;
  if (state.handoff.state !== "assigned" || !state.sid) return;
  const now = Date.now();
  if (on === typing.on && (!on || now - typing.sentAt < 2000)) return;
  typing.on = on;
  typing.sentAt = now;
  postHandoff("typing", { session_id: state.sid, typing: on }).catch(() => { /* an indicator only */ });
}

export function typed() {
  if (state.handoff.state !== "assigned") return;
  tellTyping(!!ui.input.value);
  clearTimeout(state.userTyping.timer);
  state.userTyping.timer = setTimeout(() => tellTyping(false), 3000);
}

export function stopWaiting() {
  ui.stopWaiting.disabled = true;
  postHandoff("cancel", { session_id: state.sid })
    .then((r) => { if (r.ok) showHandoff({ state: "bot" }); else handoffStatus(); })
    .finally(() => { ui.stopWaiting.disabled = false; });
}
