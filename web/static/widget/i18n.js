/* Every string the widget itself shows, one table per language (en, fr). What the assistant says comes
 * from the server (domain/*.yml); the card brand names are in server-rules.js. */
import { store, userKey } from "./state.js";

export const TEXT = {
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
    // Sent as the user's message when they press this language's toggle button: it must read as a
    // switch request to reading/language.py (wanted_language).
    switchTo: "in English please",
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
    switchTo: "en français",
  },
};

export function pageLang() {
  return /^fr/i.test(document.documentElement.lang || "") ? "fr" : "en";
}

// The language chosen in the widget (or followed from the conversation) while the page's is the same.
export function lang() {
  let chosen;
  try { chosen = JSON.parse(store(userKey("lang")) || "null"); } catch { chosen = null; }
  return chosen && chosen.page === pageLang() && TEXT[chosen.lang] ? chosen.lang : pageLang();
}

export function rememberLanguage(code) {
  store(userKey("lang"), JSON.stringify({ lang: code, page: pageLang() }));
}

// t("waiting", {minutes: 2}): the string in the widget's language, its {placeholders} filled.
export function t(key, values) {
  const text = TEXT[lang()][key];
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
}
