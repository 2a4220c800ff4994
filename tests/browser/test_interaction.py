"""Asks, action buttons and stop, in real Chromium against the real server (SPEC §5.4)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.widget import assistant_messages, composer, open_panel, part, send


def test_text_ask_is_answered_by_the_next_typed_message(page: Page, host_site: Any) -> None:
    page.goto(f"{host_site.url}/seed.html")
    open_panel(page)
    send(page, "ask")
    expect(composer(page)).to_have_attribute("placeholder", "Reply to: What is your name?")
    expect(part(page, ".cp-msg[data-asking]")).to_have_count(1)
    send(page, "Ann")
    expect(assistant_messages(page).last).to_have_text("Hello, Ann!")
    expect(part(page, ".cp-msg[data-asking]")).to_have_count(0)
    expect(composer(page)).not_to_have_attribute("placeholder", "Reply to: What is your name?")


def test_action_ask_locks_the_composer_until_a_button_answers(page: Page, host_site: Any) -> None:
    page.goto(f"{host_site.url}/seed.html")
    open_panel(page)
    send(page, "confirm")
    buttons = part(page, ".cp-action")
    expect(buttons).to_have_text(["Yes, go", "No"])
    expect(composer(page)).to_be_disabled()
    buttons.first.click()
    expect(assistant_messages(page).last).to_have_text("You chose Yes, go.")
    expect(buttons).to_have_count(0)  # the server removed the answered buttons
    expect(composer(page)).to_be_enabled()
    expect(part(page, ".cp-stop")).to_have_count(0)


def test_stop_during_an_ask_ends_it_and_the_composer_works_at_once(
    page: Page, host_site: Any
) -> None:
    page.goto(f"{host_site.url}/seed.html")
    open_panel(page)
    send(page, "confirm")
    expect(composer(page)).to_be_disabled()
    part(page, ".cp-stop").click()
    expect(part(page, ".cp-stop")).to_have_count(0)
    expect(composer(page)).to_be_enabled()
    expect(part(page, ".cp-action")).to_have_count(0)
    send(page, "call again")
    expect(assistant_messages(page).last).to_have_text("The page answered: You sent: again")
