/* The conversation log: user and bot bubbles, quick replies, the replayed history, the typing
 * indicator. */
import { state } from "./state.js";
import { t } from "./i18n.js";
import { el, plain, rich } from "./dom.js";
import { CARD_ASK, HANDOFF_WAITING, RESTART, maskCards } from "./server-rules.js";
import { showCard } from "./card-form.js";
import { clearTranscript, send } from "./conversation.js";
import { disableWaitingReplies } from "./handoff.js";
import { followLanguage } from "./view.js";

const ui = state.ui;

export function scroll() { ui.log.scrollTop = ui.log.scrollHeight; }

export function welcome() {
  if (!ui.log.querySelector(".sc-msg")) ui.log.appendChild(el("p", { class: "sc-welcome", text: t("welcome") }));
}

function bubble(sender, who) {
  const hint = ui.log.querySelector(".sc-welcome");
  if (hint) hint.remove();
  const node = el("div", { class: "sc-msg sc-" + sender + (who ? " sc-agent" : "") }, [
    who ? el("span", { class: "sc-who", text: who }) : el("span", { class: "sc-sr", text: t(sender === "user" ? "you" : "bot") })]);
  ui.log.appendChild(node);
  return node;
}

export function addUser(shown, id) {
  const node = bubble("user");
  if (id) node.setAttribute("data-message-id", id);
  plain(node.appendChild(el("div", { class: "sc-text" })), maskCards(shown));
  scroll();
  return node;
}

// The enabled quick reply that reads `text`, if any.
function offeredReply(text) {
  return [...ui.log.querySelectorAll(".sc-reply:not([disabled])")].find((b) => b.textContent === text) || null;
}

// The channel echoes every user message, masked, to every tab of the conversation.
export function userEchoed(m) {
  if (!m || typeof m.text !== "string") return;
  const own = m.message_id
    ? [...ui.log.querySelectorAll(".sc-user[data-message-id]")].find((n) => n.getAttribute("data-message-id") === m.message_id)
    : null;
  if (own) { // ours: show it as the server stored it (a security code typed in the chat becomes •••)
    const text = own.querySelector(".sc-text");
    text.textContent = "";
    plain(text, m.text);
    return;
  }
  if (m.message_id && state.sent[m.message_id]) return; // ours, sent without a bubble (restart)
  if (m.text === RESTART) { clearTranscript(); return; }
  answerReplies(offeredReply(m.text));
  addUser(m.text);
  if (state.handoff.state === "bot") typing(true);
}

export function addBot(msg, answered, replay) {
  const meta = msg.metadata || {};
  // First the language, so this very bubble is labelled in it ("Assistant :" for the first French one).
  if (!replay && meta.language) followLanguage(meta.language);
  const node = bubble("bot", meta.agent_name);
  rich(node.appendChild(el("div", { class: "sc-text" })), msg.text);
  const replies = msg.quick_replies || [];
  if (replies.length) {
    node.appendChild(el("div", { class: "sc-replies", role: "group" }, replies.map((r) =>
      el("button", { type: "button", class: "sc-reply", disabled: !!answered, "data-payload": r.payload,
        text: r.title, on: { click: (e) => chooseReply(e.currentTarget, r) } }))));
  }
  if (meta.utter_action === HANDOFF_WAITING) {
    node.classList.add("sc-waiting");
    if (state.handoff.state !== "requested" && !meta.handoff) disableWaitingReplies();
  }
  if (!replay) showCard(meta.utter_action === CARD_ASK);
  scroll();
  if (!replay) document.dispatchEvent(new CustomEvent("settlechat:bot", { detail: msg }));
  return node;
}

export function answerReplies(chosen) {
  ui.log.querySelectorAll(".sc-reply:not([disabled])").forEach((b) => {
    b.disabled = true;
    if (b === chosen) b.classList.add("sc-chosen");
  });
}

function chooseReply(button, reply) {
  answerReplies(button);
  send(reply.payload, reply.title);
  ui.input.focus();
}

// The transcript from /api/history (a button payload already reads as the title the user clicked),
// then the bot messages `since` it was asked for and the messages still queued.
export function renderHistory(messages, since) {
  ui.log.setAttribute("aria-busy", "true"); // not re-announced to screen readers
  ui.log.textContent = "";
  let offered = [];
  messages.forEach((m) => {
    if (m.sender !== "user") {
      offered = offered.concat([...addBot(m, m.answered, true).querySelectorAll(".sc-reply")]);
      return;
    }
    offered.forEach((b) => { if (b.textContent === m.text) b.classList.add("sc-chosen"); });
    offered = [];
    addUser(m.text);
  });
  const last = messages[messages.length - 1];
  const spoken = messages.filter((m) => m.sender === "bot" && (m.metadata || {}).language).pop();
  if (spoken) followLanguage(spoken.metadata.language);
  showCard(!!last && last.sender === "bot" && (last.metadata || {}).utter_action === CARD_ASK && !last.answered);
  // Bot messages that arrived while the history was on its way and are not in it yet.
  const tail = messages.slice(-(since.length + 5)).map((m) => m.sender + ":" + m.text);
  since.forEach((m) => { if (tail.indexOf("bot:" + m.text) < 0) addBot(m, false); });
  state.queue.forEach((m) => { // sent while away: they answer the replies offered
    if (m.silent) return;
    answerReplies(offeredReply(m.shown));
    addUser(m.shown);
  });
  welcome();
  ui.log.removeAttribute("aria-busy");
}

export function typing(on, who) {
  clearTimeout(state.typingTimer);
  const label = ui.typing.querySelector("[data-t]");
  label.textContent = who ? t("agentTyping", { name: who }) : t("typing");
  ui.typing.hidden = !on;
  if (on) state.typingTimer = setTimeout(() => typing(false), 30000);
  scroll();
}
