"""Driving the widget the way a user does. Playwright's CSS locators pierce open shadow
roots, so ``#copilot-widget .cp-panel`` reaches inside the widget."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

ROOT = "#copilot-widget"


def part(page: Page, selector: str) -> Locator:
    return page.locator(f"{ROOT} {selector}")


def launcher(page: Page) -> Locator:
    return part(page, ".cp-launcher")


def panel(page: Page) -> Locator:
    return part(page, ".cp-panel")


def composer(page: Page) -> Locator:
    return part(page, ".cp-composer textarea")


def open_panel(page: Page) -> None:
    launcher(page).click()
    expect(panel(page)).to_be_visible()


def send(page: Page, text: str) -> None:
    composer(page).fill(text)
    composer(page).press("Enter")


def assistant_messages(page: Page) -> Locator:
    return part(page, ".cp-msg[data-type=assistant_message] .cp-bubble")


def shadow_eval(page: Page, script: str, arg: Any = None) -> Any:
    """Evaluate ``script`` (a function of the widget's shadow root and ``arg``)."""
    return page.evaluate(
        f"([arg]) => ({script})(document.getElementById('copilot-widget').shadowRoot, arg)",
        [arg],
    )
