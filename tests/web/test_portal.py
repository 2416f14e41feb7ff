"""Sign-in, the products page, the widget's session API and transcript."""

from __future__ import annotations

from html import escape

import pytest
from pydantic import ValidationError

from web import history
from web.settings import WebSettings

SETTINGS = {"_env_file": None, "AUTH_TOKEN_SECRET": "s" * 32, "RASA_JWT_SECRET": "j" * 32}


async def sign_in(portal, user, lang="en"):
    return await portal.post("/signin", data={"user": user, "lang": lang}, follow_redirects=False)


async def test_signing_in_sets_an_httponly_cookie_and_opens_the_portal(portal):
    response = await sign_in(portal, "alice@contoso.com", "fr")
    assert response.status_code == 303 and response.headers["location"] == "/portal?lang=fr"
    cookie = response.headers["set-cookie"]
    assert "portal_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


async def test_the_portal_without_sign_in_reaches_nobodys_data(portal):
    response = await portal.get("/portal", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    assert (await portal.get("/api/session")).status_code == 401
    assert (await portal.get("/api/history", params={"session_id": "abcdefgh12"})).status_code == 401


async def test_an_unknown_user_cannot_sign_in(portal):
    assert (await sign_in(portal, "mallory@evil.example")).status_code == 400


@pytest.mark.parametrize(
    ("lang", "banner", "button"),
    [
        ("en", "Subscription has a past due payment", "Settle balance"),
        ("fr", "L'abonnement a un paiement en retard", "Régler le solde"),
    ],
)
async def test_past_due_subscriptions_show_the_banner_and_the_settle_button(portal, lang, banner, button):
    await sign_in(portal, "alice@contoso.com", lang)
    page = (await portal.get("/portal", params={"lang": lang})).text
    assert f'<html lang="{lang}">' in page
    assert page.count(escape(banner)) == 2  # Business Standard and Exchange
    assert f'data-product="Microsoft 365 Business Standard">{button}</button>' in page
    assert 'data-subscription-id="sub_contoso_e3" data-product="Microsoft 365 E3" data-state="active"' in page
    assert '<script type="module" src="/widget/main.js"></script>' in page


async def test_a_user_without_billing_role_sees_no_billing_details(portal):
    await sign_in(portal, "carol@contoso.com")
    page = (await portal.get("/portal", params={"lang": "en"})).text
    assert "no billing role" in page and "Settle balance" not in page


async def test_the_widget_session_gives_the_token_and_where_to_connect(portal):
    await sign_in(portal, "bob@contoso.com")
    session = (await portal.get("/api/session")).json()
    assert session["user"] == "bob@contoso.com" and session["token"].count(".") == 2
    assert session["socket_url"] and session["billing_url"]
    assert session["socket_transports"] == ["polling", "websocket"]  # the embedded default


@pytest.mark.parametrize("value", ["websocket", "polling,websocket"])
def test_the_socket_transports_are_a_setting(value):
    assert WebSettings(**SETTINGS, SOCKET_TRANSPORTS=value).socket_transports.split(",") == value.split(",")


@pytest.mark.parametrize("value", ["", "websockets", "websocket;polling", '["websocket"]'])
def test_a_transport_socket_io_does_not_have_is_refused_at_start(value):
    with pytest.raises(ValidationError, match="SOCKET_TRANSPORTS"):
        WebSettings(**SETTINGS, SOCKET_TRANSPORTS=value)


async def test_signing_out_forgets_the_session(portal):
    await sign_in(portal, "bob@contoso.com")
    await portal.post("/signout")
    assert (await portal.get("/api/session")).status_code == 401


async def test_socket_io_client_is_served_by_us(portal):
    response = await portal.get("/vendor/socket.io.min.js")
    assert response.status_code == 200 and "Socket.IO v4" in response.text[:300]


EVENTS = [
    {"event": "user", "text": "hello", "metadata": {"user": "alice@contoso.com"}},
    {
        "event": "bot",
        "text": "Hello!",
        "data": {"buttons": [{"title": "Settle my balance", "payload": "/settle_balance"}]},
        "metadata": {"utter_action": "utter_greet"},
    },
    {
        "event": "user",
        "text": "/settle_balance",
        "metadata": {"user": "alice@contoso.com", "shown_as": "Settle my balance"},
    },
    {"event": "bot", "text": "2 subscriptions…", "data": {}, "metadata": {}},
]


def test_the_transcript_reads_as_the_user_saw_it():
    messages = history.transcript(EVENTS)
    assert [(m["sender"], m["text"]) for m in messages] == [
        ("user", "hello"),
        ("bot", "Hello!"),
        ("user", "Settle my balance"),
        ("bot", "2 subscriptions…"),
    ]
    assert messages[1]["answered"] is True and messages[3]["answered"] is False
    assert messages[1]["quick_replies"][0]["payload"] == "/settle_balance"
    assert history.owner(EVENTS) == "alice@contoso.com"


def test_a_restart_clears_the_transcript():
    assert history.transcript([*EVENTS, {"event": "restart"}]) == []


async def test_the_products_list_alone_needs_a_sign_in(portal):
    response = await portal.get("/portal/products", params={"lang": "en"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "signed_out"


async def test_the_products_list_alone_is_what_the_page_shows(portal):
    await sign_in(portal, "bob@contoso.com")
    page = (await portal.get("/portal", params={"lang": "en"})).text
    fragment = await portal.get("/portal/products", params={"lang": "en"})
    assert fragment.status_code == 200 and fragment.headers["cache-control"] == "no-store"
    assert fragment.text.startswith('<section id="products"') and fragment.text in page
    assert '<script src="/portal.js" defer></script>' in page


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "Solde impayé\u00a0: 151,20\u00a0€"),
        ("en", "Outstanding balance: €151.20"),
    ],
)
async def test_the_balance_follows_each_languages_typography(portal, lang, expected):
    await sign_in(portal, "alice@contoso.com", lang)
    page = (await portal.get("/portal", params={"lang": lang})).text
    assert expected in page
