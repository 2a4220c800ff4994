"""Issue 13 in Chromium: elements and uploads, on a host page of another origin, against
gunicorn gevent and eventlet servers (tests/apps/files_app.py, tokens required).

The user attaches files the way people do (the attach button, a drop, a paste); the
handler gets them byte for byte; what it answers is shown by the browser itself
(images decoded, media with a duration, the PDF viewer, a download); the limits are
said before and the refusals after, with nothing kept; another user gets nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from flask_copilot import User, create_jwt
from tests import media
from tests.browser.conftest import HostSite
from tests.browser.widget import part, send, shadow_eval
from tests.servers import free_port, gunicorn_server, wait_until_serving

APP = "tests.apps.files_app:create_app()"
SECRET = "browser-files-secret-0123456789abcdef"


def token_of(name: str) -> str:
    return create_jwt(User(name), 600, secret=SECRET)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Served:
    def __init__(self, url: str, instance: Path, site: HostSite) -> None:
        self.url, self.instance, self.site = url, instance, site

    def stored(self) -> list[Path]:
        root = self.instance / "copilot-files"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(scope="module", params=["gevent", "eventlet"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    instance = tmp_path_factory.mktemp(f"browser-files-{request.param}")
    with gunicorn_server(
        APP, request.param, FILES_INSTANCE=str(instance), COPILOT_AUTH_SECRET=SECRET
    ) as (url, _):
        wait_until_serving(url)  # gunicorn listens before its worker has loaded the app
        site = HostSite(url)
        try:
            yield Served(url, instance, site)
        finally:
            site.close()


def open_as(make_page: Any, served: Served, user: str = "alice") -> Page:
    page: Page = make_page()
    page.goto(f"{served.site.url}/files.html?token={token_of(user)}")
    expect(part(page, ".cp-msg .cp-bubble").first).to_have_text("Ready.")
    return page


def attach_input(page: Page) -> Locator:
    return part(page, ".cp-attach input")


def reply(page: Page, index: int = -1) -> Locator:
    return part(page, ".cp-msg[data-type=assistant_message]").nth(index)


def wait_uploaded(page: Page, count: int) -> None:
    expect(part(page, ".cp-upload[data-status=done]")).to_have_count(count)


def test_attached_files_reach_the_handler_and_come_back(make_page: Any, served: Served) -> None:
    page = open_as(make_page, served)
    png, pdf = media.png(40, 30), media.pdf()
    # The limits are said before anything is uploaded.
    expect(part(page, ".cp-attach")).to_have_attribute(
        "title",
        "Attach files (images, PDF, text, audio, up to 2 MB each, 3 files at most)",
    )
    attach_input(page).set_input_files(
        [
            {"name": "photo.png", "mimeType": "image/png", "buffer": png},
            {"name": "doc.pdf", "mimeType": "application/pdf", "buffer": pdf},
        ]
    )
    wait_uploaded(page, 2)
    send(page, "two files")
    bubble = reply(page).locator(".cp-bubble")
    expect(bubble).to_contain_text(f"photo.png image/png {len(png)} {sha(png)}")
    expect(bubble).to_contain_text(f"doc.pdf application/pdf {len(pdf)} {sha(pdf)}")
    expect(part(page, ".cp-upload")).to_have_count(0)  # the chips went with the message
    image = reply(page).locator("img")
    expect(image).to_have_attribute("alt", "photo.png")
    page.wait_for_function(
        "() => [...document.getElementById('copilot-widget').shadowRoot"
        ".querySelectorAll('.cp-msg[data-type=assistant_message] img')]"
        ".some(i => i.naturalWidth === 40)"
    )
    # The user's own message shows them too.
    expect(part(page, ".cp-msg[data-type=user_message] .cp-file-name").last).to_have_text("doc.pdf")


def test_every_element_kind_shows_in_the_browser(make_page: Any, served: Served) -> None:
    page = open_as(make_page, served)
    pdf_loaded: list[Any] = []
    page.on(
        "response",
        lambda r: (
            pdf_loaded.append(r)
            if "/copilot/files/" in r.url and r.url.endswith("report.pdf")
            else None
        ),
    )
    send(page, "show all")
    answer = reply(page)
    expect(answer.locator(".cp-bubble")).to_have_text("Here is everything.")
    # Image: decoded.
    page.wait_for_function(
        "() => { const i = document.getElementById('copilot-widget').shadowRoot"
        ".querySelector('img[alt=\"red.png\"]'); return i && i.complete && i.naturalWidth === 40; }"
    )
    # Audio and video: the browser's own players load their metadata.
    durations = page.wait_for_function(
        "() => { const m = [...document.getElementById('copilot-widget').shadowRoot"
        ".querySelectorAll('audio, video')]; return m.length === 2 && m.every(x => x.duration > 0)"
        " && m.map(x => x.duration); }"
    ).json_value()
    assert durations[0] == pytest.approx(0.5, abs=0.05)
    assert durations[1] == pytest.approx(1.0, abs=0.1)
    # PDF: the browser's viewer, in a frame of the signed URL.
    expect(answer.locator(".cp-pdf iframe")).to_have_attribute("title", "report.pdf")
    frame = answer.locator(".cp-pdf iframe")
    frame.scroll_into_view_if_needed()  # loading="lazy": it loads when in view
    expect(frame).to_be_visible()
    for _ in range(100):  # until the frame's response arrived, 5 s at most
        if pdf_loaded:
            break
        page.wait_for_timeout(50)
    assert pdf_loaded, "the PDF frame never loaded its URL"
    assert pdf_loaded[0].status == 200
    assert pdf_loaded[0].headers["content-type"] == "application/pdf"
    # File: a chip with name and size; its download gives the bytes.
    chip = answer.locator("a.cp-file", has_text="table.csv")
    expect(chip).to_contain_text("8 B")
    with page.expect_download() as download:
        chip.click()
    assert Path(download.value.path()).read_bytes() == b"a,b\n1,2\n"
    # Side element: opens in the side view of the panel.
    answer.get_by_role("button", name="notes").click()
    side = part(page, ".cp-side")
    expect(side).to_be_visible()
    expect(side.locator("h1")).to_have_text("Notes")
    page.keyboard.press("Escape")
    expect(side).to_have_count(0)
    # Click an image to enlarge it; Escape closes it.
    answer.get_by_role("button", name="Enlarge red.png").click()
    expect(part(page, ".cp-zoom img")).to_be_visible()
    page.keyboard.press("Escape")
    expect(part(page, ".cp-zoom")).to_have_count(0)


def test_a_page_element_opens_over_the_whole_panel(make_page: Any, served: Served) -> None:
    page = open_as(make_page, served)
    send(page, "show page")
    reply(page).get_by_role("button", name="code").click()
    view = part(page, ".cp-page")
    expect(view).to_be_visible()
    expect(view.locator("code")).to_contain_text("print('hi')")
    box = view.bounding_box()
    panel = part(page, ".cp-panel").bounding_box()
    assert box and panel and box["width"] == pytest.approx(panel["width"], abs=2)
    view.get_by_role("button", name="Close").click()
    expect(view).to_have_count(0)


def test_a_file_ask_is_answered_by_an_upload(make_page: Any, served: Served) -> None:
    page = open_as(make_page, served)
    send(page, "ask file")
    expect(reply(page).locator(".cp-bubble")).to_have_text("Send me a PDF.")
    textarea = part(page, ".cp-composer textarea")
    expect(textarea).to_be_disabled()
    expect(textarea).to_have_attribute("placeholder", "Attach the file asked for: Send me a PDF.")
    expect(part(page, ".cp-ask-files")).to_have_text("PDF, up to 1 MB each, 1 file at most")
    expect(attach_input(page)).to_have_attribute("accept", "application/pdf")
    # Only what was asked for: a picture is refused before upload.
    attach_input(page).set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": media.png()}
    )
    expect(part(page, ".cp-upload[data-status=refused] .cp-upload-error")).to_have_text(
        "photo.png: this kind of file is not accepted here."
    )
    part(page, ".cp-upload-remove").click()
    pdf = media.pdf("asked")
    attach_input(page).set_input_files(
        {"name": "answer.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    wait_uploaded(page, 1)
    part(page, ".cp-send").click()
    expect(reply(page).locator(".cp-bubble")).to_have_text(
        f"got: answer.pdf application/pdf {len(pdf)} {sha(pdf)}"
    )
    expect(textarea).to_be_enabled()


def test_refusals_are_shown_per_file_and_nothing_is_kept(make_page: Any, served: Served) -> None:
    page = open_as(make_page, served)
    before = served.stored()
    big = media.png() + b"\0" * (2 * 1024 * 1024)
    attach_input(page).set_input_files(
        [
            {"name": "big.png", "mimeType": "image/png", "buffer": big},
            {
                "name": "tool.exe",
                "mimeType": "application/x-msdownload",
                "buffer": b"MZ" + b"\0" * 64,
            },
            # Passes the browser's check (its type says PNG); the server sniffs a program.
            {"name": "fake.png", "mimeType": "image/png", "buffer": b"MZ\x90\x00" + b"\0" * 64},
            {"name": "a.png", "mimeType": "image/png", "buffer": media.png()},
            {"name": "b.png", "mimeType": "image/png", "buffer": media.png()},
            {"name": "c.png", "mimeType": "image/png", "buffer": media.png()},
        ]
    )
    errors = part(page, ".cp-upload[data-status=refused] .cp-upload-error")
    expect(errors).to_have_text(
        [
            "big.png is larger than 2 MB.",
            "tool.exe: this kind of file is not accepted here.",
            "fake.png: this kind of file (application/x-msdownload) is not accepted here "
            "(accepted: image/*, application/pdf, text/*, audio/*).",
            "c.png: at most 3 files.",
        ]
    )
    wait_uploaded(page, 2)
    stored_now = served.stored()
    assert len(stored_now) == len(before) + 2  # a.png and b.png; nothing of the refused
    # Cancel takes one off; the message carries the rest.
    part(page, ".cp-upload-remove[aria-label='Remove b.png']").click()
    send(page, "one left")
    expect(reply(page).locator(".cp-bubble")).to_contain_text("a.png image/png")
    expect(reply(page).locator(".cp-bubble")).not_to_contain_text("b.png")


def test_drop_and_paste_attach_files(make_page: Any, served: Served) -> None:
    page = open_as(make_page, served)
    png = media.png(6, 6)
    make_files = (
        "([bytes, name]) => { const dt = new DataTransfer();"
        " dt.items.add(new File([new Uint8Array(bytes)], name, {type: 'image/png'})); return dt; }"
    )
    drop = page.evaluate_handle(make_files, [list(png), "dropped.png"])
    panel = part(page, ".cp-panel")
    panel.dispatch_event("dragover", {"dataTransfer": drop})
    expect(part(page, ".cp-drop")).to_contain_text("Drop files to attach")
    panel.dispatch_event("drop", {"dataTransfer": drop})
    expect(part(page, ".cp-drop")).to_have_count(0)
    pasted = page.evaluate_handle(make_files, [list(png), "pasted.png"])
    shadow_eval(
        page,
        "(root, dt) => root.querySelector('.cp-composer textarea').dispatchEvent("
        "new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}))",
        pasted,
    )
    wait_uploaded(page, 2)
    expect(part(page, ".cp-upload-name")).to_have_text(["dropped.png", "pasted.png"])
    send(page, "")  # files alone make a message
    expect(reply(page).locator(".cp-bubble")).to_contain_text("pasted.png image/png")


def test_another_user_cannot_fetch_the_file(make_page: Any, served: Served) -> None:
    alice = open_as(make_page, served, "alice")
    attach_input(alice).set_input_files(
        {"name": "mine.png", "mimeType": "image/png", "buffer": media.png()}
    )
    wait_uploaded(alice, 1)
    send(alice, "private")
    src = reply(alice).locator("img").get_attribute("src")
    assert src
    bob = open_as(make_page, served, "bob")
    fetch = (
        "([url, token]) => fetch(url, {headers: {Authorization: 'Bearer ' + token}})"
        ".then(r => r.status)"
    )
    assert bob.evaluate(fetch, [src, token_of("bob")]) == 404
    assert alice.evaluate(fetch, [src, token_of("alice")]) == 200
    forged = src.replace("/copilot/files/", "/copilot/files/x")
    assert bob.evaluate("(url) => fetch(url).then(r => r.status)", forged) == 404


def test_an_uploaded_svg_runs_nothing_when_opened(make_page: Any, served: Served) -> None:
    page = open_as(make_page, served)
    svg = media.svg_with_script("/beacon")
    attach_input(page).set_input_files(
        {"name": "drawing.svg", "mimeType": "image/svg+xml", "buffer": svg}
    )
    wait_uploaded(page, 1)
    send(page, "look")
    src = reply(page).locator("img").get_attribute("src")
    assert src
    viewer: Page = make_page()
    requests: list[str] = []
    viewer.on("request", lambda r: requests.append(r.url))
    response = viewer.goto(src)
    assert response is not None and response.status == 200
    assert "sandbox" in response.headers["content-security-policy"]
    viewer.wait_for_load_state("load")
    assert viewer.title() != "pwned"
    assert viewer.evaluate("() => document.title") != "pwned"
    assert not [url for url in requests if url.endswith("/beacon")]


@pytest.mark.parametrize("worker", ["gevent", "eventlet"])
def test_elements_come_back_after_a_server_restart(
    make_page: Any, tmp_path: Path, worker: str
) -> None:
    """Same ports before and after (the widget keeps the thread id in the host page's
    localStorage, per copilot server); same instance folder (SQLite file, files)."""
    port, site_port = free_port(), free_port()
    env = {"FILES_INSTANCE": str(tmp_path), "COPILOT_AUTH_SECRET": SECRET}
    page: Page = make_page()
    with gunicorn_server(APP, worker, port=port, **env) as (url, _):
        wait_until_serving(url)
        site = HostSite(url, port=site_port)
        try:
            page.goto(f"{site.url}/files.html?token={token_of('alice')}")
            attach_input(page).set_input_files(
                {"name": "kept.png", "mimeType": "image/png", "buffer": media.png(12, 9)}
            )
            wait_uploaded(page, 1)
            send(page, "keep this")
            expect(reply(page).locator("img")).to_have_attribute("alt", "kept.png")
            send(page, "show page")
            expect(reply(page).locator(".cp-el-open")).to_have_text("code")
            page.goto("about:blank")  # the page is closed while the server is down
        finally:
            site.close()
    with gunicorn_server(APP, worker, port=port, **env) as (url, _):
        wait_until_serving(url)
        site = HostSite(url, port=site_port)
        try:
            page.goto(f"{site.url}/files.html?token={token_of('alice')}")
            user = part(page, ".cp-msg[data-type=user_message]")
            expect(user.locator(".cp-file-name, img")).to_have_count(1)
            image = part(page, ".cp-msg[data-type=assistant_message] img[alt='kept.png']")
            expect(image).to_have_count(1)
            page.wait_for_function(
                "() => { const i = document.getElementById('copilot-widget').shadowRoot"
                ".querySelector('.cp-msg[data-type=assistant_message] img[alt=\"kept.png\"]');"
                " return i && i.complete && i.naturalWidth === 12; }"
            )
            part(page, ".cp-el-open").get_by_text("code").click()
            expect(part(page, ".cp-page code")).to_contain_text("print('hi')")
        finally:
            site.close()
