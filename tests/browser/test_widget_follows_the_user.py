"""What a new user tripped on under `make run`, each shown in Chromium: the portal after a payment,
the widget's language, a second tab, a security code, the card form, French typography."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import bot_says, log, reply_button, say, settle_button, sign_in
from tests.support.dates import yy

EXCHANGE = "Exchange Online (Plan 1)"
STANDARD = "Microsoft 365 Business Standard"


def article(page: Page, product: str):
    return page.locator(f'article.subscription[data-product="{product}"]')


def user_bubbles(page: Page):
    return log(page).locator(".sc-user .sc-text")


def pay_exchange_as_bob(page: Page) -> None:
    settle_button(page, EXCHANGE).click()
    bot_says(page, "insufficient funds")
    reply_button(page, "Retry the card").click()
    bot_says(page, "Pay €40.00")
    reply_button(page, re.compile(r"^Yes, pay")).click()
    bot_says(page, "Receipt reference")


def test_the_portal_updates_itself_after_a_payment_in_the_widget(new_context, shots) -> None:
    context = new_context()
    page, other_tab = context.new_page(), context.new_page()
    sign_in(page, "bob@contoso.com")
    sign_in(other_tab, "bob@contoso.com")
    page.bring_to_front()
    page.evaluate("window.notReloaded = true")
    expect(article(page, EXCHANGE)).to_have_attribute("data-state", "past_due")
    pay_exchange_as_bob(page)
    for tab in (page, other_tab):
        expect(article(tab, EXCHANGE)).to_have_attribute("data-state", "active")
        expect(article(tab, EXCHANGE).locator(".settle-balance")).to_have_count(0)
        expect(article(tab, EXCHANGE)).not_to_contain_text("past due payment")
    assert page.evaluate("window.notReloaded === true"), "the page was reloaded"
    shots(page, "exchange-active-after-payment")


def test_a_stale_settle_button_says_it_is_paid_and_starts_nothing_else(new_context, stack) -> None:
    context = new_context()
    page = context.new_page()
    page.route("**/portal/products*", lambda route: route.abort())  # this page stays as it was loaded
    sign_in(page, "alice@contoso.com")
    # Another admin pays Exchange while Alice's page still shows its button.
    bob = context.browser.new_context(base_url=stack["origin"]).new_page()
    sign_in(bob, "bob@contoso.com")
    pay_exchange_as_bob(bob)
    bob.context.close()
    settle_button(page, EXCHANGE).click()
    answer = bot_says(page, "couldn't find a past-due subscription")
    expect(answer).to_contain_text(EXCHANGE)
    expect(answer.locator(".sc-reply")).to_have_text([STANDARD])
    expect(log(page)).not_to_contain_text("has expired")  # Business Standard was not started silently


def test_the_widget_follows_the_conversations_language(page, shots) -> None:
    sign_in(page, "alice@contoso.com", "en")
    page.evaluate("SettleChat.open()")
    widget = page.locator(".settlechat")
    say(page, "je préfère parler français svp")
    # The answer that switches is labelled in its own language already (French spacing before ":").
    expect(bot_says(page, "continuons en français").locator(".sc-sr")).to_have_text("Assistant\u00a0:")
    expect(widget.locator("#sc-title")).to_have_text("Assistant facturation")
    expect(widget.locator(".sc-lang[lang=fr]")).to_have_attribute("aria-pressed", "true")
    expect(widget.locator(".sc-input")).to_have_attribute("placeholder", "Écrivez votre message…")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the portal page itself stays
    shots(page, "switched-to-french")
    say(page, "in English please")
    expect(bot_says(page, "continue in English").locator(".sc-sr")).to_have_text("Assistant:")
    expect(widget.locator("#sc-title")).to_have_text("Billing assistant")
    expect(widget.locator(".sc-lang[lang=en]")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(widget).to_have_attribute("data-state", "ready")
    expect(widget.locator("#sc-title")).to_have_text("Billing assistant")


def test_a_second_tab_shows_the_users_messages_and_disables_answered_buttons(new_context, shots) -> None:
    context = new_context()
    first, second = context.new_page(), context.new_page()
    sign_in(first, "alice@contoso.com")
    sign_in(second, "alice@contoso.com")
    second.evaluate("SettleChat.open()")
    first.bring_to_front()
    settle_button(first, STANDARD).click()
    bot_says(second, "has expired")
    expect(user_bubbles(second)).to_have_text(["Settle balance"])
    reply_button(first, "Change the expiration date").click()
    bot_says(second, "new expiration date")
    expect(user_bubbles(second)).to_have_text(["Settle balance", "Change the expiration date"])
    options = log(second).locator(".sc-bot", has_text="You added this card").locator(".sc-reply")
    for button in options.all():
        expect(button).to_be_disabled()
    expect(options.filter(has_text="Change the expiration date")).to_have_class(re.compile("sc-chosen"))
    say(second, f"12/{yy(3)}")
    bot_says(first, "security code")
    expect(user_bubbles(first)).to_have_text(["Settle balance", "Change the expiration date", f"12/{yy(3)}"])
    shots(second, "second-tab")


def test_a_security_code_typed_in_the_chat_is_masked_at_once(page, shots) -> None:
    sign_in(page, "alice@contoso.com")
    settle_button(page, STANDARD).click()
    reply_button(page, "Change the expiration date").click()
    bot_says(page, "new expiration date")
    say(page, f"12/{yy(3)}")
    bot_says(page, "security code")
    say(page, "737")
    expect(user_bubbles(page).last).to_have_text("•••")
    expect(log(page)).not_to_contain_text("737")
    bot_says(page, "Pay €151.20")
    expect(log(page)).not_to_contain_text("737")
    shots(page, "security-code-masked")


def test_the_add_card_form_takes_focus_and_the_prompt_points_to_it(page, shots) -> None:
    sign_in(page, "alice@contoso.com")
    settle_button(page, STANDARD).click()
    reply_button(page, "Add a new card").click()
    prompt = bot_says(page, "secure form below")
    expect(prompt).not_to_contain_text("type the card number")
    form = page.locator(".settlechat .sc-card")
    expect(form).to_be_visible()
    expect(page.locator("#sc-card-number")).to_be_focused()
    shots(page, "card-form-focused")


def test_french_typography_on_the_portal_and_the_card_form(page, shots) -> None:
    sign_in(page, "alice@contoso.com", "fr")
    banner = article(page, STANDARD).locator(".past-due span")
    expect(banner).to_have_text("Solde impayé\u00a0: 151,20\u00a0€")
    expect(page.locator("#sc-card-expiry")).to_have_attribute("placeholder", "MM/AA")
    settle_button(page, STANDARD).click()
    reply_button(page, "Ajouter une carte").click()
    bot_says(page, "formulaire sécurisé ci-dessous")
    expect(page.locator("#sc-card-expiry")).to_be_visible()
    shots(page, "french-card-form")


def test_api_docs_render_with_every_other_host_blocked(page, stack: dict[str, Any], shots) -> None:
    billing = stack["billing"].url
    elsewhere: list[str] = []

    def only_billing(route) -> None:
        if route.request.url.startswith(billing + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_billing)
    page.goto(f"{billing}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Billing API")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Authorize"))).to_be_visible()
    settle = page.locator(".opblock-post", has_text="/settle").first
    settle.locator(".opblock-summary").click()
    expect(settle).to_contain_text("Idempotency-Key")
    header = settle.locator(".parameters tr", has_text="Idempotency-Key")
    expect(header.locator(".parameter__name.required")).to_have_count(1)
    expect(header).not_to_contain_text("null")
    shots(page, "billing-api-docs-offline")
    assert elsewhere == []
