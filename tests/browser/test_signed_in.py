"""Issue 5 in Chromium: the site's own login, the widget embedded by the Jinja helper
``{{ copilot_widget() }}`` with a token for the logged-in user, and the plain "not
signed in" state when nobody is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from flask_copilot.testing import LiveServer
from tests.browser.signed_in_app import GREETING, create_app
from tests.browser.widget import assistant_messages, composer, open_panel, part, send


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("signed-in") / "copilot.sqlite3"
    with LiveServer(create_app(f"sqlite:///{database}")) as server:
        yield server.url


def test_the_logged_in_user_chats_as_themselves(page: Page, site: str) -> None:
    page.goto(f"{site}/login/ann")  # the site's own login, then its page with the widget
    expect(page.locator("h1")).to_have_text("Hello, ann")
    mount = page.locator("script:not([src])").last.text_content() or ""
    assert '"accessToken": "' in mount  # minted by the helper for ann
    open_panel(page)
    expect(assistant_messages(page).first).to_have_text(GREETING)
    send(page, "who am I?")
    expect(assistant_messages(page).last).to_have_text("Noted for ann: who am I?")
    expect(part(page, ".cp-msg[data-type=user_message] .cp-author")).to_have_text("You")
    expect(part(page, ".cp-signin")).to_have_count(0)


def test_logged_out_the_same_page_says_not_signed_in(page: Page, site: str) -> None:
    page.goto(f"{site}/login/bob")
    page.goto(f"{site}/logout")  # back on the same page, logged out
    expect(page.locator("h1")).to_have_text("Logged out")
    refusals: list[str] = []
    page.on("websocket", lambda ws: refusals.append(ws.url))
    open_panel(page)
    signin = part(page, ".cp-signin")
    expect(signin).to_contain_text("You're not signed in.")
    expect(signin).to_have_attribute("role", "status")
    expect(composer(page)).to_have_count(0)
    expect(part(page, ".cp-banner")).to_have_count(0)  # no error, no Retry button
    expect(part(page, '[aria-label="New chat"]')).to_have_count(0)
    page.wait_for_timeout(1000)  # longer than socket.io's reconnection delays
    assert len(refusals) == 1, f"it tried again: {refusals}"
    expect(signin).to_be_visible()


@pytest.fixture(scope="module")
def optional_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Optional sign-in, and no COPILOT_AUTH_SECRET: only Flask's SECRET_KEY."""
    database = tmp_path_factory.mktemp("optional") / "copilot.sqlite3"
    app = create_app(f"sqlite:///{database}", auth="optional", shared_secret=False)
    with LiveServer(app) as server:
        yield server.url


def test_optional_sign_in_anonymous_visitors_chat_signed_in_users_are_known(
    page: Page, optional_site: str
) -> None:
    page.goto(f"{optional_site}/")
    expect(page.locator("h1")).to_have_text("Logged out")
    open_panel(page)
    expect(assistant_messages(page).first).to_have_text(GREETING)
    send(page, "hello")
    expect(assistant_messages(page).last).to_have_text("Noted for nobody: hello")
    expect(part(page, ".cp-signin")).to_have_count(0)
    expect(part(page, '.cp-header [aria-label="Conversations"]')).to_have_count(0)

    page.goto(f"{optional_site}/login/cleo")  # the identity loader, keyed by SECRET_KEY
    expect(page.locator("h1")).to_have_text("Hello, cleo")
    open_panel(page)
    send(page, "and now?")
    expect(assistant_messages(page).last).to_have_text("Noted for cleo: and now?")
    expect(part(page, '.cp-header [aria-label="Conversations"]')).to_be_visible()
