"""Asks, action buttons, stop and function-call failures, in real Chromium against the
real server (SPEC §5.3, §5.4)."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.app import LONG_TOKENS
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


def test_a_call_the_page_never_answers_times_out_on_the_server(page: Page, host_site: Any) -> None:
    page.goto(f"{host_site.url}/host.html")  # its listener takes `never` and never answers
    open_panel(page)
    send(page, "never")
    expect(assistant_messages(page).last).to_have_text(
        "Timed out after 1 s: The page did not answer 'never' within 1 s."
    )
    assert page.evaluate("window.__neverCalled") == {}
    expect(part(page, ".cp-stop")).to_have_count(0)


def test_a_call_nobody_listens_for_fails_fast(page: Page, host_site: Any) -> None:
    page.goto(f"{host_site.url}/bare.html")  # no copilot-call-fn listener at all
    open_panel(page)
    started = time.monotonic()
    send(page, "absent")
    reply = assistant_messages(page).last
    expect(reply).to_contain_text("Failed:", timeout=2000)  # the server would wait 5 s
    assert time.monotonic() - started < 2.0
    expect(reply).to_contain_text("no listener")


def test_an_action_button_runs_its_callback(page: Page, host_site: Any) -> None:
    page.goto(f"{host_site.url}/seed.html")
    open_panel(page)
    send(page, "buttons")
    button = (
        part(page, ".cp-msg").filter(has_text="Pick a colour.").get_by_role("button", name="Green")
    )
    expect(composer(page)).to_be_enabled()  # not an ask: typing stays possible
    button.click()
    expect(assistant_messages(page).last).to_have_text("Painted it green.")
    expect(part(page, ".cp-msg .cp-failed")).to_have_count(0)


def test_stop_cuts_a_long_stream_short_and_chatting_goes_on(
    page: Page, host_site: Any, recorder: Any
) -> None:
    page.goto(f"{host_site.url}/seed.html")
    open_panel(page)
    stops = recorder.stops
    send(page, "long")
    streaming = part(page, ".cp-msg[data-streaming] .cp-bubble")
    expect(streaming).to_contain_text("t3 ")
    part(page, ".cp-stop").click()
    expect(assistant_messages(page).last).to_have_text("Stopped at your request.")
    expect(part(page, ".cp-msg[data-streaming]")).to_have_count(0)
    expect(part(page, ".cp-stop")).to_have_count(0)
    cut = assistant_messages(page).filter(has_text="t0 ").text_content() or ""
    assert f"t{LONG_TOKENS - 1}" not in cut and len(cut.split()) < LONG_TOKENS // 2, cut
    assert recorder.stops == stops + 1
    send(page, "call again")  # at once: nothing is left running or queued
    expect(assistant_messages(page).last).to_have_text("The page answered: You sent: again")
