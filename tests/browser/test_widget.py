"""The portal's chat widget in a real browser, against the real stack."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import bot_says, log, reply_button, say, settle_button, sign_in

STANDARD = "Microsoft 365 Business Standard"
EXCHANGE = "Exchange Online (Plan 1)"


def test_alice_settles_business_standard_by_changing_the_expiry(page: Page, shots) -> None:
    sign_in(page, "alice@contoso.com", "en")
    expect(page.get_by_role("heading", name="Billing > Your products")).to_be_visible()
    standard = page.locator(f'article.subscription[data-product="{STANDARD}"]')
    expect(standard.get_by_text("Subscription has a past due payment")).to_be_visible()
    shots(page, "portal")

    settle_button(page, STANDARD).click()
    expect(log(page).locator(".sc-user").last).to_have_text(re.compile("Settle balance"))
    bot_says(page, "has expired")
    shots(page, "options")

    reply_button(page, "Change the expiration date").click()
    bot_says(page, "new expiration date")
    # answered quick replies stay visible, disabled
    chosen = log(page).locator(".sc-reply", has_text="Change the expiration date").first
    expect(chosen).to_be_disabled()
    say(page, "12/27")
    bot_says(page, "security code")
    say(page, "123")
    bot_says(page, "Pay €151.20 for Microsoft 365 Business Standard")
    shots(page, "confirm")
    reply_button(page, re.compile(r"^Yes, pay")).click()
    bot_says(page, "Receipt reference: RCPT-")
    shots(page, "paid")

    page.reload()
    standard = page.locator(f'article.subscription[data-product="{STANDARD}"]')
    expect(standard).to_have_attribute("data-state", "active")
    expect(standard.locator(".past-due")).to_have_count(0)
    expect(standard.get_by_text("Subscription has a past due payment")).to_have_count(0)
    shots(page, "after-reload")
