/* What the widget has to know of the Python side, kept here and nowhere else in the widget. Each item
 * is a copy: its source of truth is the Python module named beside it; change that first.
 * (Intent words for button payloads are not copied: /api/history already answers the shown text.) */

// Response names the widget reacts to: domain/add_card.yml and domain/handoff.yml.
export const CARD_ASK = "utter_ask_card_number_token"; // opens the secure card form
export const HANDOFF_WAITING = "utter_handoff_waiting"; // its "Stop waiting" reply dies with the wait

// Intents and entities the widget sends as payloads: domain/*.yml (settle.yml, add_card.yml).
export function payload(intent, entities) {
  return "/" + intent + (entities ? JSON.stringify(entities) : "");
}
export const SETTLE = (subscription) => payload("settle_balance", { subscription });
export const CARD_ADDED = (cardId) => payload("card_added", { added_card_id: cardId });
export const RESTART = payload("restart");

// What the user sees at once of a card number typed in the chat. security/cards.py is the masking
// rule: the channel masks the message and echoes it back, and the echo replaces this bubble's text.
export function maskCards(text) {
  return String(text).replace(/\b(?:\d[ -]?){11,18}(\d{4})\b/g, (all, last4) =>
    (all.replace(/\D/g, "").length >= 13 ? "•••• " + last4 : all));
}

// A card as the vault answers it (brand, last4, exp_month, exp_year) in words: "Visa •••• 4242
// (12/2028)". actions/formatting.py (BRANDS and card()) is the source of truth.
export const BRANDS = { visa: "Visa", mastercard: "Mastercard", amex: "American Express", discover: "Discover" };
export function cardLabel(card) {
  let label = (BRANDS[card.brand] || "Card") + " •••• " + card.last4;
  if (card.exp_month && card.exp_year) label += " (" + ("0" + card.exp_month).slice(-2) + "/" + card.exp_year + ")";
  return label;
}
