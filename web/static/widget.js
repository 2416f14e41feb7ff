/* Settle-balance chat widget for the admin portal.
 * One tag embeds it: <script src="/widget.js" defer></script>. Plain ES2019, no build step; it uses
 * socket.io-client (window.io, loaded from /vendor/socket.io.min.js when the page has not).
 * Safety: user and bot text only ever reach the DOM as text nodes (never innerHTML).
 * Public API: window.SettleChat = {open(), close(), send(text, shownAs)}. */
(function () {
  "use strict";
  if (window.SettleChat) return;
  var script = document.currentScript;
  var BASE = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var T = {
    en: {
      title: "Billing assistant", launcher: "Billing assistant", close: "Close the chat",
      input: "Message to the billing assistant", placeholder: "Type your message…", send: "Send",
      restart: "Start over", reconnecting: "Reconnecting…", typing: "The assistant is typing…",
      you: "You:", bot: "Assistant:", langGroup: "Chat language", log: "Conversation", expiryHint: "MM/YY",
      welcome: "Hello! I can help you settle a past-due balance on your subscriptions.",
      signedOut: "Sign in to the admin center to chat with the billing assistant.",
      unreachable: "The assistant can't be reached right now.",
      cardTitle: "Add a card securely", cardNote: "Sent straight to the secure vault, never into the chat.",
      number: "Card number", expiry: "Expiration date (MM/YY)", cvc: "Security code",
      holder: "Cardholder name", save: "Save the card", cancel: "Cancel", saving: "Saving…",
      badExpiry: "Enter the expiration date as MM/YY, e.g. 12/28.", added: "{card} added",
      waiting: "Waiting for a support agent (about {minutes} min).", stopWaiting: "Stop waiting",
      withAgent: "You're chatting with {name} from support.", agentTyping: "{name} is typing…",
    },
    fr: {
      title: "Assistant facturation", launcher: "Assistant facturation", close: "Fermer la conversation",
      input: "Message à l'assistant facturation", placeholder: "Écrivez votre message…", send: "Envoyer",
      restart: "Recommencer", reconnecting: "Reconnexion…", typing: "L'assistant écrit…",
      you: "Vous\u00a0:", bot: "Assistant\u00a0:", langGroup: "Langue de la conversation", log: "Conversation",
      expiryHint: "MM/AA",
      welcome: "Bonjour ! Je peux vous aider à régler un solde impayé sur vos abonnements.",
      signedOut: "Connectez-vous au centre d'administration pour discuter avec l'assistant.",
      unreachable: "L'assistant est injoignable pour le moment.",
      cardTitle: "Ajouter une carte en toute sécurité",
      cardNote: "Envoyée directement au coffre sécurisé, jamais dans la conversation.",
      number: "Numéro de carte", expiry: "Date d'expiration (MM/AA)", cvc: "Code de sécurité",
      holder: "Nom du titulaire", save: "Enregistrer la carte", cancel: "Annuler", saving: "Enregistrement…",
      badExpiry: "Indiquez la date d'expiration au format MM/AA, par ex. 12/28.", added: "{card} ajoutée",
      waiting: "En attente d'un conseiller (environ {minutes} min).", stopWaiting: "Arrêter d'attendre",
      withAgent: "Vous discutez avec {name}, du support.", agentTyping: "{name} écrit…",
    },
  };
  var SWITCH = { fr: "en français", en: "in English please" };
  var BRANDS = { visa: "Visa", mastercard: "Mastercard", amex: "American Express", discover: "Discover" };
  var CARD_ASK = "utter_ask_card_number_token";
  var S = { session: null, sid: null, socket: null, ready: false, queue: [], live: null, shown: {},
    handoff: { state: "bot" }, sent: {} };
  var ui = {};

  // ---- storage and language -------------------------------------------------------------------
  function store(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key);
      if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value);
    } catch (e) { /* storage may be off: the session then lasts one page */ }
    return null;
  }
  function userKey(name) { return "settlechat:" + (S.session ? S.session.user : "anon") + ":" + name; }
  function pageLang() { return /^fr/i.test(document.documentElement.lang || "") ? "fr" : "en"; }
  function lang() {
    var chosen = null;
    try { chosen = JSON.parse(store(userKey("lang")) || "null"); } catch (e) { chosen = null; }
    return chosen && chosen.page === pageLang() && T[chosen.lang] ? chosen.lang : pageLang();
  }
  function t(key) { return T[lang()][key]; }
  // The conversation's language (each response is tagged with it): the widget's own labels follow.
  function followLanguage(code) {
    if (!T[code] || code === lang()) return;
    store(userKey("lang"), JSON.stringify({ lang: code, page: pageLang() }));
    applyLanguage();
  }

  // ---- DOM helpers ----------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "on") Object.keys(attrs.on).forEach(function (e) { node.addEventListener(e, attrs.on[e]); });
      else if (attrs[k] !== false && attrs[k] != null) node.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function safeHref(url) {
    try {
      var u = new URL(url);
      return ["http:", "https:", "mailto:"].indexOf(u.protocol) >= 0 ? u.href : null;
    } catch (e) { return null; }
  }
  function link(text, href) {
    return el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: text });
  }
  // The markdown subset: **bold**, [text](http/https/mailto), bare links, line breaks. Anything else is text.
  var INLINE = /\*\*([^*\n]+)\*\*|\[([^\]\n]+)\]\(([^)\s]+)\)|((?:https?:\/\/|mailto:)[^\s<>"]+)/g;
  function rich(parent, text) {
    String(text || "").split(/\r?\n/).forEach(function (line, i) {
      if (i) parent.appendChild(el("br"));
      var last = 0, m;
      INLINE.lastIndex = 0;
      while ((m = INLINE.exec(line))) {
        parent.appendChild(document.createTextNode(line.slice(last, m.index)));
        var node = null, tail = "";
        if (m[1]) node = el("strong", { text: m[1] });
        else if (m[2] && safeHref(m[3])) node = link(m[2], safeHref(m[3]));
        else if (m[4]) {
          var url = m[4].replace(/[.,;:!?)»"']+$/, "");
          tail = m[4].slice(url.length);
          node = safeHref(url) ? link(url, safeHref(url)) : null;
          if (!node) tail = m[4];
        }
        parent.appendChild(node || document.createTextNode(m[0]));
        if (node && tail) parent.appendChild(document.createTextNode(tail));
        last = m.index + m[0].length;
      }
      parent.appendChild(document.createTextNode(line.slice(last)));
    });
  }
  function plain(parent, text) {
    String(text || "").split(/\r?\n/).forEach(function (line, i) {
      if (i) parent.appendChild(el("br"));
      parent.appendChild(document.createTextNode(line));
    });
  }
  // What the user sees of a card number typed in the chat anyway (the server masks it too).
  function maskCards(text) {
    return String(text).replace(/\b(?:\d[ -]?){11,18}(\d{4})\b/g, function (all, last4) {
      return all.replace(/\D/g, "").length >= 13 ? "•••• " + last4 : all;
    });
  }
  function cardLabel(card) {
    var label = (BRANDS[card.brand] || "Card") + " •••• " + card.last4;
    if (card.exp_month && card.exp_year) label += " (" + ("0" + card.exp_month).slice(-2) + "/" + card.exp_year + ")";
    return label;
  }
  // The same words the web service gives a payload without `shown_as` (web/history.py `_intent_words`).
  function intentWords(payload) {
    var i = payload.indexOf("{"), name = (i < 0 ? payload.slice(1) : payload.slice(1, i)), values = [];
    try { if (i >= 0) values = Object.values(JSON.parse(payload.slice(i))).map(String); } catch (e) { values = []; }
    return [name.replace(/_/g, " ")].concat(values).join(" ").trim();
  }

  // ---- the widget's DOM -----------------------------------------------------------------------
  function field(name, attrs) {
    var id = "sc-card-" + name;
    return el("div", { class: "sc-field" }, [
      el("label", { for: id, "data-t": name }),
      el("input", Object.assign({ id: id, name: name, required: true, autocomplete: "off" }, attrs)),
    ]);
  }
  function icon() { // a speech bubble, drawn (no emoji font needed)
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "sc-icon");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }
  function build() {
    ui.launcher = el("button", { type: "button", class: "sc-launcher", "aria-expanded": "false",
      "aria-controls": "sc-panel", on: { click: function () { toggle(); } } },
    [icon(), el("span", { "data-t": "launcher" })]);
    ui.langs = ["fr", "en"].map(function (code) {
      return el("button", { type: "button", class: "sc-lang", lang: code, text: code.toUpperCase(),
        on: { click: function () { chooseLanguage(code); } } });
    });
    ui.restart = el("button", { type: "button", class: "sc-restart", "data-t": "restart", on: { click: restart } });
    ui.close = el("button", { type: "button", class: "sc-close", "data-label": "close", text: "×",
      on: { click: function () { toggle(false); } } });
    ui.banner = el("div", { class: "sc-banner", role: "status", hidden: true, "data-t": "reconnecting" });
    ui.handoffText = el("span", { class: "sc-handoff-text" });
    ui.stopWaiting = el("button", { type: "button", class: "sc-stop-waiting", "data-t": "stopWaiting",
      on: { click: stopWaiting } });
    ui.handoff = el("div", { class: "sc-handoff", role: "status", hidden: true }, [ui.handoffText, ui.stopWaiting]);
    ui.log = el("div", { class: "sc-log", role: "log", "aria-live": "polite", tabindex: "0", "data-label": "log" });
    ui.typing = el("div", { class: "sc-typing", role: "status", hidden: true }, [
      el("span", { class: "sc-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
      el("span", { "data-t": "typing" })]);
    ui.cardError = el("p", { class: "sc-card-error", role: "alert" });
    ui.cardSave = el("button", { type: "submit", class: "sc-primary", "data-t": "save" });
    ui.card = el("form", { class: "sc-card", hidden: true, novalidate: true, "aria-labelledby": "sc-card-title",
      on: { submit: saveCard } }, [
      el("h3", { id: "sc-card-title", "data-t": "cardTitle" }),
      el("p", { class: "sc-note", "data-t": "cardNote" }),
      field("number", { inputmode: "numeric", autocomplete: "cc-number", maxlength: "23" }),
      el("div", { class: "sc-row" }, [
        field("expiry", { autocomplete: "cc-exp", "data-placeholder": "expiryHint", maxlength: "7" }),
        field("cvc", { inputmode: "numeric", autocomplete: "cc-csc", maxlength: "4" })]),
      field("holder", { autocomplete: "cc-name", maxlength: "100" }),
      ui.cardError,
      el("div", { class: "sc-actions" }, [ui.cardSave, el("button", { type: "button", "data-t": "cancel",
        on: { click: function () { showCard(false); ui.input.focus(); } } })])]);
    ui.input = el("input", { type: "text", class: "sc-input", autocomplete: "off", maxlength: "2000", "data-label": "input",
      on: { input: function () { typed(); } } });
    ui.send = el("button", { type: "submit", class: "sc-send sc-primary", "data-t": "send", "data-label": "send" });
    ui.compose = el("form", { class: "sc-compose", on: { submit: function (e) {
      e.preventDefault();
      send(ui.input.value);
      ui.input.value = "";
      clearTimeout(userTyping.timer);
      if (userTyping.on) tellTyping(false);
    } } }, [ui.input, ui.send]);
    ui.panel = el("section", { id: "sc-panel", class: "sc-panel", hidden: true, "aria-labelledby": "sc-title" }, [
      el("header", { class: "sc-header" }, [
        el("h2", { id: "sc-title", "data-t": "title" }),
        el("div", { class: "sc-langs", role: "group", "data-label": "langGroup" }, ui.langs),
        ui.restart, ui.close]),
      ui.banner, ui.handoff, ui.log, ui.typing, ui.card, ui.compose]);
    ui.root = el("div", { class: "settlechat", "data-state": "connecting", on: { keydown: function (e) {
      if (e.key === "Escape" && !ui.panel.hidden) { toggle(false); ui.launcher.focus(); }
    } } }, [ui.panel, ui.launcher]);
    document.body.appendChild(ui.root);
    applyLanguage();
  }
  function applyLanguage() {
    var code = lang();
    ui.root.setAttribute("lang", code);
    ui.root.querySelectorAll("[data-t]").forEach(function (n) { n.textContent = t(n.getAttribute("data-t")); });
    ui.root.querySelectorAll("[data-label]").forEach(function (n) { n.setAttribute("aria-label", t(n.getAttribute("data-label"))); });
    ui.input.setAttribute("placeholder", t("placeholder"));
    ui.root.querySelectorAll("[data-placeholder]").forEach(function (n) { n.setAttribute("placeholder", t(n.getAttribute("data-placeholder"))); });
    ui.langs.forEach(function (b) { b.setAttribute("aria-pressed", String(b.lang === code)); });
    var hint = ui.log.querySelector(".sc-welcome");
    if (hint) hint.textContent = t("welcome");
    if (ui.handoff) showHandoff(S.handoff);
  }

  // ---- transcript -----------------------------------------------------------------------------
  function scroll() { ui.log.scrollTop = ui.log.scrollHeight; }
  function welcome() {
    if (!ui.log.querySelector(".sc-msg")) ui.log.appendChild(el("p", { class: "sc-welcome", text: t("welcome") }));
  }
  function bubble(sender, who) {
    var hint = ui.log.querySelector(".sc-welcome");
    if (hint) hint.remove();
    var node = el("div", { class: "sc-msg sc-" + sender + (who ? " sc-agent" : "") }, [
      who ? el("span", { class: "sc-who", text: who }) : el("span", { class: "sc-sr", text: t(sender === "user" ? "you" : "bot") })]);
    ui.log.appendChild(node);
    return node;
  }
  function addUser(shown, id) {
    var node = bubble("user");
    if (id) node.setAttribute("data-message-id", id);
    plain(node.appendChild(el("div", { class: "sc-text" })), maskCards(shown));
    scroll();
    return node;
  }
  // The channel echoes every user message, masked, to every tab of the conversation.
  function userEchoed(m) {
    if (!m || typeof m.text !== "string") return;
    var own = m.message_id ? [].filter.call(ui.log.querySelectorAll(".sc-user[data-message-id]"), function (n) {
      return n.getAttribute("data-message-id") === m.message_id;
    })[0] : null;
    if (own) { // ours: show it as the server stored it (a security code typed in the chat becomes •••)
      var text = own.querySelector(".sc-text");
      text.textContent = "";
      plain(text, m.text);
      return;
    }
    if (m.message_id && S.sent[m.message_id]) return; // ours, sent without a bubble (restart)
    if (m.text === "/restart") { clearTranscript(); return; }
    answerReplies([].filter.call(ui.log.querySelectorAll(".sc-reply:not([disabled])"), function (b) {
      return b.textContent === m.text;
    })[0] || null);
    addUser(m.text);
    if (S.handoff.state === "bot") typing(true);
  }
  function addBot(msg, answered, replay) {
    var meta = msg.metadata || {};
    // First the language, so this very bubble is labelled in it ("Assistant :" for the first French one).
    if (!replay && meta.language) followLanguage(meta.language);
    var node = bubble("bot", meta.agent_name);
    rich(node.appendChild(el("div", { class: "sc-text" })), msg.text);
    var replies = msg.quick_replies || [];
    if (replies.length) {
      node.appendChild(el("div", { class: "sc-replies", role: "group" }, replies.map(function (r) {
        return el("button", { type: "button", class: "sc-reply", disabled: !!answered, "data-payload": r.payload,
          text: r.title, on: { click: function (e) { chooseReply(e.currentTarget, r); } } });
      })));
    }
    if (meta.utter_action === "utter_handoff_waiting") {
      node.classList.add("sc-waiting");
      if (S.handoff.state !== "requested" && !meta.handoff) disableWaitingReplies();
    }
    if (!replay) showCard(meta.utter_action === CARD_ASK);
    scroll();
    if (!replay) document.dispatchEvent(new CustomEvent("settlechat:bot", { detail: msg }));
    return node;
  }
  function answerReplies(chosen) {
    ui.log.querySelectorAll(".sc-reply:not([disabled])").forEach(function (b) {
      b.disabled = true;
      if (b === chosen) b.classList.add("sc-chosen");
    });
  }
  function chooseReply(button, reply) {
    answerReplies(button);
    send(reply.payload, reply.title);
    ui.input.focus();
  }
  function shownFor(text) {
    if (S.shown[text]) return S.shown[text];
    return text;
  }
  function renderHistory(messages, since) {
    ui.log.setAttribute("aria-busy", "true"); // not re-announced to screen readers
    ui.log.textContent = "";
    var offered = [];
    messages.forEach(function (m) {
      if (m.sender !== "user") {
        offered = offered.concat([].slice.call(addBot(m, m.answered, true).querySelectorAll(".sc-reply")));
        return;
      }
      var shown = shownFor(m.text);
      offered.forEach(function (b) { if (b.textContent === shown) b.classList.add("sc-chosen"); });
      offered = [];
      addUser(shown);
    });
    var last = messages[messages.length - 1];
    var spoken = messages.filter(function (m) { return m.sender === "bot" && (m.metadata || {}).language; }).pop();
    if (spoken) followLanguage(spoken.metadata.language);
    showCard(!!last && last.sender === "bot" && (last.metadata || {}).utter_action === CARD_ASK && !last.answered);
    // Bot messages that arrived while the history was on its way and are not in it yet.
    var tail = messages.slice(-(since.length + 5)).map(function (m) { return m.sender + ":" + m.text; });
    since.forEach(function (m) { if (tail.indexOf("bot:" + m.text) < 0) addBot(m, false); });
    S.queue.forEach(function (m) { // sent while away: they answer the replies offered
      if (m.silent) return;
      answerReplies([].filter.call(ui.log.querySelectorAll(".sc-reply:not([disabled])"), function (b) {
        return b.textContent === m.shown;
      })[0]);
      addUser(m.shown);
    });
    welcome();
    ui.log.removeAttribute("aria-busy");
  }

  // ---- handoff to a support agent -------------------------------------------------------------
  // state: bot | requested (queued: the assistant is paused) | assigned (an agent answers)
  function showHandoff(h) {
    S.handoff = h && h.state ? h : { state: "bot" };
    var st = S.handoff.state;
    ui.handoff.hidden = st === "bot";
    ui.stopWaiting.hidden = st !== "requested";
    ui.restart.disabled = st !== "bot";
    ui.root.setAttribute("data-handoff", st);
    if (st !== "requested") disableWaitingReplies();
    if (st === "requested") {
      var minutes = Math.max(1, Math.round((S.handoff.estimated_wait_seconds || 120) / 60));
      ui.handoffText.textContent = t("waiting").replace("{minutes}", minutes);
    } else if (st === "assigned") {
      ui.handoffText.textContent = t("withAgent").replace("{name}", S.handoff.agent_name || "");
    }
  }
  function disableWaitingReplies() { // "Stop waiting" means nothing once an agent joined or it is over
    ui.log.querySelectorAll(".sc-waiting .sc-reply").forEach(function (b) { b.disabled = true; });
  }
  function handoffStatus() {
    return fetch(BASE + "/api/handoff?session_id=" + encodeURIComponent(S.sid), { credentials: "include" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (h) { if (h) showHandoff(h); }, function () { /* keep the current state */ });
  }
  // While an agent holds the conversation, they see "… is typing" (throttled; stops after a pause).
  var userTyping = { on: false, sentAt: 0, timer: null };
  function tellTyping(on) {
    if (S.handoff.state !== "assigned" || !S.sid) return;
    var now = Date.now();
    if (on === userTyping.on && (!on || now - userTyping.sentAt < 2000)) return;
    userTyping.on = on;
    userTyping.sentAt = now;
    fetch(BASE + "/api/handoff/typing", { method: "POST", credentials: "include",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ session_id: S.sid, typing: on }) })
      .catch(function () { /* an indicator only */ });
  }
  function typed() {
    if (S.handoff.state !== "assigned") return;
    tellTyping(!!ui.input.value);
    clearTimeout(userTyping.timer);
    userTyping.timer = setTimeout(function () { tellTyping(false); }, 3000);
  }
  function stopWaiting() {
    ui.stopWaiting.disabled = true;
    fetch(BASE + "/api/handoff/cancel", { method: "POST", credentials: "include",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ session_id: S.sid }) })
      .then(function (r) { if (r.ok) showHandoff({ state: "bot" }); else handoffStatus(); })
      .finally(function () { ui.stopWaiting.disabled = false; });
  }

  // ---- typing indicator, banner ---------------------------------------------------------------
  var typingTimer = null;
  function typing(on, who) {
    clearTimeout(typingTimer);
    var label = ui.typing.querySelector("[data-t]");
    label.textContent = who ? t("agentTyping").replace("{name}", who) : t("typing");
    ui.typing.hidden = !on;
    if (on) typingTimer = setTimeout(function () { typing(false); }, 30000);
    scroll();
  }
  function banner(on) { ui.banner.hidden = !on; }
  // data-state on the root: connecting | ready (history shown, messages flow) | offline | signed-out
  function state(name) { ui.root.setAttribute("data-state", name); }

  // ---- sending --------------------------------------------------------------------------------
  function emit(item) {
    var metadata = { locale: lang() };
    if (item.text.charAt(0) === "/" && item.shown !== item.text) metadata.shown_as = item.shown;
    S.socket.emit("user_uttered", { message: item.text, session_id: S.sid, metadata: metadata, message_id: item.id });
  }
  function send(text, shownAs, silent) {
    text = String(text == null ? "" : text).trim();
    if (!text) return;
    var item = { text: text, shown: shownAs || text, silent: !!silent, id: messageId() };
    S.sent[item.id] = true;
    if (text.charAt(0) === "/" && item.shown !== text) {
      S.shown[text] = S.shown[intentWords(text)] = item.shown;
      store(userKey("shown"), JSON.stringify(S.shown));
    }
    answerReplies(null);
    // While the conversation waits for or is with an agent, the assistant does not answer.
    if (!silent) { addUser(item.shown, item.id); if (S.handoff.state === "bot") typing(true); }
    if (S.ready) emit(item); else S.queue.push(item);
  }
  var sentCount = 0;
  function messageId() {
    sentCount += 1;
    return Date.now().toString(36) + "-" + sentCount + "-" + Math.random().toString(36).slice(2, 10);
  }
  function clearTranscript() {
    S.queue = [];
    S.shown = {};
    store(userKey("shown"), null);
    ui.log.textContent = "";
    showCard(false);
    typing(false);
    welcome();
  }
  function restart() {
    if (S.handoff.state !== "bot") return; // an agent has the conversation: it cannot be restarted
    clearTranscript();
    send("/restart", null, true);
    ui.input.focus();
  }
  function chooseLanguage(code) {
    if (code === lang()) return;
    store(userKey("lang"), JSON.stringify({ lang: code, page: pageLang() }));
    applyLanguage();
    send(SWITCH[code]);
  }

  // ---- the secure card form: the number and code go straight to the billing vault ------------
  function showCard(on) {
    if (on === !ui.card.hidden) return;
    ui.card.hidden = !on;
    if (!on) { ui.card.reset(); ui.cardError.textContent = ""; }
    if (on && !ui.panel.hidden) ui.card.elements.number.focus();
  }
  function saveCard(e) {
    e.preventDefault();
    var f = ui.card.elements, exp = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(f.expiry.value);
    if (!exp) { ui.cardError.textContent = t("badExpiry"); f.expiry.focus(); return; }
    var body = {
      number: f.number.value.replace(/[\s-]/g, ""), exp_month: Number(exp[1]),
      exp_year: Number(exp[2].length === 2 ? "20" + exp[2] : exp[2]), cvc: f.cvc.value.trim(),
      holder_name: f.holder.value.trim(),
    };
    ui.cardSave.disabled = true;
    ui.cardSave.textContent = t("saving");
    ui.cardError.textContent = "";
    session().then(function (s) {
      if (!s) throw new Error(t("signedOut"));
      return fetch(s.billing_url + "/v1/payment-methods", { method: "POST", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + s.token } });
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (!res.ok) throw new Error((res.data.error && res.data.error.message) || t("unreachable"));
      showCard(false);
      send("/card_added" + JSON.stringify({ added_card_id: res.data.id }), t("added").replace("{card}", cardLabel(res.data)));
      ui.input.focus();
    }).catch(function (err) {
      ui.cardError.textContent = err && err.message && !/fetch/i.test(err.message) ? err.message : t("unreachable");
    }).then(function () {
      body = null;
      ui.cardSave.disabled = false;
      ui.cardSave.textContent = t("save");
    });
  }

  // ---- session, socket, history ---------------------------------------------------------------
  function session() {
    return fetch(BASE + "/api/session", { credentials: "include" }).then(function (r) {
      if (r.status === 401) return null;
      if (!r.ok) throw new Error("session " + r.status);
      return r.json();
    }).then(function (s) { if (s) S.session = s; return s; });
  }
  function loadHistory() {
    var since = S.live = [];
    return fetch(BASE + "/api/history?session_id=" + encodeURIComponent(S.sid), { credentials: "include" })
      .then(function (r) {
        if (r.status === 404) return null;
        if (!r.ok) throw new Error("history " + r.status);
        return r.json();
      }).then(function (data) {
        if (data) renderHistory(data.messages || [], since);
        return !!data;
      }, function () { return true; /* keep the transcript we have */ })
      .then(function (ok) { S.live = null; return ok; });
  }
  function withIo() {
    if (window.io) return Promise.resolve(window.io);
    return new Promise(function (resolve, reject) {
      var tag = el("script", { src: BASE + "/vendor/socket.io.min.js" });
      tag.onload = function () { resolve(window.io); };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }
  function connect(io) {
    var first = true;
    var socket = S.socket = io(S.session.socket_url, { path: "/socket.io", transports: S.session.socket_transports, auth: function (cb) {
      if (first) { first = false; cb({ token: S.session.token }); return; }
      session().then(function (s) { cb({ token: s ? s.token : "" }); }, function () { cb({ token: S.session.token }); });
    } });
    socket.on("connect", function () {
      banner(false);
      S.ready = false;
      state("connecting");
      socket.emit("session_request", { session_id: S.sid || store(userKey("sid")) || null });
    });
    socket.on("session_confirm", function (sid) {
      S.sid = typeof sid === "string" ? sid : (sid && sid.session_id) || S.sid;
      store(userKey("sid"), S.sid);
      loadHistory().then(function (mine) {
        if (!mine) { // the stored conversation is not this user's: start a new one
          S.sid = null;
          store(userKey("sid"), null);
          socket.emit("session_request", { session_id: null });
          return;
        }
        handoffStatus();
        S.ready = socket.connected;
        if (!S.ready) return;
        state("ready");
        var queued = S.queue;
        S.queue = [];
        queued.forEach(emit);
      });
    });
    socket.on("bot_uttered", function (msg) {
      if (S.live) S.live.push(msg);
      typing(false);
      var meta = (msg && msg.metadata) || {};
      if (meta.handoff) showHandoff(meta.handoff);
      addBot(msg || {}, false);
    });
    socket.on("user_uttered", userEchoed);
    socket.on("agent_typing", function (data) {
      if (data && S.handoff.state === "assigned") typing(!!data.typing, data.agent_name || S.handoff.agent_name);
    });
    socket.on("disconnect", function (reason) {
      S.ready = false;
      state("offline");
      if (reason !== "io client disconnect") banner(true);
    });
    socket.on("connect_error", function () {
      banner(true);
      if (!socket.active) setTimeout(function () { socket.connect(); }, 3000); // refused: token refresh
    });
  }

  // ---- open / close, page wiring --------------------------------------------------------------
  function toggle(force) {
    var open = force === undefined ? ui.panel.hidden : !!force;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    try { sessionStorage.setItem("settlechat:open", open ? "1" : ""); } catch (e) { /* ignore */ }
    if (open) { scroll(); (ui.card.hidden ? ui.input : ui.card.elements.number).focus(); }
  }
  function init() {
    build();
    welcome();
    document.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest(".settle-balance");
      if (!button || ui.root.contains(button)) return;
      toggle(true);
      var product = button.getAttribute("data-product") || "";
      send("/settle_balance" + JSON.stringify({ subscription: product }), button.textContent.trim());
    });
    try { if (sessionStorage.getItem("settlechat:open")) toggle(true); } catch (e) { /* ignore */ }
    session().then(function (s) {
      if (!s) { state("signed-out"); ui.log.textContent = ""; ui.log.appendChild(el("p", { class: "sc-welcome", text: t("signedOut") })); return; }
      applyLanguage();
      try { S.shown = JSON.parse(store(userKey("shown")) || "{}") || {}; } catch (e) { S.shown = {}; }
      return withIo().then(connect);
    }).catch(function () { banner(true); ui.banner.textContent = t("unreachable"); });
  }

  window.SettleChat = {
    open: function () { toggle(true); },
    close: function () { toggle(false); },
    send: function (text, shownAs) { toggle(true); send(text, shownAs); },
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
