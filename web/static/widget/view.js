/* The widget's frame: launcher, panel, header, banners, compose box; labels in the widget's language;
 * open / close. Nodes are kept in state.ui. */
import { rememberOpen, state } from "./state.js";
import { TEXT, lang, rememberLanguage, t } from "./i18n.js";
import { el, icon } from "./dom.js";
import { cancelCard, saveCard } from "./card-form.js";
import { chooseLanguage, restart, send } from "./conversation.js";
import { showHandoff, stopWaiting, tellTyping, typed } from "./handoff.js";
import { scroll } from "./transcript.js";

const ui = state.ui;

function field(name, attrs) {
  const id = "sc-card-" + name;
  return el("div", { class: "sc-field" }, [
    el("label", { for: id, "data-t": name }),
    el("input", Object.assign({ id, name, required: true, autocomplete: "off" }, attrs)),
  ]);
}

function cardForm() {
  ui.cardError = el("p", { class: "sc-card-error", role: "alert" });
  ui.cardSave = el("button", { type: "submit", class: "sc-primary", "data-t": "save" });
  return el("form", { class: "sc-card", hidden: true, novalidate: true, "aria-labelledby": "sc-card-title",
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
      on: { click: cancelCard } })])]);
}

function compose() {
  ui.input = el("input", { type: "text", class: "sc-input", autocomplete: "off", maxlength: "2000", "data-label": "input",
    on: { input: () => typed() } });
  ui.send = el("button", { type: "submit", class: "sc-send sc-primary", "data-t": "send", "data-label": "send" });
  return el("form", { class: "sc-compose", on: { submit: (e) => {
    e.preventDefault();
    send(ui.input.value);
    ui.input.value = "";
    clearTimeout(state.userTyping.timer);
    if (state.userTyping.on) tellTyping(false);
  } } }, [ui.input, ui.send]);
}

export function build() {
  ui.launcher = el("button", { type: "button", class: "sc-launcher", "aria-expanded": "false",
    "aria-controls": "sc-panel", on: { click: () => toggle() } },
  [icon(), el("span", { "data-t": "launcher" })]);
  ui.langs = ["fr", "en"].map((code) => el("button", { type: "button", class: "sc-lang", lang: code,
    text: code.toUpperCase(), on: { click: () => chooseLanguage(code) } }));
  ui.restart = el("button", { type: "button", class: "sc-restart", "data-t": "restart", on: { click: restart } });
  ui.close = el("button", { type: "button", class: "sc-close", "data-label": "close", text: "×",
    on: { click: () => toggle(false) } });
  ui.banner = el("div", { class: "sc-banner", role: "status", hidden: true, "data-t": "reconnecting" });
  ui.handoffText = el("span", { class: "sc-handoff-text" });
  ui.stopWaiting = el("button", { type: "button", class: "sc-stop-waiting", "data-t": "stopWaiting",
    on: { click: stopWaiting } });
  ui.handoff = el("div", { class: "sc-handoff", role: "status", hidden: true }, [ui.handoffText, ui.stopWaiting]);
  ui.log = el("div", { class: "sc-log", role: "log", "aria-live": "polite", tabindex: "0", "data-label": "log" });
  ui.typing = el("div", { class: "sc-typing", role: "status", hidden: true }, [
    el("span", { class: "sc-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
    el("span", { "data-t": "typing" })]);
  ui.card = cardForm();
  ui.compose = compose();
  ui.panel = el("section", { id: "sc-panel", class: "sc-panel", hidden: true, "aria-labelledby": "sc-title" }, [
    el("header", { class: "sc-header" }, [
      el("h2", { id: "sc-title", "data-t": "title" }),
      el("div", { class: "sc-langs", role: "group", "data-label": "langGroup" }, ui.langs),
      ui.restart, ui.close]),
    ui.banner, ui.handoff, ui.log, ui.typing, ui.card, ui.compose]);
  ui.root = el("div", { class: "settlechat", "data-state": "connecting", on: { keydown: (e) => {
    if (e.key === "Escape" && !ui.panel.hidden) { toggle(false); ui.launcher.focus(); }
  } } }, [ui.panel, ui.launcher]);
  document.body.appendChild(ui.root);
  applyLanguage();
}

export function applyLanguage() {
  const code = lang();
  ui.root.setAttribute("lang", code);
  ui.root.querySelectorAll("[data-t]").forEach((n) => { n.textContent = t(n.getAttribute("data-t")); });
  ui.root.querySelectorAll("[data-label]").forEach((n) => n.setAttribute("aria-label", t(n.getAttribute("data-label"))));
  ui.input.setAttribute("placeholder", t("placeholder"));
  ui.root.querySelectorAll("[data-placeholder]").forEach((n) => n.setAttribute("placeholder", t(n.getAttribute("data-placeholder"))));
  ui.langs.forEach((b) => b.setAttribute("aria-pressed", String(b.lang === code)));
  const hint = ui.log.querySelector(".sc-welcome");
  if (hint) hint.textContent = t("welcome");
  if (ui.handoff) showHandoff(state.handoff);
}

// The conversation's language (each response is tagged with it): the widget's own labels follow.
export function followLanguage(code) {
  if (!TEXT[code] || code === lang()) return;
  rememberLanguage(code);
  applyLanguage();
}

export function toggle(force) {
  const open = force === undefined ? ui.panel.hidden : !!force;
  ui.panel.hidden = !open;
  ui.launcher.setAttribute("aria-expanded", String(open));
  rememberOpen(open);
  if (open) { scroll(); (ui.card.hidden ? ui.input : ui.card.elements.number).focus(); }
}

export function banner(on) { ui.banner.hidden = !on; }

// data-state on the root: connecting | ready (history shown, messages flow) | offline | signed-out
export function setState(name) { ui.root.setAttribute("data-state", name); }
