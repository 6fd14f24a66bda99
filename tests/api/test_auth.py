"""Authentication through the API: tokens, sessions, scope, throttling, error bodies."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.conftest import http_client
from portal_core.api.app import create_app
from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.models.users import UserFilter
from portal_core.services import Services

OTHER_TIN = "521234567"


async def sign_in(http: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD) -> str:
    response = await http.post("/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    expected = {"error", "message", "field"} | (
        {"reason"} if response.status_code == 401 else set()
    )
    assert set(body) == expected or set(body) == {"error", "message", "field"}
    assert "Traceback" not in response.text
    return dict(body)


async def test_no_token_and_a_forged_token_are_refused(http: httpx.AsyncClient) -> None:
    missing = await http.get("/account")
    assert missing.status_code == 401
    assert error_of(missing)["error"] == "SessionExpired"
    forged = await http.get("/account", headers=bearer("x" * 43))
    assert forged.status_code == 401
    assert error_of(forged)["error"] == "SessionExpired"
    real = await sign_in(http, "admin.lakeside")
    tampered = await http.get(
        "/account", headers=bearer(real[:-2] + ("AA" if real[-2:] != "AA" else "BB"))
    )
    assert tampered.status_code == 401
    assert (await http.get("/account", headers=bearer(real))).status_code == 200


async def test_an_expired_token_is_refused(http: httpx.AsyncClient, clock: SettableClock) -> None:
    token = await sign_in(http, "admin.lakeside")
    for _ in range(12 * 4 + 1):  # active every 15 minutes, past the 12-hour limit
        clock.advance(minutes=14, seconds=50)
        response = await http.get("/account", headers=bearer(token))
        if response.status_code != 200:
            break
    assert response.status_code == 401
    assert "12-hour" in error_of(response)["message"]


async def test_a_revoked_token_is_refused(http: httpx.AsyncClient) -> None:
    first = await sign_in(http, "staff.lakeside")
    second = await sign_in(http, "staff.lakeside")
    new_password = "a brand new passphrase 2027"
    changed = await http.put(
        "/account/password",
        headers=bearer(second),
        json={"current_password": DEMO_PASSWORD, "new_password": new_password},
    )
    assert changed.status_code == 204, changed.text
    assert (await http.get("/account", headers=bearer(first))).status_code == 401
    ended = await http.delete("/session", headers=bearer(second))
    assert ended.status_code == 204
    assert (await http.get("/account", headers=bearer(second))).status_code == 401


async def test_another_tins_records_are_not_found(http: httpx.AsyncClient, world: Services) -> None:
    theirs = await sign_in(http, "admin.riverbend")
    found = await http.post(
        "/users/search",
        headers=bearer(theirs),
        json={"filter": UserFilter(tin=OTHER_TIN).model_dump()},
    )
    their_user = found.json()["items"][0]["id"]
    documents = await http.get("/documents", params={"tin": OTHER_TIN}, headers=bearer(theirs))
    their_documents = [d["id"] for d in documents.json()["items"]]

    mine = await sign_in(http, "admin.lakeside")
    user = await http.get(f"/users/{their_user}", headers=bearer(mine))
    assert user.status_code == 404
    assert error_of(user)["error"] == "NotFound"
    for document_id in their_documents:
        response = await http.get(f"/documents/{document_id}", headers=bearer(mine))
        assert response.status_code == 404
    listed = await http.get("/documents", headers=bearer(mine))
    assert not set(their_documents) & {d["id"] for d in listed.json()["items"]}


async def test_sign_in_is_throttled_per_account(http: httpx.AsyncClient) -> None:
    for _ in range(3):
        response = await http.post(
            "/session", json={"username": "dr.rivera", "password": "wrong wrong wrong"}
        )
        assert response.status_code == 401
    refused = await http.post("/session", json={"username": "dr.rivera", "password": DEMO_PASSWORD})
    assert refused.status_code == 429
    assert error_of(refused)["error"] == "TooManyAttempts"
    assert "Wait" in error_of(refused)["message"]


async def test_sign_in_is_throttled_per_address(world: Services, clock: SettableClock) -> None:
    app = create_app(world, address_limit=5, address_window=timedelta(minutes=15))
    async with (
        http_client(app, "203.0.113.7") as attacker,
        http_client(app, "198.51.100.2") as other,
    ):
        for number in range(5):  # different accounts: the per-account throttle never starts
            response = await attacker.post(
                "/session", json={"username": f"guess.{number}", "password": "wrong wrong wrong"}
            )
            assert error_of(response)["error"] == "AuthenticationFailed"
        refused = await attacker.post(
            "/session", json={"username": "admin.lakeside", "password": DEMO_PASSWORD}
        )
        assert refused.status_code == 429
        assert "network address" in error_of(refused)["message"]
        assert await sign_in(other, "admin.lakeside")  # another address is not affected
        clock.advance(minutes=16)
        assert await sign_in(attacker, "admin.lakeside")


async def test_bad_input_is_a_validation_error_naming_the_field(http: httpx.AsyncClient) -> None:
    token = await sign_in(http, "admin.lakeside")
    response = await http.get("/users/not-a-number", headers=bearer(token))
    assert response.status_code == 400
    body = error_of(response)
    assert (body["error"], body["field"]) == ("ValidationFailed", "user_id")
    broken = await http.post(
        "/session", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    huge = await http.get(f"/users/{2**70}", headers=bearer(token))
    assert huge.status_code == 400


async def test_an_unknown_address_is_a_not_found_body(http: httpx.AsyncClient) -> None:
    response = await http.get("/no/such/thing")
    assert response.status_code == 404
    assert error_of(response)["error"] == "NotFound"


async def test_an_unexpected_error_is_a_plain_500_and_logs_no_detail(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "member AB123456789 born 1970-01-01"

    async def explode() -> None:
        raise RuntimeError(secret)

    app.add_api_route("/explode", explode)
    with caplog.at_level(logging.ERROR):
        async with http_client(app) as http:
            response = await http.get("/explode")
    assert response.status_code == 500
    body = error_of(response)
    assert body["error"] == "PortalError"
    assert secret not in response.text and "RuntimeError" not in response.text
    assert "RuntimeError" in caplog.text and "/explode" in caplog.text
    assert secret not in caplog.text


async def test_health_and_readiness(http: httpx.AsyncClient, tmp_path: Any) -> None:
    assert (await http.get("/health")).json()["status"] == "ok"
    ready = await http.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    from portal_core.store.engine import Database

    empty = Services(Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    async with http_client(create_app(empty)) as fresh:
        not_ready = await fresh.get("/ready")
    assert not_ready.status_code == 503
    assert error_of(not_ready)["error"] == "BackendUnavailable"


async def test_openapi_lists_one_operation_per_client_method(http: httpx.AsyncClient) -> None:
    from portal_core.api.catalog import ROUTES_BY_METHOD

    schema = (await http.get("/openapi.json")).json()
    operations = {
        op["operationId"]: (verb, op)
        for path in schema["paths"].values()
        for verb, op in path.items()
    }
    assert set(ROUTES_BY_METHOD) <= set(operations)
    _verb, list_users = operations["list_users"]
    assert list_users.get("x-idempotent") is True
    assert operations["get_user"][0] == "get"
    assert operations["audit_member_access"][0] == "post"  # member ids never in a URL
    assert MAIN_TIN  # the demo world is the one the other tests use
