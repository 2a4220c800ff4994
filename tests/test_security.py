"""Attacks that must be refused, each with a clear error, logged, and no traceback for
the client: bad tokens, foreign origins, session takeover, and the cookie flags."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import requests
import socketio
from flask import Flask

from flask_copilot import ConfigError, User, create_jwt
from flask_copilot.server.state import get_state
from flask_copilot.testing import ConnectionRefused, CopilotTestClient, LiveServer
from tests.apps.secure_app import ALLOWED_ORIGIN, SECRET, create_app

EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def secure_app() -> Flask:
    return create_app()


@pytest.fixture(scope="module")
def server(secure_app: Flask) -> Iterator[str]:
    with LiveServer(secure_app) as live:
        yield live.url


@pytest.fixture(autouse=True)
def fresh_refusal_counts(request: pytest.FixtureRequest) -> None:
    """Refusals are logged at most 5 per reason a minute: each test starts afresh."""
    if "secure_app" in request.fixturenames:
        get_state(request.getfixturevalue("secure_app")).refusals.reset()


def token_for(identifier: str = "alice", **kwargs: Any) -> str:
    return create_jwt(User(identifier, metadata={"team": "a"}), secret=SECRET, **kwargs)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: bytes | None = None) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest() if key else b""
    return f"{signing_input}.{b64(signature)}"


def claims(identifier: str = "mallory") -> dict[str, Any]:
    return {"identifier": identifier, "metadata": {}, "exp": int(time.time()) + 3600}


def refused_reason(server: str, auth: dict[str, Any] | None = None, **client_kwargs: Any) -> str:
    client = CopilotTestClient(server, **client_kwargs)
    try:
        with pytest.raises(ConnectionRefused) as refused:
            client.connect(auth=auth)
    finally:
        client.disconnect()
    return refused.value.reason


# --- tokens ------------------------------------------------------------------------------


def test_a_seed_style_token_is_accepted(server: str) -> None:
    # Exactly the seed's jwt.py: plain PyJWT, identifier + metadata + exp.
    seed_token = jwt.encode(
        {
            "identifier": "user-1",
            "metadata": {"name": "John Doe"},
            "exp": datetime.now(UTC) + timedelta(minutes=60 * 24 * 15),
        },
        SECRET,
        algorithm="HS256",
    )
    with CopilotTestClient(server, access_token=seed_token) as client:
        assert client.chat("who?").text == 'user-1 {"name": "John Doe"}'
        assert client.session_info is not None
        assert client.session_info["user"]["identifier"] == "user-1"


def test_our_own_token_is_accepted(server: str) -> None:
    with CopilotTestClient(server, access_token=token_for("alice")) as client:
        assert client.chat("who?").text == 'alice {"team": "a"}'


BAD_TOKENS = {
    "expired": lambda: token_for(expires_in=-10),
    "wrong secret": lambda: create_jwt(User("alice"), secret="another-secret-" + "y" * 30),
    "tampered payload": lambda: ".".join(
        [
            token_for().split(".")[0],
            b64(json.dumps(claims("admin")).encode()),
            token_for().split(".")[2],
        ]
    ),
    "alg none": lambda: forge({"alg": "none", "typ": "JWT"}, claims()),
    "HS512": lambda: jwt.encode(claims(), SECRET, algorithm="HS512"),
    "RS256 header, HMAC body": lambda: forge(
        {"alg": "RS256", "typ": "JWT"}, claims(), SECRET.encode()
    ),
    "no exp": lambda: jwt.encode({"identifier": "alice"}, SECRET, algorithm="HS256"),
    "no identifier": lambda: jwt.encode({"exp": int(time.time()) + 60}, SECRET, algorithm="HS256"),
    "garbage": lambda: "not.a.jwt",
    # PyJWT alone takes a numeric string as exp, and any lifetime.
    "exp as a numeric string": lambda: jwt.encode(
        {"identifier": "alice", "exp": str(int(time.time()) + 3600)}, SECRET, algorithm="HS256"
    ),
    "exp 10^30": lambda: jwt.encode(
        {"identifier": "alice", "exp": 10**30}, SECRET, algorithm="HS256"
    ),
    "exp 31 days away": lambda: token_for(expires_in=timedelta(days=31)),
    "issued 40 days before it expires": lambda: jwt.encode(
        {"identifier": "alice", "iat": int(time.time()) - 40 * 86400, "exp": int(time.time()) + 60},
        SECRET,
        algorithm="HS256",
    ),
    "iat as a string": lambda: jwt.encode(
        {"identifier": "alice", "iat": "yesterday", "exp": int(time.time()) + 60},
        SECRET,
        algorithm="HS256",
    ),
}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the HS512 forgery
@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_tokens_are_refused_and_logged(
    server: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_copilot")
    bad = BAD_TOKENS[kind]()
    reason = refused_reason(server, access_token=bad, headers={"Origin": ALLOWED_ORIGIN})
    assert reason == "not_authenticated: the access token is invalid or expired"
    assert "Traceback" not in reason
    (logged,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    line = logged.getMessage()
    assert "invalid token" in line and f"origin {ALLOWED_ORIGIN}" in line
    assert bad not in line and not logged.exc_info


@pytest.mark.parametrize(
    "kind,why",
    [
        ("exp as a numeric string", "'exp' must be a number of seconds, not str"),
        ("exp 10^30", "the limit is 2592000 s (COPILOT_MAX_TOKEN_TTL)"),
        ("issued 40 days before it expires", "(exp - iat); the limit is 2592000 s"),
    ],
)
def test_a_lenient_exp_is_refused_with_a_reason_in_the_log_never_the_token(
    server: str, kind: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_copilot")
    token = BAD_TOKENS[kind]()
    refused_reason(server, access_token=token)
    bearer = requests.get(
        f"{server}/api/hello", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert bearer.status_code == 401 and bearer.json()["error"] == "invalid_token"
    lines = [r.getMessage() for r in caplog.records if "invalid token" in r.getMessage()]
    assert len(lines) == 2 and all(why in line for line in lines), lines
    assert not any(token in r.getMessage() for r in caplog.records)


def test_a_token_within_the_maximum_lifetime_is_accepted(server: str) -> None:
    with CopilotTestClient(
        server, access_token=token_for("ivy", expires_in=timedelta(days=29))
    ) as client:
        assert client.chat("who?").text == 'ivy {"team": "a"}'


def test_a_token_ttl_longer_than_the_maximum_fails_at_init_app() -> None:
    with pytest.raises(ConfigError, match="COPILOT_TOKEN_TTL: longer than COPILOT_MAX_TOKEN_TTL"):
        create_app(COPILOT_TOKEN_TTL=3600, COPILOT_MAX_TOKEN_TTL=60)


def test_no_token_is_refused_and_logged(server: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="flask_copilot")
    assert refused_reason(server) == "not_authenticated: sign in to use the copilot"
    (logged,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    # websocket-client sends the server's own origin, as a same-origin page would.
    assert logged.getMessage().startswith(
        f"refused a connection from origin {server}: not_authenticated: no access token"
    )


def test_refusals_are_logged_at_most_five_a_minute_per_reason(
    server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_copilot")
    for _ in range(12):
        refused_reason(server, access_token="not.a.jwt")
    refused_reason(server)  # another reason has its own budget
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert sum("invalid token" in line for line in lines) == 5
    assert sum("no access token" in line for line in lines) == 1
    assert all("not.a.jwt" not in line for line in lines)


def test_refusal_log_counts_what_it_held_back() -> None:
    from flask_copilot.server.refusals import RefusalLog

    now = [0.0]
    log = RefusalLog(window=60, burst=2, clock=lambda: now[0])
    with pytest.MonkeyPatch.context():
        records: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
        logging.getLogger("flask_copilot").addHandler(handler)
        try:
            for _ in range(5):
                log.refused("a connection", "invalid_token", "bad", "https://a.example")
            now[0] = 61.0
            log.refused("a connection", "invalid_token", "bad", "https://a.example")
        finally:
            logging.getLogger("flask_copilot").removeHandler(handler)
    assert len(records) == 3
    assert records[0] == "refused a connection from origin https://a.example: invalid_token: bad"
    assert records[2].endswith("(3 more like this in the last 60 s were not logged)")


def test_a_token_in_the_wrong_place_is_refused(server: str) -> None:
    token = token_for()
    wrong_field = refused_reason(server, auth={"clientType": "copilot", "token": token})
    assert wrong_field.startswith("invalid_handshake: token: Unknown field")
    as_header = refused_reason(server, headers={"Authorization": f"Bearer {token}"})
    assert as_header.startswith("not_authenticated")
    in_query = CopilotTestClient(f"{server}?accessToken={token}")
    with pytest.raises(Exception):  # noqa: B017 (refused either at HTTP or at connect)
        in_query.connect()
    in_query.disconnect()


def test_an_oversized_token_is_refused_by_name(server: str) -> None:
    reason = refused_reason(server, access_token="a" * 9000)
    assert reason == "invalid_handshake: accessToken: Longer than maximum length 8192."


def test_the_tokens_own_expiry_is_kept(server: str) -> None:
    short = token_for("alice", expires_in=1.5)
    client = CopilotTestClient(server, access_token=short)
    client.connect()
    session_id = client.session_id
    client.disconnect()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and jwt_seconds_left(short) > -0.1:
        time.sleep(0.1)  # let the token expire; nothing on the server to wait for
    again = CopilotTestClient(server, access_token=short)
    with pytest.raises(ConnectionRefused, match="invalid or expired"):
        again.connect(session_id=session_id)
    again.disconnect()


def jwt_seconds_left(token: str) -> float:
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    return float(exp) - time.time()


# --- origins -------------------------------------------------------------------------------


def test_http_refuses_a_foreign_origin_and_allows_the_listed_one(server: str) -> None:
    foreign = requests.get(f"{server}/copilot/settings", headers={"Origin": EVIL}, timeout=5)
    assert foreign.status_code == 403 and foreign.json()["error"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in foreign.headers
    allowed = requests.get(
        f"{server}/copilot/settings", headers={"Origin": ALLOWED_ORIGIN}, timeout=5
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    preflight = requests.options(
        f"{server}/copilot/settings",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=5,
    )
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()


REFUSED_ORIGINS = [
    EVIL,
    ALLOWED_ORIGIN.upper(),  # flask-cors matched origins ignoring case
    "https://SHOP.example",
    ALLOWED_ORIGIN + "/",
    ALLOWED_ORIGIN + ".evil.example",
    "null",
]


@pytest.mark.parametrize("origin", REFUSED_ORIGINS)
def test_a_refused_origin_is_never_reflected_on_any_route(server: str, origin: str) -> None:
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    answers = {
        "settings": requests.get(
            f"{server}/copilot/settings", headers={"Origin": origin}, timeout=5
        ),
        "widget": requests.get(f"{server}/copilot/index.js", headers={"Origin": origin}, timeout=5),
        "preflight": requests.options(
            f"{server}/copilot/settings", headers={"Origin": origin, **preflight}, timeout=5
        ),
        "token": requests.post(f"{server}/copilot/token", headers={"Origin": origin}, timeout=5),
        "socket.io": requests.get(
            f"{server}/ws/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}, timeout=5
        ),
    }
    for route, answer in answers.items():
        assert answer.status_code in (400, 403), (route, answer.status_code)
        reflected = {
            k: v for k, v in answer.headers.items() if k.lower().startswith("access-control")
        }
        assert reflected == {}, (route, reflected)


def test_origin_entries_are_exact_names_not_patterns() -> None:
    app = create_app(COPILOT_ALLOW_ORIGINS=["https://*.shop.example"])
    with LiveServer(app) as live:
        answer = requests.get(
            # flask-cors took an entry with "*" for a regular expression, which this matches.
            f"{live.url}/copilot/settings",
            headers={"Origin": "https://xshop.example"},
            timeout=5,
        )
    assert answer.status_code == 403
    assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_the_socket_refuses_a_foreign_origin(server: str, transport: str) -> None:
    def connect(origin: str) -> socketio.Client:
        # websocket-client sends its own Origin unless given one through its option.
        client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
        client.connect(
            server,
            namespaces=["/copilot"],
            socketio_path="ws/socket.io",
            transports=[transport],
            headers={"Origin": origin} if transport == "polling" else {},
            auth={"accessToken": token_for()},
            wait_timeout=5,
        )
        return client

    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(EVIL)
    allowed = connect(ALLOWED_ORIGIN)
    assert allowed.connected
    allowed.disconnect()


# --- isolation ------------------------------------------------------------------------------


def test_another_user_cannot_resume_or_push_into_a_session(server: str) -> None:
    alice = CopilotTestClient(server, access_token=token_for("alice"), answer_calls=False)
    alice.connect()
    bob = CopilotTestClient(server, access_token=token_for("bob"))
    try:
        info = bob.connect(session_id=alice.session_id, last_seq=0)
        assert info["restored"] is False and info["sessionId"] != alice.session_id
        assert bob.chat("mine?").text == 'bob {"team": "a"}'
        assert all(m["content"] != "mine?" for m in alice.messages.values())
        pushed = bob.call("call_fn_result", {"callId": alice.session_id, "value": 1})
        assert pushed["ok"] is False and pushed["error"]["code"] == "unknown_call"
        assert alice.chat("still mine").text == 'alice {"team": "a"}'
    finally:
        alice.disconnect()
        bob.disconnect()


def test_the_same_user_resumes_their_own_session(server: str) -> None:
    first = CopilotTestClient(server, access_token=token_for("carol"))
    first.connect()
    first.disconnect()
    again = CopilotTestClient(server, access_token=token_for("carol"))
    info = again.connect(session_id=first.session_id, last_seq=first.last_seq)
    assert info["restored"] is True and info["sessionId"] == first.session_id
    again.disconnect()


# --- host-app identity: token endpoint, Jinja helper, header auth, authenticate_user -------


def signed_in(server: str, name: str) -> requests.Session:
    browser = requests.Session()
    assert browser.get(f"{server}/login/{name}", timeout=5).text == "signed in"
    return browser


def test_token_endpoint_mints_for_the_signed_in_user_only(server: str) -> None:
    browser = signed_in(server, "dave")
    minted = browser.post(f"{server}/copilot/token", timeout=5)
    assert minted.status_code == 200 and minted.headers["Cache-Control"] == "no-store"
    claims_ = jwt.decode(minted.json()["accessToken"], SECRET, algorithms=["HS256"])
    assert claims_["identifier"] == "dave" and claims_["metadata"] == {"plan": "pro"}
    assert 8 * 3600 - 60 < claims_["exp"] - time.time() <= 8 * 3600
    cross = browser.post(f"{server}/copilot/token", headers={"Origin": EVIL}, timeout=5)
    assert cross.status_code == 403
    browser.get(f"{server}/logout", timeout=5)
    assert browser.post(f"{server}/copilot/token", timeout=5).status_code == 401


def test_jinja_helper_embeds_a_token_and_escapes_it_safely(server: str) -> None:
    page = signed_in(server, "erin").get(f"{server}/page", timeout=5).text
    assert '<script src="/copilot/index.js"></script>' in page
    mount = page.split("window.mountCopilotWidget(")[1].split(");</script>")[0]
    config = json.loads(mount)
    assert config["server"] == server
    assert jwt.decode(config["accessToken"], SECRET, algorithms=["HS256"])["identifier"] == "erin"
    assert "</script><script>window.pwned" not in page  # the display name is escaped
    anonymous = requests.get(f"{server}/page", timeout=5).text
    assert "accessToken" not in anonymous


def test_header_auth_works_for_same_origin_pages_only(server: str) -> None:
    cookie = "; ".join(f"{k}={v}" for k, v in signed_in(server, "frank").cookies.items())
    same = CopilotTestClient(server, headers={"Origin": server, "Cookie": cookie})
    with same:
        assert same.chat("who?").text == 'frank {"via": "header"}'
    cross = refused_reason(server, headers={"Origin": ALLOWED_ORIGIN, "Cookie": cookie})
    assert cross.startswith("not_authenticated")


def test_authenticate_user_guards_the_apps_own_views(server: str) -> None:
    missing = requests.get(f"{server}/api/hello", timeout=5)
    assert missing.status_code == 401 and missing.json()["error"] == "not_authenticated"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    bad = requests.get(f"{server}/api/hello", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"
    good = requests.get(
        f"{server}/api/hello", headers={"Authorization": f"Bearer {token_for('gina')}"}, timeout=5
    )
    assert good.status_code == 200 and good.json() == {"hello": "gina"}


# --- cookies and the CLI -------------------------------------------------------------------


@pytest.mark.parametrize(
    "samesite,expected",
    [("lax", "SameSite=Lax"), ("strict", "SameSite=Strict"), ("none", "SameSite=None")],
)
def test_cookie_flags_follow_the_samesite_setting(samesite: str, expected: str) -> None:
    app = create_app(COPILOT_COOKIE_SAMESITE=samesite, COPILOT_TRANSPORTS=["websocket", "polling"])
    response = app.test_client().get("/ws/socket.io/?EIO=4&transport=polling")
    cookie = response.headers["Set-Cookie"].lower()
    assert cookie.startswith("copilot_io=") and expected.lower() in cookie
    assert "httponly" in cookie
    assert ("; secure" in cookie) == (samesite == "none")


def test_no_cookie_at_all_for_websocket_only_clients() -> None:
    app = create_app()
    response = app.test_client().get("/ws/socket.io/?EIO=4&transport=polling")
    assert "Set-Cookie" not in response.headers


def test_cli_creates_secrets_and_tokens() -> None:
    app = create_app()
    runner = app.test_cli_runner()
    create = ["copilot", "create-secret"]
    # Not a terminal: the bare secret, so $(flask copilot create-secret) is the secret.
    secret = runner.invoke(args=["copilot", "create-secret"]).output
    assert re.fullmatch(r"[A-Za-z0-9_-]{64}\n", secret)
    assert re.fullmatch(r"[A-Za-z0-9_-]{64}\n", runner.invoke(args=[*create, "--raw"]).output)
    line = runner.invoke(args=[*create, "--env"]).output
    assert re.fullmatch(r'COPILOT_AUTH_SECRET="[A-Za-z0-9_-]{64}"\n', line)
    token = runner.invoke(args=["copilot", "token", "hank", "--metadata", '{"a": 1}']).output
    decoded = jwt.decode(token.strip(), SECRET, algorithms=["HS256"])
    assert decoded["identifier"] == "hank" and decoded["metadata"] == {"a": 1}


def test_the_documented_export_line_stores_the_bare_secret() -> None:
    import subprocess
    import sys

    from tests.servers import ROOT, server_env

    script = (
        f'export COPILOT_AUTH_SECRET=$("{sys.executable}" -m flask '
        "--app tests.apps.plain_app:app copilot create-secret) && "
        f'"{sys.executable}" -c "import os; print(repr(os.environ[\'COPILOT_AUTH_SECRET\']))"'
    )
    run = subprocess.run(
        ["sh", "-c", script],
        cwd=ROOT,
        env=server_env("threading"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(r"'[A-Za-z0-9_-]{64}'\n", run.stdout)
