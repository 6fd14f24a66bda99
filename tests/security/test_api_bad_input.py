"""Bad input reaching the server's guts: forged page cursors, absurd ids, bodies without end, a
missing token answered with a non-standard status. Each test sends the attack through the real
API app (and `RemoteClient` where it fits); each is now refused cleanly with a 4xx body."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from in_process_api import remote_client
from portal_core.api.catalog import ROUTES_BY_METHOD
from portal_core.api.routing import UPLOAD_BODY_LIMIT
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.errors import SessionExpired, ValidationFailed

MB = 1024 * 1024


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


FORGED_CURSORS = [
    "not base64 at all!!",
    _b64(b"2026-01-01T00:00:00+00:00|99999999999999999999"),  # an id past 64 bits
    _b64(b"2026-13-45|1"),
    _b64(b"x|y"),
    _b64(b"\xff\xfe|1"),
    _b64(b"1|2|3"),
    _b64(b"2026-01-01|1\x00"),
    "é" * 40,
    "9" * 30,
    "A" * 5000,
]


async def _bearer(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/session", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _clean_refusal(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text


async def test_forged_cursors_are_a_400_on_every_paged_route(http: httpx.AsyncClient) -> None:
    """Attack: replay any list call with a forged `after` cursor (an id too big for the database,
    a date that does not exist, bytes that are not UTF-8): it used to reach the query and give a
    500. Every GET route in the route table that takes `after` is tried, as two roles."""
    paged = [r for r in ROUTES_BY_METHOD.values() if r.verb == "GET" and "after" in r.path_names]
    paged += [
        r
        for r in ROUTES_BY_METHOD.values()
        if r.verb == "GET" and any(a.name == "after" for a in r.signature.query)
    ]
    assert len(paged) >= 5
    for username in ("admin.lakeside", "payer.admin"):
        headers = await _bearer(http, username)
        for route in paged:
            path = route.path.format(**{a.name: "1" for a in route.signature.path})
            for cursor in FORGED_CURSORS:
                response = await http.get(path, params={"after": cursor}, headers=headers)
                _clean_refusal(response)
                if response.status_code == 400:
                    body = response.json()
                    assert body["error"] == "ValidationFailed", body


async def test_garbled_ids_and_dates_in_paths_and_queries_are_never_a_500(
    http: httpx.AsyncClient,
) -> None:
    """Attack: a quick fuzz of every GET route: letters, huge and negative numbers, impossible
    dates and NUL for each path and query parameter."""
    garbage = ["x", "-1", "99999999999999999999", "2026-13-45", "%00", "1e400", "é" * 300]
    headers = await _bearer(http, "admin.lakeside")
    for route in ROUTES_BY_METHOD.values():
        if route.verb != "GET":
            continue
        names = [a.name for a in route.signature.path] + [a.name for a in route.signature.query]
        for target in names:
            for value in garbage:
                path = route.path.format(
                    **{a.name: (value if a.name == target else "1") for a in route.signature.path}
                )
                params = {target: value} if target not in route.path_names else {}
                _clean_refusal(await http.get(path, params=params, headers=headers))


async def test_remote_client_raises_validation_failed_for_a_forged_cursor(app: FastAPI) -> None:
    """Attack: the forged cursor through `RemoteClient` (what a tampered TUI would send)."""
    client = remote_client(app=app)
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    with pytest.raises(ValidationFailed) as refused:
        await client.list_documents(after=FORGED_CURSORS[1])
    assert refused.value.field == "after"
    assert "page position" in refused.value.message


async def test_a_body_over_the_limit_is_413_before_it_is_read_whole(
    http: httpx.AsyncClient,
) -> None:
    """Attack: 5 x 24 MB in one JSON body to a route that takes none of it (sign-in): the server
    used to read and parse all of it. Sent as a stream without Content-Length, so only counting
    the bytes as they arrive can stop it; the server must stop reading long before the end."""
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"username": "admin.lakeside", "password": "'
        for _ in range(5 * 24):
            sent += MB
            yield b"A" * MB
        yield b'"}'

    response = await http.post(
        "/session", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["error"] == "RequestTooLarge" and "30 MB" in body["message"]
    assert sent <= 32 * MB


async def test_a_declared_length_over_the_limit_is_413_without_reading(
    http: httpx.AsyncClient,
) -> None:
    """Attack: announce a 120 MB body (Content-Length) to a message route: refused on the header."""
    headers = await _bearer(http, "admin.lakeside")
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(120):
            sent += MB
            yield b" " * MB

    headers |= {"Content-Type": "application/json", "Content-Length": str(120 * MB)}
    response = await http.post("/session", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert sent <= 2 * MB


async def test_a_legit_25_mb_upload_still_fits(http: httpx.AsyncClient, app: FastAPI) -> None:
    """Not an attack: the largest file the upload rules allow (25 MB, 33.3 MB as base64, over the
    30 MB default) still reaches the upload route, whose limit fits five of them."""
    assert UPLOAD_BODY_LIMIT >= 5 * 4 * (25 * MB) // 3
    headers = await _bearer(http, "staff.lakeside")
    claims = await http.post(
        "/claims/search", json={"search": {"tin": "461234567"}}, headers=headers
    )
    assert claims.status_code == 200, claims.text
    claim = claims.json()["items"][0]["claim_number"]
    content = b"%PDF-1.4\n" + b"0" * (25 * MB - 9)
    body = json.dumps(
        {"files": [{"file_name": "notes.pdf", "content": base64.b64encode(content).decode()}]}
    ).encode()
    assert len(body) > 30 * MB
    response = await http.post(
        f"/claims/{claim}/documents",
        content=body,
        headers=headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text[:300]


async def test_a_missing_token_is_401_with_a_reason(http: httpx.AsyncClient) -> None:
    """Attack (on clients): the non-standard 440 for no token, which proxies and HTTP libraries do
    not treat as an authentication failure. Now 401, `WWW-Authenticate: Bearer`, and a reason."""
    missing = await http.get("/account")
    assert missing.status_code == 401
    assert missing.json()["reason"] == "missing_token"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    forged = await http.get("/account", headers={"Authorization": "Bearer " + "x" * 43})
    assert forged.status_code == 401
    assert forged.json()["reason"] == "session_expired"
    assert 'error="invalid_token"' in forged.headers["WWW-Authenticate"]


async def test_an_expired_session_is_401_idle_timeout_and_remote_client_knows(
    app: FastAPI, clock: SettableClock
) -> None:
    """Attack (on clients): an idle session; `RemoteClient` must still see `SessionExpired`."""
    client = remote_client(app=app)
    await client.sign_in("admin.lakeside", DEMO_PASSWORD)
    clock.advance(hours=9)
    with pytest.raises(SessionExpired) as ended:
        await client.account()
    assert ended.value.reason in ("idle_timeout", "session_lifetime")


async def test_a_wrong_verb_is_405_with_allow(http: httpx.AsyncClient) -> None:
    """Attack: probe a path with verbs it does not serve; the answer says which it does."""
    response = await http.get("/session")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"DELETE", "POST"}
    assert "answers DELETE, POST" in response.json()["message"]
    assert "Traceback" not in response.text
