"""`portal serve`: the portal API (`portal_core.api`) on uvicorn, for thin clients.

The database comes from the usual settings (`--database-url`, `PORTAL_DATABASE_URL`, a profile):
SQLite by default, PostgreSQL (`postgresql+psycopg://…`) for several workers or machines. The
schema is upgraded before the first worker starts, and a signed audit checkpoint written then and
when the server stops (`services/audit.py`). Each worker builds its own app from the
environment (uvicorn's factory), so `--workers N` needs no shared state in the server process.
"""

from __future__ import annotations

import os

import click

from portal_core.errors import ValidationFailed
from portal_tui.subcommands.context import CliContext
from portal_tui.subcommands.output import say

APP_FACTORY = "portal_core.api.app:app_from_environment"
"""What each uvicorn worker imports and calls."""

NEEDS_EXTRA = (
    "`portal serve` needs the server packages: pip install 'portal-tui[server]' "
    "(FastAPI, uvicorn and the PostgreSQL driver)."
)

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="PEM certificate.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key.")
@click.option(
    "--forwarded-allow-ips",
    metavar="ADDRESSES",
    help="Proxies whose X-Forwarded-For is believed (comma separated; default: none).",
)
@click.pass_obj
def serve(
    context: CliContext,
    host: str,
    port: int,
    workers: int,
    tls_cert: str | None,
    tls_key: str | None,
    forwarded_allow_ips: str | None,
) -> None:
    """Serve the portal to thin clients (`portal --server URL`)."""
    if bool(tls_cert) != bool(tls_key):
        raise ValidationFailed("Give both --tls-cert and --tls-key, or neither.")
    try:
        import fastapi  # noqa: F401  (only to tell a missing extra early)
        import uvicorn
    except ImportError:
        raise ValidationFailed(NEEDS_EXTRA) from None
    from sqlalchemy.engine import make_url

    from portal_core.clock import Clock
    from portal_core.services.audit import checkpoint_now
    from portal_core.store.engine import Database

    url = context.settings().resolved_database_url()
    db = context.database()
    db.upgrade()
    checkpoint_now(db, Clock().now())  # the audit log as the server found it
    context.close()
    # Workers are fresh processes: they read the database from the environment.
    os.environ["PORTAL_DATABASE_URL"] = url
    os.environ.pop("PORTAL_SERVER", None)
    scheme = "https" if tls_cert else "http"
    if not tls_cert and host not in _LOOPBACK:
        say(
            "warning: serving without TLS on a network address; passwords and tokens would "
            "cross the network in clear. Use --tls-cert/--tls-key or a TLS-terminating proxy."
        )
    say(
        f"Serving the portal at {scheme}://{host}:{port} with {workers} worker(s) over "
        f"{make_url(url).render_as_string(hide_password=True)}."
    )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        log_level="info",
    )
    stopped = Database(url)
    try:
        checkpoint_now(stopped, Clock().now())  # and as it left it
    finally:
        stopped.dispose()


COMMANDS = [serve]
"""What this module adds to `portal`."""
