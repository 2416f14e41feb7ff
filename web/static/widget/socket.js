/* The socket.io connection to Rasa's channel: session, replayed history, live messages, reconnects.
 * socket.io-client is a classic script (window.io, /vendor/socket.io.min.js); loaded here if the page
 * has not. */
import { state, store, userKey } from "./state.js";
import { el } from "./dom.js";
import { historyOf, session } from "./api.js";
import { emit } from "./conversation.js";
import { handoffStatus, showHandoff } from "./handoff.js";
import { addBot, renderHistory, typing, userEchoed } from "./transcript.js";
import { banner, setState } from "./view.js";

export function withIo() {
  if (window.io) return Promise.resolve(window.io);
  return new Promise((resolve, reject) => {
    const tag = el("script", { src: state.base + "/vendor/socket.io.min.js" });
    tag.onload = () => resolve(window.io);
    tag.onerror = reject;
    document.head.appendChild(tag);
  });
}

// The transcript replayed from the server: false when the conversation is not this user's.
function loadHistory() {
  const since = state.live = [];
  return historyOf(state.sid).then((data) => {
    if (data) renderHistory(data.messages || [], since);
    return !!data;
  }, () => true /* keep the transcript we have */)
    .then((ok) => { state.live = null; return ok; });
}

function confirmed(socket, sid) {
  state.sid = typeof sid === "string" ? sid : (sid && sid.session_id) || state.sid;
  store(userKey("sid"), state.sid);
  loadHistory().then((mine) => {
    if (!mine) { // the stored conversation is not this user's: start a new one
      state.sid = null;
      store(userKey("sid"), null);
      socket.emit("session_request", { session_id: null });
      return;
    }
    handoffStatus();
    state.ready = socket.connected;
    if (!state.ready) return;
    setState("ready");
    const queued = state.queue;
    state.queue = [];
    queued.forEach(emit);
  });
}

export function connect(io) {
  let first = true;
  const auth = (cb) => { // a fresh token on every reconnect
    if (first) { first = false; cb({ token: state.session.token }); return; }
    session().then((s) => cb({ token: s ? s.token : "" }), () => cb({ token: state.session.token }));
  };
  const socket = state.socket = io(state.session.socket_url,
    { path: "/socket.io", transports: state.session.socket_transports, auth });
  socket.on("connect", () => {
    banner(false);
    state.ready = false;
    setState("connecting");
    socket.emit("session_request", { session_id: state.sid || store(userKey("sid")) || null });
  });
  socket.on("session_confirm", (sid) => confirmed(socket, sid));
  socket.on("bot_uttered", (msg) => {
    if (state.live) state.live.push(msg);
    typing(false);
    const meta = (msg && msg.metadata) || {};
    if (meta.handoff) showHandoff(meta.handoff);
    addBot(msg || {}, false);
  });
  socket.on("user_uttered", userEchoed);
  socket.on("agent_typing", (data) => {
    if (data && state.handoff.state === "assigned") typing(!!data.typing, data.agent_name || state.handoff.agent_name);
  });
  socket.on("disconnect", (reason) => {
    state.ready = false;
    setState("offline");
    if (reason !== "io client disconnect") banner(true);
  });
  socket.on("connect_error", () => {
    banner(true);
    if (!socket.active) setTimeout(() => socket.connect(), 3000); // refused: token refresh
  });
}
