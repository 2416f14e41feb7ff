/* The secure card form: the number and code go straight to the billing vault, never into the chat.
 * The chat only gets a card_added payload with the vault's card id, shown as the vault's summary. */
import { state } from "./state.js";
import { t } from "./i18n.js";
import { session, vaultCard } from "./api.js";
import { CARD_ADDED, cardLabel } from "./server-rules.js";
import { send } from "./conversation.js";

const ui = state.ui;
const EXPIRY = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/;

export function showCard(on) {
  if (on === !ui.card.hidden) return;
  ui.card.hidden = !on;
  if (!on) { ui.card.reset(); ui.cardError.textContent = ""; }
  if (on && !ui.panel.hidden) ui.card.elements.number.focus();
}

export function cancelCard() {
  showCard(false);
  ui.input.focus();
}

export function saveCard(e) {
  e.preventDefault();
  const f = ui.card.elements;
  const exp = EXPIRY.exec(f.expiry.value);
  if (!exp) { ui.cardError.textContent = t("badExpiry"); f.expiry.focus(); return; }
  let card = {
    number: f.number.value.replace(/[\s-]/g, ""), exp_month: Number(exp[1]),
    exp_year: Number(exp[2].length === 2 ? "20" + exp[2] : exp[2]), cvc: f.cvc.value.trim(),
    holder_name: f.holder.value.trim(),
  };
  ui.cardSave.disabled = true;
  ui.cardSave.textContent = t("saving");
  ui.cardError.textContent = "";
  session().then((s) => {
    if (!s) throw new Error(t("signedOut"));
    return vaultCard(s, card);
  }).then((res) => {
    if (!res.ok) throw new Error((res.data.error && res.data.error.message) || t("unreachable"));
    showCard(false);
    // The vault's answer (brand, last four, expiry) is what the user sees of the card.
    send(CARD_ADDED(res.data.id), t("added", { card: cardLabel(res.data) }));
    ui.input.focus();
  }).catch((err) => {
    ui.cardError.textContent = err && err.message && !/fetch/i.test(err.message) ? err.message : t("unreachable");
  }).then(() => {
    card = null; // the card's details are not kept around
    ui.cardSave.disabled = false;
    ui.cardSave.textContent = t("save");
  });
}
