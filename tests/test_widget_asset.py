"""The widget script is served gzip-compressed to clients that accept it."""

from __future__ import annotations

import gzip

from flask import Flask

from flask_copilot import Copilot
from flask_copilot.server.views import WIDGET_DIR


def test_gzip_is_served_when_accepted_with_its_own_etag() -> None:
    app = Flask(__name__)
    Copilot(app, url_prefix="/chainlit")
    http = app.test_client()
    plain = http.get("/chainlit/copilot/index.js")
    packed = http.get(
        "/chainlit/copilot/index.js", headers={"Accept-Encoding": "gzip, deflate, br"}
    )

    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.mimetype == "text/javascript"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers.getlist("Vary")
        assert response.headers["Cache-Control"] == "public, max-age=300"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Two representations, two validators; each revalidates on its own.
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = http.get(
        "/chainlit/copilot/index.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304


def test_gzip_refused_or_absent_gives_identity() -> None:
    app = Flask(__name__)
    Copilot(app)
    http = app.test_client()
    refused = http.get("/copilot/index.js", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    other = http.get("/copilot/THIRD_PARTY_LICENSES.txt", headers={"Accept-Encoding": "gzip"})
    assert other.status_code == 200 and "Content-Encoding" not in other.headers
    traversal = http.get("/copilot/../../setup.py", headers={"Accept-Encoding": "gzip"})
    assert traversal.status_code == 404


def test_committed_gzip_matches_the_script() -> None:
    script = (WIDGET_DIR / "index.js").read_bytes()
    assert gzip.decompress((WIDGET_DIR / "index.js.gz").read_bytes()) == script
