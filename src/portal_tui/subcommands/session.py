"""`portal login` and `portal logout`: a session with a portal server, for scripts.

`login` asks the server for a session and keeps only its token (see
`portal_core.client.credentials`: the keyring, else memory; a file only by `token_storage`);
later commands against the same server use it instead of PORTAL_USERNAME/PORTAL_PASSWORD.
The password comes from PORTAL_PASSWORD or a hidden prompt, never from a flag.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import click

from portal_core.errors import SecondFactorRequired, ValidationFailed
from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import echo, say

if TYPE_CHECKING:
    from portal_core.client.remote import RemoteClient

NO_SERVER = (
    "portal login signs in to a portal server: give --server URL, a profile with a server, "
    "or PORTAL_SERVER. The embedded database needs no login."
)


def _remote(context: CliContext) -> RemoteClient:
    server = context.settings().resolved_server()
    if not server:
        raise ValidationFailed(NO_SERVER)
    from portal_core.client.remote import RemoteClient

    return RemoteClient.connect(server, context.settings())


@click.command("login")
@click.option("--username", help="Portal username (default: PORTAL_USERNAME, else asked).")
@click.option("--print-token", is_flag=True, help="Also print the token (for PORTAL_TOKEN).")
@click.pass_obj
def login(context: CliContext, username: str | None, print_token: bool) -> None:
    """Sign in to the portal server and keep the session token."""
    client = _remote(context)
    name = (username or os.environ.get("PORTAL_USERNAME", "")).strip()
    if not name:
        name = click.prompt("Username", err=True).strip()
    password = os.environ.get("PORTAL_PASSWORD") or click.prompt(
        "Password", hide_input=True, err=True
    )
    code = os.environ.get("PORTAL_TOTP_CODE") or None

    async def sign_in() -> str:
        try:
            try:
                result = await client.sign_in(name, password, code)
            except SecondFactorRequired:
                asked = click.prompt(
                    "Code from your authenticator app (or a recovery code)", err=True
                )
                result = await client.sign_in(name, password, asked)
            return result.token
        finally:
            await client.close()

    token = asyncio.run(sign_in())
    where = client.tokens.where
    say(f"Signed in to {client.server_url} as {name}; the session token is in {where}.")
    if print_token:
        echo(token)


@click.command("logout")
@click.pass_obj
def logout(context: CliContext) -> None:
    """End the kept session on the server and forget its token."""
    client = _remote(context)

    async def sign_out() -> bool:
        try:
            had = client.token is not None
            await client.sign_out()
            return had
        finally:
            await client.close()

    if asyncio.run(sign_out()):
        say(f"Signed out of {client.server_url}.")
    else:
        say(f"No session with {client.server_url} is kept here.")


COMMANDS = [login, logout]
"""What this module adds to `portal`."""
