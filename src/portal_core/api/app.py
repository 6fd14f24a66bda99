"""The ASGI app: `create_app(services)` for tests and embedding, `app_from_environment()` for
`portal serve` (uvicorn's factory, once per worker).

Errors: a `PortalError` answers with its `status` and `{"error", "message", "field"}` (and the
`reason` of a 401 `SessionExpired`); bad input that FastAPI refuses answers the same way as
`ValidationFailed` (400); a body over the limit is 413 before it is read whole (`max_body_bytes`,
counted as it streams in); a verb a path does not serve is 405 with `Allow`; anything else is a
500 with a generic message, and the log names only the exception class and the route's path
template (never the message, which may quote data).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal_core import __version__
from portal_core.api import catalog, health
from portal_core.api.routing import ApiState, ErrorBody
from portal_core.api.throttle import ADDRESS_LIMIT, ADDRESS_WINDOW, AddressThrottle
from portal_core.errors import (
    BackendUnavailable,
    Conflict,
    NotFound,
    PortalError,
    RequestTooLarge,
    SessionExpired,
    ValidationFailed,
)
from portal_core.services import Services

logger = logging.getLogger("portal_core.api")

UNEXPECTED = "Something went wrong on the portal server. Try again; if it keeps happening, tell "
UNEXPECTED += "your administrator the time it happened."

MAX_BODY_MB = 30
"""The default limit of a request body, in MB (`PORTAL_MAX_BODY_MB`); file uploads have their own,
`routing.UPLOAD_BODY_LIMIT`, which fits the upload rules' largest submission."""


def create_app(
    services: Services,
    *,
    address_limit: int = ADDRESS_LIMIT,
    address_window: timedelta = ADDRESS_WINDOW,
    max_body_bytes: int = MAX_BODY_MB * 1024 * 1024,
) -> FastAPI:
    """The portal API over `services`; request bodies over `max_body_bytes` are refused (413)."""
    app = FastAPI(
        title="Provider portal",
        version=__version__,
        description="The provider portal's use cases, one route per `PortalClient` method.",
        max_body_size=max_body_bytes,
    )
    use_services(app, services, address_limit=address_limit, address_window=address_window)
    app.include_router(health.router())
    for area in catalog.AREAS:
        app.include_router(area.router())
    _install_error_handlers(app)
    app.add_middleware(ErrorShield)
    return app


def use_services(
    app: FastAPI,
    services: Services,
    *,
    address_limit: int = ADDRESS_LIMIT,
    address_window: timedelta = ADDRESS_WINDOW,
) -> None:
    """Serve `services` from now on (tests reuse one app over fresh databases)."""
    app.state.portal = ApiState(services, AddressThrottle(address_limit, address_window))


def app_from_environment() -> FastAPI:
    """The app over the database the settings name (`PORTAL_DATABASE_URL`, the config file)."""
    from portal_core.config import load_settings
    from portal_core.store.engine import Database

    settings = load_settings()
    return create_app(
        Services(Database(settings.resolved_database_url()), mail=settings.mail),
        max_body_bytes=settings.max_body_mb * 1024 * 1024,
    )


def error_response(error: PortalError) -> JSONResponse:
    """The response for a `PortalError`."""
    reason = error.reason if isinstance(error, SessionExpired) else None
    body = ErrorBody(
        error=type(error).__name__, message=error.message, field=error.field, reason=reason
    ).body()
    headers = None
    if isinstance(error, SessionExpired):
        # RFC 6750: no token is a bare challenge; a token that no longer works is invalid_token.
        challenge = "" if reason == "missing_token" else ' error="invalid_token"'
        headers = {"WWW-Authenticate": f'Bearer realm="portal"{challenge}'}
    return JSONResponse(body, status_code=error.status, headers=headers)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The verbs some route serves at `path`, from the app's OpenAPI paths (for a 405's `Allow`)."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        if compile_path(template)[0].fullmatch(path):
            methods.update(verb.upper() for verb in operations)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _install_error_handlers(app: FastAPI) -> None:
    async def portal_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, PortalError)
        return error_response(error)

    async def invalid_request(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = error.errors()
        first = problems[0] if problems else {}
        where = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
        field = where[-1] if where else None
        detail = str(first.get("msg", "the request is not valid"))
        message = f"The request is not valid: {detail}" + (f" ({'.'.join(where)})" if where else "")
        return error_response(ValidationFailed(message, field=field))

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 404:
            return error_response(NotFound("There is no such address on the portal server."))
        if error.status_code == 413:
            limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY) or 0
            return error_response(
                RequestTooLarge(
                    f"The request is larger than the portal server accepts (at most "
                    f"{limit / (1024 * 1024):.0f} MB). Send fewer or smaller files."
                )
            )
        if error.status_code == 405:
            allow = ", ".join(allowed_methods(request.app, request.url.path))
            response = error_response(
                PortalError(f"This address does not answer {request.method}; it answers {allow}.")
            )
            response.headers["Allow"] = allow
            response.status_code = 405
            return response
        response = error_response(PortalError(str(error.detail)))
        response.status_code = error.status_code
        return response

    async def unreadable_value(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StatementError)
        if isinstance(error.orig, OverflowError | ValueError | TypeError):
            # A value the database driver could not even bind (a number past 64 bits).
            return error_response(ValidationFailed("A value in the request is out of range."))
        return _unexpected(request.scope, error)

    async def out_of_range(_request: Request, _error: Exception) -> JSONResponse:
        return error_response(ValidationFailed("A value in the request is out of range."))

    async def conflicting(_request: Request, _error: Exception) -> JSONResponse:
        return error_response(Conflict("The change conflicts with records already there."))

    async def database_down(_request: Request, _error: Exception) -> JSONResponse:
        return error_response(BackendUnavailable("The database is not available right now."))

    handlers: dict[type[Exception], Any] = {
        PortalError: portal_error,
        RequestValidationError: invalid_request,
        StarletteHTTPException: http_error,
        DataError: out_of_range,
        OverflowError: out_of_range,
        IntegrityError: conflicting,
        OperationalError: database_down,
        StatementError: unreadable_value,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)


class ErrorShield:
    """Turns any exception no handler took into a plain 500: no stack trace in the response, and a
    log line naming only the exception class and the route (messages may quote PHI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as error:
            response = _unexpected(scope, error)
            if started:
                return  # the response is half sent: the client sees a broken connection
            await response(scope, receive, send)


def _unexpected(scope: Scope, error: Exception) -> JSONResponse:
    """The plain 500 for `error`, logged by class and route only."""
    route = getattr(scope.get("route"), "path", "an unknown route")
    logger.error("unexpected %s in %s %s", type(error).__name__, scope.get("method"), route)
    return JSONResponse(
        ErrorBody(error="PortalError", message=UNEXPECTED).body(),
        status_code=500,
    )
