/* The portal page keeps itself current: after a payment in the chat widget (or when the tab comes back
 * into view) it fetches its products list again, so a paid subscription shows as active and its
 * "Settle balance" button goes away. The list is parsed with DOMParser: no script in it ever runs. */
(function () {
  "use strict";
  // Bot answers after which the subscriptions may have changed.
  var CHANGED = ["utter_payment_succeeded", "utter_summary_paid", "utter_no_past_due", "utter_subscription_unknown"];
  var pending = null;

  function refresh() {
    var current = document.getElementById("products");
    if (!current) return Promise.resolve();
    if (pending) return pending;
    var lang = current.getAttribute("lang") || document.documentElement.lang || "en";
    pending = fetch("/portal/products?lang=" + encodeURIComponent(lang), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("products");
        if (fresh) document.getElementById("products").replaceWith(document.adoptNode(fresh));
        document.documentElement.setAttribute("data-products-refreshed", String(Date.now()));
      }, function () { /* keep what is shown; the next refresh will try again */ })
      .then(function () { pending = null; });
    return pending;
  }

  document.addEventListener("settlechat:bot", function (e) {
    var meta = (e.detail && e.detail.metadata) || {};
    if (CHANGED.indexOf(meta.utter_action) >= 0) refresh();
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  window.SettlePortal = { refresh: refresh };
})();
