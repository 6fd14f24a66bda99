"""The ASGI app: `create_app(services)` for tests and embedding, `app_from_environment()` for
`portal serve` (uvicorn's factory, once per worker).

Errors: a `PortalError` answers with its `status` and `{"error", "message", "field"}`; bad input
that FastAPI refuses answers the same way as `ValidationFailed`; anything else is a 500 with a
generic message, and the log names only the exception class and the route's path template (never
the message, which may quote data).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
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
    ValidationFailed,
)
from portal_core.services import Services

logger = logging.getLogger("portal_core.api")

UNEXPECTED = "Something went wrong on the portal server. Try again; if it keeps happening, tell "
UNEXPECTED += "your administrator the time it happened."


def create_app(
    services: Services,
    *,
    address_limit: int = ADDRESS_LIMIT,
    address_window: timedelta = ADDRESS_WINDOW,
) -> FastAPI:
    """The portal API over `services`."""
    app = FastAPI(
        title="Provider portal",
        version=__version__,
        description="The provider portal's use cases, one route per `PortalClient` method.",
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
    return create_app(Services(Database(settings.resolved_database_url()), mail=settings.mail))


def error_response(error: PortalError) -> JSONResponse:
    """The response for a `PortalError`."""
    body = ErrorBody(error=type(error).__name__, message=error.message, field=error.field)
    return JSONResponse(body.model_dump(), status_code=error.status)


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

    async def http_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 404:
            return error_response(NotFound("There is no such address on the portal server."))
        response = error_response(PortalError(str(error.detail)))
        response.status_code = error.status_code
        return response

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
            route = getattr(scope.get("route"), "path", "an unknown route")
            logger.error("unexpected %s in %s %s", type(error).__name__, scope.get("method"), route)
            if started:
                return  # the response is half sent: the client sees a broken connection
            response = JSONResponse(
                ErrorBody(error="PortalError", message=UNEXPECTED).model_dump(), status_code=500
            )
            await response(scope, receive, send)
