/* The widget's state, all of it, in one object shared by every module: no other module keeps any.
 * What outlives the page (the conversation id, the chosen language) is in localStorage, under keys of
 * the signed-in user; whether the panel is open, in sessionStorage. */

export const state = {
  base: new URL(import.meta.url).origin, // the web service the widget was loaded from
  session: null, // /api/session's answer: user, token, billing_url, socket_url, socket_transports
  sid: null, // the conversation's id (the socket.io channel's session id)
  socket: null,
  ready: false, // history shown and socket connected: messages go out at once
  queue: [], // messages sent while not ready: {text, shown, silent, id}
  live: null, // bot messages that arrive while the history is on its way (else null)
  handoff: { state: "bot" }, // bot | requested (queued: the assistant is paused) | assigned
  sent: {}, // ids of the messages this tab sent (the channel echoes them)
  sentCount: 0,
  typingTimer: null, // hides the typing indicator if no answer comes
  userTyping: { on: false, sentAt: 0, timer: null }, // what the agent was last told
  ui: {}, // the widget's DOM nodes, made by view.js build()
};

export function store(key, value) {
  try {
    if (value === undefined) return localStorage.getItem(key);
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* storage may be off: the session then lasts one page */
  }
  return null;
}

export function userKey(name) {
  return "settlechat:" + (state.session ? state.session.user : "anon") + ":" + name;
}

export function rememberOpen(open) {
  try { sessionStorage.setItem("settlechat:open", open ? "1" : ""); } catch { /* ignore */ }
}

export function wasOpen() {
  try { return !!sessionStorage.getItem("settlechat:open"); } catch { return false; }
}
