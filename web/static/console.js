// The agent console: live queue, transcript and context over server-sent events; everything is
// rendered with textContent (never HTML), and nothing that looks like a card number is sent.
(function () {
  "use strict";
  var me = document.querySelector(".me").getAttribute("data-email");
  var $ = function (id) { return document.getElementById(id); };
  var REASONS = {
    asked_for_person: "Asked for a person",
    repeated_fallback: "Assistant did not understand twice",
    payment_failures: "Three failed payments",
    no_billing_role: "No billing role, wants help"
  };
  var BRANDS = { visa: "Visa", mastercard: "Mastercard", amex: "American Express", discover: "Discover" };
  var ROLES = { global_admin: "Global admin", billing_admin: "Billing admin", user: "User" };
  var ACTIONS = ["claim", "reply-text", "send", "back-resume", "back-restart", "back-payment"];
  var OUTCOMES = { resume: "handed back (resume)", restart: "handed back (start over)",
    payment: "assistant took the payment", cancelled: "user stopped waiting", timeout: "nobody claimed it in time" };
  var current = null;       // id of the handoff shown
  var tenantNames = {};     // tenant id -> display name, learnt from the context panel
  var seen = 0;             // transcript length shown, to refresh the context when it grows
  var contextTimer = null;
  var handoff = null;       // its latest state
  var stream = null;
  var queue = { waiting: [], assigned: [], follow_up: [] };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function minutes(seconds) {
    if (seconds < 60) return seconds + " s";
    return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
  }
  function since(iso) { return Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000)); }
  function time(iso) { return iso ? new Date(iso).toLocaleTimeString() : ""; }

  function api(method, path, body) {
    return fetch(path, {
      method: method, credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (r.status === 401) { window.location.href = "/console/signin"; }
        if (!r.ok) { var e = new Error((data.error && data.error.message) || ("Error " + r.status)); e.data = data; throw e; }
        return data;
      });
    });
  }

  function notice(text, ok) {
    var n = $("notice");
    n.hidden = !text; n.textContent = text || ""; n.className = ok ? "notice ok" : "notice";
  }

  // ---- queue ----------------------------------------------------------------------------------
  function renderList(id, items, describe) {
    var list = $(id);
    list.textContent = "";
    if (!items.length) { list.appendChild(el("li", "placeholder", "None")); return; }
    items.forEach(function (h) {
      var li = el("li");
      var a = el("a"); a.href = "#h" + h.id; a.setAttribute("data-id", h.id);
      if (h.id === current) a.setAttribute("aria-current", "true");
      a.appendChild(el("span", "who", h.user + " (" + h.language.toUpperCase() + ")"));
      a.appendChild(el("span", "why", REASONS[h.reason] || h.reason));
      a.appendChild(el("span", "wait", describe(h)));
      a.addEventListener("click", function (ev) { ev.preventDefault(); open(h.id); });
      li.appendChild(a); list.appendChild(li);
    });
  }
  function renderQueue() {
    $("waiting-count").textContent = queue.waiting.length;
    $("waiting-count").className = queue.waiting.length ? "count" : "count none";
    renderList("waiting", queue.waiting, function (h) { return "waiting " + minutes(since(h.requested_at)); });
    renderList("assigned", queue.assigned, function (h) { return "with " + (h.agent === me ? "you" : h.agent_name); });
    renderList("follow-up", queue.follow_up, function (h) { return "asked at " + time(h.requested_at); });
  }
  setInterval(renderQueue, 1000);

  function watchQueue() {
    var source = new EventSource("/console/api/queue/stream");
    source.onopen = function () { $("live").textContent = "live"; };
    source.onerror = function () { $("live").textContent = "reconnecting…"; };
    source.onmessage = function (ev) { queue = JSON.parse(ev.data); renderQueue(); };
  }

  // ---- one conversation -------------------------------------------------------------------------
  function roleNames(roles) {
    return String(roles || "").split(",").filter(Boolean).map(function (r) { return ROLES[r] || r; }).join(", ");
  }
  function disableActions() { ACTIONS.forEach(function (b) { $(b).disabled = true; }); }
  function scrollToNewest() { var list = $("transcript"); list.scrollTop = list.scrollHeight; }
  function loadContext(id) {
    return api("GET", "/console/api/handoffs/" + id).then(function (data) {
      if (current === id) renderContext(data);
      return data;
    });
  }

  function open(id) {
    current = id; handoff = null; seen = 0; notice("");
    disableActions();
    $("placeholder").hidden = true; $("chosen").hidden = false;
    $("transcript").textContent = "";
    renderQueue();
    loadContext(id).then(function (data) {
      if (current !== id) return;
      renderConversation(data); scrollToNewest();
    }).catch(function (e) { notice(e.message); });
    if (stream) stream.close();
    stream = new EventSource("/console/api/handoffs/" + id + "/stream");
    stream.onmessage = function (ev) { if (current === id) renderConversation(JSON.parse(ev.data)); };
  }

  function renderConversation(data) {
    handoff = data.handoff;
    $("conv-title").textContent = handoff.user + " · " + (tenantNames[handoff.tenant] || handoff.tenant);
    var state = handoff.state === "requested" ? "Waiting for an agent since " + time(handoff.requested_at)
      : handoff.state === "assigned" ? "Held by " + (handoff.agent === me ? "you" : handoff.agent_name)
      : "Back with the assistant: " + (OUTCOMES[handoff.outcome] || handoff.outcome);
    $("conv-state").textContent = state;
    var mine = handoff.state === "assigned" && handoff.agent === me;
    $("claim").hidden = handoff.state !== "requested";
    $("claim").disabled = handoff.state !== "requested";
    $("reply-text").disabled = !mine; $("send").disabled = !mine;
    ["back-resume", "back-restart", "back-payment"].forEach(function (b) { $(b).disabled = !mine; });
    var list = $("transcript");
    var atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 20;
    list.textContent = "";
    data.transcript.forEach(function (m) {
      var li = el("li", m.sender);
      li.appendChild(el("span", "meta", (m.sender === "user" ? handoff.user : m.name) + " · " + time(m.at)));
      li.appendChild(document.createTextNode(m.text));
      list.appendChild(li);
    });
    var grew = data.transcript.length > seen;
    if (atEnd || grew) scrollToNewest(); // the newest message in view, unless the agent reads back
    if (grew && seen) { // something happened (a payment, a new answer): the context may have changed
      clearTimeout(contextTimer);
      var id = current;
      contextTimer = setTimeout(function () { loadContext(id).catch(function () {}); }, 300);
    }
    seen = data.transcript.length;
    var typing = $("user-typing");
    typing.hidden = !data.user_typing;
    typing.textContent = data.user_typing ? handoff.user + " is typing…" : "";
  }

  function renderContext(data) {
    var box = $("context"); box.textContent = "";
    var dl = el("dl");
    function row(term, value) { dl.appendChild(el("dt", null, term)); dl.appendChild(el("dd", null, value)); }
    var h = data.handoff, ctx = data.context || {};
    row("Handoff reason", (REASONS[h.reason] || h.reason) + (h.detail ? ": " + h.detail : ""));
    if (ctx.user && ctx.user.tenant_name) tenantNames[h.tenant] = ctx.user.tenant_name;
    row("Tenant", tenantNames[h.tenant] || h.tenant);
    row("User", h.user + (ctx.user && ctx.user.display_name ? " (" + ctx.user.display_name + ")" : ""));
    row("Roles", roleNames(h.roles) || "none");
    row("Language", h.language === "fr" ? "French" : "English");
    box.appendChild(dl);
    box.appendChild(el("h2", null, "Past-due subscriptions"));
    if (ctx.billing_error) box.appendChild(el("p", "placeholder", ctx.billing_error));
    var subs = el("ul");
    (ctx.subscriptions || []).forEach(function (s) {
      var card = s.card ? (BRANDS[s.card.brand] || s.card.brand) + " •••• " + s.card.last4 + (s.card.expiry ? ", expires " + s.card.expiry : "")
        + (s.card.owned_by_user ? "" : " (someone else's card)") : "no card on file";
      subs.appendChild(el("li", null, s.product + ": " + s.amount.amount + " " + s.amount.currency + " · " + card
        + (s.reason ? " · " + s.reason.replace(/_/g, " ") : "")));
    });
    if (!ctx.billing_error && !(ctx.subscriptions || []).length) subs.appendChild(el("li", "placeholder", "None past due"));
    box.appendChild(subs);
    box.appendChild(el("h2", null, "What the assistant tried"));
    var tried = el("ul");
    if (ctx.failed_payments) tried.appendChild(el("li", null, ctx.failed_payments + " failed payment attempt(s)"));
    (data.tried || []).forEach(function (t) { tried.appendChild(el("li", null, time(t.at) + " " + t.what)); });
    if (!tried.children.length) tried.appendChild(el("li", "placeholder", "Nothing failed yet"));
    box.appendChild(tried);
  }

  // ---- actions --------------------------------------------------------------------------------
  $("claim").addEventListener("click", function () {
    if (!current) return;
    api("POST", "/console/api/handoffs/" + current + "/claim").then(function () {
      notice("You hold this conversation.", true);
    }).catch(function (e) { notice(e.message); });
  });

  function hasCardNumber(text) {
    var runs = text.match(/(?:\d[ -]?){12,18}\d/g) || [];
    return runs.some(function (run) { var d = run.replace(/\D/g, ""); return d.length >= 13 && d.length <= 19; });
  }

  var typingSent = false, typingTimer = null;
  function typing(on) {
    if (!handoff || handoff.state !== "assigned" || typingSent === on) return;
    typingSent = on;
    api("POST", "/console/api/handoffs/" + current + "/typing", { typing: on }).catch(function () {});
  }
  $("reply-text").addEventListener("input", function () {
    typing(true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typing(false); }, 2500);
  });
  $("reply-text").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("reply").requestSubmit(); }
  });
  $("reply").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text || !current) return;
    if (hasCardNumber(text)) {
      notice("That looks like a card number: agents never send card numbers. Ask the user to use the secure card form.");
      return;
    }
    api("POST", "/console/api/handoffs/" + current + "/messages", { text: text }).then(function () {
      $("reply-text").value = ""; notice(""); clearTimeout(typingTimer); typing(false);
    }).catch(function (e) { notice(e.message); });
  });
  function handBack(mode, done) {
    if (!current) return;
    api("POST", "/console/api/handoffs/" + current + "/handback", { mode: mode }).then(function () {
      notice(done, true);
    }).catch(function (e) { notice(e.message); });
  }
  $("back-resume").addEventListener("click", function () { handBack("resume", "Handed back: the assistant resumes where it stood."); });
  $("back-restart").addEventListener("click", function () { handBack("restart", "Handed back: the assistant starts over."); });
  $("back-payment").addEventListener("click", function () { handBack("payment", "The assistant is taking the payment."); });

  watchQueue();
  var hash = /^#h(\d+)$/.exec(window.location.hash);
  if (hash) open(+hash[1]);
})();
