/* Settle-balance chat widget for the admin portal: the entry module. Native ES modules, no build step:
 *   <link rel="stylesheet" href="/widget.css">
 *   <script src="/vendor/socket.io.min.js"></script>  (optional: loaded on demand otherwise)
 *   <script type="module" src="/widget/main.js"></script>
 * Modules: state.js (all the state), i18n.js (every string, en and fr), server-rules.js (what is copied
 * from the Python side), dom.js, view.js, transcript.js, conversation.js, card-form.js, handoff.js,
 * api.js, socket.js. Safety: user and bot text only ever reach the DOM as text nodes (never innerHTML).
 * Public API: window.SettleChat = {open(), close(), send(text, shownAs)}. */
import { state, wasOpen } from "./state.js";
import { t } from "./i18n.js";
import { el } from "./dom.js";
import { SETTLE } from "./server-rules.js";
import { send } from "./conversation.js";
import { connect, withIo } from "./socket.js";
import { welcome } from "./transcript.js";
import { applyLanguage, banner, build, setState, toggle } from "./view.js";
import { session } from "./api.js";

const ui = state.ui;

function signedOut() {
  setState("signed-out");
  ui.log.textContent = "";
  ui.log.appendChild(el("p", { class: "sc-welcome", text: t("signedOut") }));
}

function init() {
  build();
  welcome();
  // A "Settle balance" button of the page opens the chat on its subscription.
  document.addEventListener("click", (e) => {
    const button = e.target.closest && e.target.closest(".settle-balance");
    if (!button || ui.root.contains(button)) return;
    toggle(true);
    send(SETTLE(button.getAttribute("data-product") || ""), button.textContent.trim());
  });
  if (wasOpen()) toggle(true);
  session().then((s) => {
    if (!s) { signedOut(); return; }
    applyLanguage();
    return withIo().then(connect);
  }).catch(() => { banner(true); ui.banner.textContent = t("unreachable"); });
}

if (!window.SettleChat) {
  window.SettleChat = {
    open: () => toggle(true),
    close: () => toggle(false),
    send: (text, shownAs) => { toggle(true); send(text, shownAs); },
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
}
