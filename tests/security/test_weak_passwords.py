"""Weak passwords: each test tries to set a password an attacker guesses early, through the real
API (`PUT /account/password`) and through `RemoteClient`; each is now refused with a reason."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from in_process_api import remote_client
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import PAYER_NAME
from portal_core.errors import ValidationFailed

USER = "staff.lakeside"


async def _token(http: httpx.AsyncClient, password: str = DEMO_PASSWORD) -> str:
    response = await http.post("/session", json={"username": USER, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


async def _change(http: httpx.AsyncClient, token: str, new_password: str) -> httpx.Response:
    return await http.put(
        "/account/password",
        headers={"Authorization": f"Bearer {token}"},
        json={"current_password": DEMO_PASSWORD, "new_password": new_password},
    )


WEAK = [
    pytest.param(PAYER_NAME, id="the payer's name"),
    pytest.param(PAYER_NAME.replace(" ", "") + "2026!", id="the payer's name and a year"),
    pytest.param("P@ssw0rdP@ssw0rd", id="substitutions and a repeat"),
    pytest.param("iloveyou12345678", id="a common password and a sequence"),
    pytest.param("qwertyuiopasdfgh", id="keyboard rows"),
    pytest.param("1qaz2wsx3edc4rfv", id="keyboard columns"),
    pytest.param("ｐａｓｓｗｏｒｄｐａｓｓｗｏｒｄ", id="fullwidth blocklisted word"),
    pytest.param("ｉｌｏｖｅｙｏｕ１２３４５６７８", id="fullwidth common and sequence"),
    pytest.param("portal portal portal", id="the portal's name"),
    pytest.param("staff.lakeside is me", id="the username"),
]


@pytest.mark.parametrize("password", WEAK)
async def test_a_guessable_password_is_refused(http: httpx.AsyncClient, password: str) -> None:
    """Attack: set a password from the first guesses of any cracking run (the health plan's own
    name, `P@ssw0rd` doubled, `iloveyou` and a digit run, keyboard walks, the fullwidth forms of
    blocklisted words that slipped past a check without Unicode normalization)."""
    token = await _token(http)
    response = await _change(http, token, password)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "ValidationFailed" and body["field"] == "password"
    assert "Choose" in body["message"]
    assert password not in response.text  # the refusal never echoes the password


@pytest.mark.parametrize(
    "control", ["\x00", "\t", "\u200b", "\u202e", "\x1b"], ids=["NUL", "tab", "ZWSP", "RLO", "ESC"]
)
async def test_a_password_with_a_control_character_is_refused(
    http: httpx.AsyncClient, control: str
) -> None:
    """Attack: a password with a NUL (cut short by C code that reads it), a bidi override or an
    invisible character (a different password than the one the user sees and types)."""
    token = await _token(http)
    response = await _change(http, token, f"violet tundra{control} lamp house")
    assert response.status_code == 400, response.text
    assert "control or invisible character" in response.json()["message"]


async def test_remote_client_gets_the_same_refusal(app: FastAPI) -> None:
    """Attack: the same weak password set through `RemoteClient` (the CLI and the TUI's path)."""
    client = remote_client(app=app)
    await client.sign_in(USER, DEMO_PASSWORD)
    with pytest.raises(ValidationFailed) as refused:
        await client.change_password(DEMO_PASSWORD, "P@ssw0rdP@ssw0rd")
    assert refused.value.field == "password"
    with pytest.raises(ValidationFailed):
        await client.change_password(DEMO_PASSWORD, PAYER_NAME)


async def test_a_password_set_in_one_normalization_form_signs_in_from_another(
    http: httpx.AsyncClient,
) -> None:
    """Not an attack but its cost: normalizing must not lock out a user whose keyboard sends a
    decomposed `é` or fullwidth letters for the password they set."""
    token = await _token(http)
    composed = "caf\u00e9 violet tundra lamp"
    assert (await _change(http, token, composed)).status_code == 204
    for typed in ("cafe\u0301 violet tundra lamp", "ｃａｆé violet tundra lamp"):
        response = await http.post("/session", json={"username": USER, "password": typed})
        assert response.status_code == 200, response.text
