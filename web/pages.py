"""The portal's HTML: sign-in and "Billing > Your products". Every value is escaped."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

TEXT = {
    "en": {
        "title": "Microsoft 365 admin center",
        "products": "Billing > Your products",
        "signin": "Sign in to the admin center (demo)",
        "pick": "Pick a demo user:",
        "signout": "Sign out",
        "past_due": "Subscription has a past due payment",
        "settle": "Settle balance",
        "active": "Active",
        "disabled": "Disabled",
        "licences": "licences",
        "outstanding": "Outstanding balance",
        "card": "Payment method",
        "colon": ": ",
        "no_role": "Your account has no billing role: you can't see billing details. Use the chat for help.",
        "language": "Français",
        "other": "fr",
    },
    "fr": {
        "title": "Centre d'administration Microsoft 365",
        "products": "Facturation > Vos produits",
        "signin": "Se connecter au centre d'administration (démo)",
        "pick": "Choisissez un utilisateur de démo\u00a0:",
        "signout": "Se déconnecter",
        "past_due": "L'abonnement a un paiement en retard",
        "settle": "Régler le solde",
        "active": "Actif",
        "disabled": "Désactivé",
        "licences": "licences",
        "outstanding": "Solde impayé",
        "card": "Moyen de paiement",
        "colon": "\u00a0: ",  # French typography: a no-break space before the colon
        "no_role": "Votre compte n'a pas de rôle de facturation\u00a0: vous ne pouvez pas voir "
        "la facturation. "
        "Utilisez la conversation pour obtenir de l'aide.",
        "language": "English",
        "other": "en",
    },
}


def _page(lang: str, title: str, body: str, widget: bool) -> str:
    assets = (
        (
            '<link rel="stylesheet" href="/widget.css">\n<script src="/vendor/socket.io.min.js"></script>\n'
            '<script type="module" src="/widget/main.js"></script>\n<script src="/portal.js" defer></script>'
        )
        if widget
        else ""
    )
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/portal.css">
{assets}
</head>
<body>
{body}
</body>
</html>
"""


def signin(lang: str, users: list[tuple[str, str, str]]) -> str:
    t = TEXT[lang]
    buttons = "\n".join(
        f'<li><form method="post" action="/signin"><input type="hidden" name="lang" value="{lang}">'
        f'<button type="submit" name="user" value="{escape(uid)}">{escape(uid)}</button> '
        f'<span class="who">{escape(name)} · {escape(role)}</span></form></li>'
        for uid, name, role in users
    )
    body = (
        f"<header><h1>{escape(t['title'])}</h1>"
        f'<a href="/signin?lang={t["other"]}" lang="{t["other"]}">{t["language"]}</a></header>'
        f"<main><h2>{escape(t['signin'])}</h2><p>{escape(t['pick'])}</p>"
        f'<ul class="users">{buttons}</ul></main>'
    )
    return _page(lang, t["signin"], body, widget=False)


def money(amount: str, currency: str, lang: str) -> str:
    value = Decimal(amount)
    if lang == "fr":
        return f"{value:,.2f}".replace(",", "\u202f").replace(".", ",") + "\u00a0€"
    return f"€{value:,.2f}" if currency == "EUR" else f"{value:,.2f} {currency}"


def products(lang: str, subscriptions: list[dict[str, Any]] | None) -> str:
    """The products list; portal.js fetches it again after a payment made in the widget."""
    t = TEXT[lang]
    if subscriptions is None:
        inner = f'<p class="notice">{escape(t["no_role"])}</p>'
    else:
        inner = "\n".join(_subscription(sub, lang) for sub in subscriptions)
    return f'<section id="products" class="products" lang="{lang}">{inner}</section>'


def portal(lang: str, me: dict[str, Any], subscriptions: list[dict[str, Any]] | None) -> str:
    t = TEXT[lang]
    body = (
        f'<header><h1>{escape(t["title"])}</h1><span class="who">{escape(me["display_name"])} · '
        f'{escape(me["tenant_name"])}</span> <a href="/portal?lang={t["other"]}" lang="{t["other"]}">'
        f'{t["language"]}</a><form method="post" action="/signout"><button type="submit">'
        f"{escape(t['signout'])}</button></form></header>"
        f"<main><h2>{escape(t['products'])}</h2>{products(lang, subscriptions)}</main>"
    )
    return _page(lang, t["products"], body, widget=True)


def _subscription(sub: dict[str, Any], lang: str) -> str:
    t = TEXT[lang]
    card = sub.get("payment_method") or {}
    card_text = f"{card.get('brand', '').title()} •••• {card.get('last4', '')}" if card else "—"
    banner = ""
    if sub["state"] == "past_due":
        amount = money(sub["outstanding"]["amount"], sub["outstanding"]["currency"], lang)
        banner = (
            f'<div class="past-due" role="alert"><strong>{escape(t["past_due"])}</strong> '
            f"<span>{escape(t['outstanding'])}{t['colon']}{escape(amount)}</span> "
            f'<button type="button" class="settle-balance" data-product="{escape(sub["product"])}">'
            f"{escape(t['settle'])}</button></div>"
        )
    state = {"active": t["active"], "disabled": t["disabled"]}.get(sub["state"], "")
    return (
        f'<article class="subscription" data-subscription-id="{escape(sub["id"])}" '
        f'data-product="{escape(sub["product"])}" data-state="{escape(sub["state"])}">'
        f"<h3>{escape(sub['product'])}</h3><p>{sub['licences']} {t['licences']}"
        f"{' · ' + escape(state) if state else ''}</p>"
        f"<p>{escape(t['card'])}{t['colon']}{escape(card_text)}</p>{banner}</article>"
    )
