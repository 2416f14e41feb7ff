/* The HTTP calls: the web service (session, history, handoff; portal cookie) and the billing vault
 * (user token). */
import { state } from "./state.js";

const withCookie = { credentials: "include" };

// The signed-in user's session (null when signed out); kept in state.session.
export function session() {
  return fetch(state.base + "/api/session", withCookie).then((r) => {
    if (r.status === 401) return null;
    if (!r.ok) throw new Error("session " + r.status);
    return r.json();
  }).then((s) => { if (s) state.session = s; return s; });
}

// The conversation's transcript, or null when it is not this user's (404).
export function historyOf(sid) {
  return fetch(state.base + "/api/history?session_id=" + encodeURIComponent(sid), withCookie).then((r) => {
    if (r.status === 404) return null;
    if (!r.ok) throw new Error("history " + r.status);
    return r.json();
  });
}

export function handoffOf(sid) {
  return fetch(state.base + "/api/handoff?session_id=" + encodeURIComponent(sid), withCookie)
    .then((r) => (r.ok ? r.json() : null));
}

export function postHandoff(what, body) {
  return fetch(state.base + "/api/handoff/" + what, { method: "POST", credentials: "include",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

// Saves a card in the vault: {ok, data} with the vault's answer (a card summary, or an error).
export function vaultCard(s, card) {
  return fetch(s.billing_url + "/v1/payment-methods", { method: "POST", body: JSON.stringify(card),
    headers: { "Content-Type": "application/json", Authorization: "Bearer " + s.token } })
    .then((r) => r.json().catch(() => ({})).then((data) => ({ ok: r.ok, data })));
}
