"""The seed's page and a host page with the widget, in real Chromium (SPEC §5.1, §5.3)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.widget import (
    assistant_messages,
    composer,
    launcher,
    open_panel,
    panel,
    part,
    send,
    shadow_eval,
)

#: Records every text the streamed reply showed, to prove it grew in steps.
WATCH_REPLY = """
(root) => {
  window.__snapshots = [];
  new MutationObserver(() => {
    const bubble = root.querySelector(".cp-msg[data-type=assistant_message] .cp-bubble");
    if (bubble) window.__snapshots.push(bubble.textContent);
  }).observe(root, { subtree: true, childList: true, characterData: true });
}
"""


def test_seed_page_mounts_opens_and_streams(page: Page, host_site: Any) -> None:
    script_responses = []
    page.on(
        "response",
        lambda r: script_responses.append(r) if r.url.endswith("/copilot/index.js") else None,
    )
    page.goto(f"{host_site.url}/seed.html")  # the seed's HTML; only the URL differs

    expect(launcher(page)).to_be_visible()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")
    box = launcher(page).bounding_box()
    assert box is not None and box["x"] > 1000 and box["y"] > 600  # bottom right
    expect(panel(page)).to_be_hidden()
    # The widget script came gzip-compressed.
    assert script_responses[0].header_value("content-encoding") == "gzip"

    open_panel(page)
    expect(launcher(page)).to_have_attribute("aria-expanded", "true")
    expect(composer(page)).to_be_focused()
    shadow_eval(page, WATCH_REPLY)
    send(page, "hello")

    expect(part(page, ".cp-msg[data-type=user_message] .cp-bubble")).to_have_text("hello")
    reply = assistant_messages(page).last
    expect(reply).to_have_text("Streaming a reply, word by word.")
    expect(reply.locator("strong")).to_have_text("word")
    expect(part(page, ".cp-msg[data-streaming]")).to_have_count(0)
    snapshots = [s.strip() for s in page.evaluate("window.__snapshots")]
    partial = {s for s in snapshots if s and s != "Streaming a reply, word by word."}
    assert len(partial) >= 3, f"the reply did not arrive in steps: {snapshots}"


def test_seed_page_answers_a_function_call_through_chainlit_call_fn(
    page: Page, host_site: Any
) -> None:
    page.goto(f"{host_site.url}/seed.html")
    open_panel(page)
    send(page, "call ping")
    expect(assistant_messages(page).last).to_have_text("The page answered: You sent: ping")


def test_copilot_call_fn_listener_answers_with_a_promise_or_an_error(
    page: Page, host_site: Any
) -> None:
    page.goto(f"{host_site.url}/host.html")
    open_panel(page)
    send(page, "lookup lamp")
    expect(assistant_messages(page).last).to_have_text("lamp: 12 in stock")
    send(page, "explode")
    expect(assistant_messages(page).last).to_contain_text("the page says no")


def test_system_message_before_the_panel_opened_reaches_the_server_unseen(
    page: Page, host_site: Any, recorder: Any
) -> None:
    page.goto(f"{host_site.url}/seed.html")
    expect(launcher(page)).to_be_visible()
    page.evaluate(
        """window.sendChainlitMessage({type: "system_message", output: "user selected A1:B2"})"""
    )
    assert recorder.wait_for_system("user selected A1:B2"), "on_message never saw it"
    expect(panel(page)).to_be_hidden()  # sending context does not open the panel

    open_panel(page)
    send(page, "context")
    expect(assistant_messages(page).last).to_have_text("Context: user selected A1:B2")
    # The context is for the server only: the chat shows just the exchange above.
    expect(part(page, ".cp-msg")).to_have_count(2)
    expect(part(page, ".cp-msg[data-type=system_message]")).to_have_count(0)


def test_toggle_opens_and_closes_programmatically(page: Page, host_site: Any) -> None:
    page.goto(f"{host_site.url}/seed.html")
    expect(launcher(page)).to_be_visible()
    page.evaluate("window.toggleChainlitCopilot()")
    expect(panel(page)).to_be_visible()
    expect(launcher(page)).to_have_attribute("aria-expanded", "true")
    page.evaluate("window.toggleCopilot()")
    expect(panel(page)).to_be_hidden()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")


def test_escape_closes_and_focus_returns_to_the_launcher(page: Page, host_site: Any) -> None:
    page.goto(f"{host_site.url}/seed.html")
    launcher(page).focus()
    page.keyboard.press("Enter")  # keyboard only
    expect(panel(page)).to_be_visible()
    expect(composer(page)).to_be_focused()
    expect(panel(page)).to_have_attribute("role", "dialog")
    page.keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    expect(launcher(page)).to_be_focused()


def test_phone_viewport_gets_a_full_screen_panel(make_page: Any, host_site: Any) -> None:
    page = make_page(
        viewport={"width": 375, "height": 667},
        is_mobile=True,
        has_touch=True,
        reduced_motion="reduce",  # no slide-in animation: the box is final at once
    )
    page.goto(f"{host_site.url}/host.html")  # has <meta name="viewport" content="width=…">
    launcher(page).tap()
    expect(panel(page)).to_be_visible()
    box = panel(page).bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 667}
    # The close button stays reachable (the launcher is covered by the panel).
    part(page, '.cp-header [aria-label="Close"]').tap()
    expect(panel(page)).to_be_hidden()
    expect(launcher(page)).to_be_visible()


def test_host_css_does_not_reach_into_the_widget_nor_widget_css_out(
    page: Page, host_site: Any
) -> None:
    page.goto(f"{host_site.url}/host.html")
    open_panel(page)
    send(page, "hello")
    expect(assistant_messages(page).last).to_have_text("Streaming a reply, word by word.")
    # The page's `* { color: red !important; font-family: serif !important; … }` applies
    # to the page itself…
    assert page.eval_on_selector("h1", "e => getComputedStyle(e).color") == "rgb(255, 0, 0)"
    styles = shadow_eval(
        page,
        """(root) => Object.fromEntries(
          [".cp-title", ".cp-composer textarea", ".cp-msg[data-type=assistant_message] p",
           ".cp-send", ".cp-launcher"].map((sel) => {
            const s = getComputedStyle(root.querySelector(sel));
            return [sel, {color: s.color, font: s.fontFamily, size: s.fontSize,
              spacing: s.letterSpacing, background: s.backgroundColor,
              border: s.borderTopStyle, padding: s.paddingTop, margin: s.marginTop}];
          }))""",
    )
    for selector, style in styles.items():
        assert style["color"] != "rgb(255, 0, 0)", selector
        assert "serif" not in style["font"].replace("sans-serif", ""), selector
        assert style["size"] != "30px" and style["spacing"] != "5px", selector
        assert style["background"] != "rgb(0, 255, 0)", selector
        assert style["border"] != "dotted" and style["padding"] != "40px", selector
    assert styles[".cp-title"]["size"] == "15px"
    assert styles[".cp-msg[data-type=assistant_message] p"]["size"] == "14px"
    # …and the host element itself is not decorated by the page's `div {…}` rules.
    host = page.eval_on_selector(
        "#copilot-widget",
        """e => { const s = getComputedStyle(e);
                  return [s.borderTopStyle, s.paddingTop, s.backgroundColor]; }""",
    )
    assert host == ["none", "0px", "rgba(0, 0, 0, 0)"]
    # The widget's classes do not style the page's elements of the same name.
    lookalike = page.eval_on_selector(
        "#lookalike", "e => [getComputedStyle(e).position, getComputedStyle(e).zIndex]"
    )
    assert lookalike == ["static", "auto"]


def test_markdown_reply_with_injection_attempts_runs_nothing(page: Page, host_site: Any) -> None:
    page.goto(f"{host_site.url}/host.html")
    open_panel(page)
    send(page, "xss")
    reply = assistant_messages(page).last
    expect(reply).to_contain_text("raw link")
    # Click every link, hover everything: nothing may run.
    for link in reply.locator("a").all():
        link.click(no_wait_after=True)
    for element in reply.locator("*").all():
        element.hover()
    page.wait_for_timeout(200)  # bounded grace for any onerror/onload to fire
    assert page.evaluate("window.__pwned") is None
    found = shadow_eval(
        page,
        """(root) => {
          const all = [...root.querySelectorAll(".cp-bubble *")];
          return {
            tags: [...new Set(all.map((e) => e.tagName.toLowerCase()))]
              .filter((t) => ["script", "iframe", "object", "embed", "svg", "b", "link",
                              "style", "base", "meta", "form"].includes(t)),
            handlers: [...root.querySelectorAll("*")]
              .flatMap((e) => [...e.attributes].map((a) => a.name))
              .filter((n) => n.startsWith("on")),
            badUrls: all.flatMap((e) => ["href", "src", "xlink:href", "action", "formaction"]
              .map((n) => e.getAttribute(n) || ""))
              .filter((v) => /^\\s*(javascript|data|vbscript):/i.test(v)),
            images: all.filter((e) => e.tagName === "IMG").map((e) => new URL(e.src).protocol),
          };
        }""",
    )
    # An image survives only with an http(s) URL (here a harmless relative one).
    assert set(found.pop("images")) <= {"http:", "https:"}
    assert found == {"tags": [], "handlers": [], "badUrls": []}
    # The raw HTML shows as text instead.
    expect(reply).to_contain_text('<img src=x onerror="window.')
    expect(reply).to_contain_text("<script>window.")
    # No other window opened (a link target), and the page itself gained no image.
    assert len(page.context.pages) == 1
    light_dom = "[document.images.length, document.scripts.length]"
    assert page.evaluate(light_dom) == [0, 2]  # host.html's own two scripts
