"""Two gunicorn workers sharing Redis (COPILOT_MESSAGE_QUEUE) and an S3-compatible bucket
(moto's standalone server): a file uploaded through one worker reaches the handler on
the other, and is rendered in Chromium from either."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from flask_copilot.testing import CopilotTestClient
from tests import media
from tests.servers import (
    ensure_redis,
    gunicorn_server,
    make_bucket,
    s3_server,
    wait_until_serving,
)

APP = "tests.apps.files_app:create_app()"


def pid_of(url: str) -> int:
    with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
        return int(json.loads(response.read())["pid"])


@pytest.mark.parametrize("worker", ["gevent", "eventlet"])
def test_a_file_uploaded_through_one_worker_is_rendered_through_the_other(
    page: Page, tmp_path: Path, worker: str
) -> None:
    redis_url = ensure_redis()
    with s3_server() as endpoint:
        make_bucket(endpoint, f"copilot-cluster-{worker}")
        env = {
            "COPILOT_STORAGE": f"s3://copilot-cluster-{worker}/files",
            "FILES_S3_ENDPOINT": endpoint,
            "COPILOT_MESSAGE_QUEUE": redis_url,
            "FILES_INSTANCE": str(tmp_path),
        }
        with (
            gunicorn_server(APP, worker, **env) as (first, _),
            gunicorn_server(APP, worker, **env) as (second, _),
        ):
            wait_until_serving(first)
            wait_until_serving(second)
            with CopilotTestClient(first) as client:
                png = media.png(30, 20)
                # The session lives on the first worker; the upload goes through the second.
                uploaded = client.upload([("shared.png", png)], via=second)
                reply = client.wait_reply(client.send("look", files=uploaded))
                digest = hashlib.sha256(png).hexdigest()
                assert reply.text == f"shared.png image/png {len(png)} {digest}"
                url = reply.elements[0]["url"]
                for server in (first, second):
                    assert client.download(server + url) == png
                # Ranges come from the bucket (HTTP range requests of audio and video).
                status, headers, body = client.fetch(second + url, headers={"Range": "bytes=2-5"})
                assert (status, body, headers["Content-Range"]) == (
                    206,
                    png[2:6],
                    f"bytes 2-5/{len(png)}",
                )
                page.set_content(f'<img id="a" src="{first}{url}"><img id="b" src="{second}{url}">')
                sizes: Any = page.wait_for_function(
                    "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
                    " && [...document.images].map(i => i.naturalWidth)"
                ).json_value()
                assert sizes == [30, 30]
                # An image pushed into the chat from a view served by the other worker.
                request = urllib.request.Request(
                    f"{second}/test/push-image/{client.session_id}", method="POST"
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    pusher = json.loads(response.read())["pid"]
                pushed = client.wait_for(
                    "new_message", lambda p: p["message"]["content"] == f"pushed by {pusher}"
                )
                assert client.download(
                    first + pushed["message"]["elements"][0]["url"]
                ) == media.png(5, 5)
                assert client.protocol_violations == []
