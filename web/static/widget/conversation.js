/* Sending: the user's messages and button payloads to the socket (or queued until it is ready),
 * starting over, switching language. */
import { state } from "./state.js";
import { TEXT, lang, rememberLanguage } from "./i18n.js";
import { RESTART } from "./server-rules.js";
import { showCard } from "./card-form.js";
import { addUser, answerReplies, typing, welcome } from "./transcript.js";
import { applyLanguage } from "./view.js";

export function emit(item) {
  const metadata = { locale: lang() };
  // A payload's title: the channel stores it and /api/history answers it in the payload's place.
  if (item.text.charAt(0) === "/" && item.shown !== item.text) metadata.shown_as = item.shown;
  state.socket.emit("user_uttered", { message: item.text, session_id: state.sid, metadata, message_id: item.id });
}

function messageId() {
  state.sentCount += 1;
  return Date.now().toString(36) + "-" + state.sentCount + "-" + Math.random().toString(36).slice(2, 10);
}

// send(text) as typed; send(payload, title) for a button; silent: no bubble (/restart).
export function send(text, shownAs, silent) {
  text = String(text == null ? "" : text).trim();
  if (!text) return;
  const item = { text, shown: shownAs || text, silent: !!silent, id: messageId() };
  state.sent[item.id] = true;
  answerReplies(null);
  // While the conversation waits for or is with an agent, the assistant does not answer.
  if (!silent) { addUser(item.shown, item.id); if (state.handoff.state === "bot") typing(true); }
  if (state.ready) emit(item); else state.queue.push(item);
}

export function clearTranscript() {
  state.queue = [];
  state.ui.log.textContent = "";
  showCard(false);
  typing(false);
  welcome();
}

export function restart() {
  if (state.handoff.state !== "bot") return; // an agent has the conversation: it cannot be restarted
  clearTranscript();
  send(RESTART, null, true);
  state.ui.input.focus();
}

export function chooseLanguage(code) {
  if (code === lang()) return;
  rememberLanguage(code);
  applyLanguage();
  send(TEXT[code].switchTo);
}
