"""Builds FastAPI routes from the route table (`spec.Route`): one endpoint per use case.

Each endpoint resolves the caller's session to a principal, calls the service method with the
arguments the request carried (validated by FastAPI against the client method's signature), and
answers with the result serialized by the same pydantic models the local client returns. Both the
session lookup and the service call run in one worker thread, off the event loop.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from portal_core.api.auth import Credentials, client_address, principal_of, remember_address
from portal_core.api.spec import Route
from portal_core.api.throttle import AddressThrottle
from portal_core.client.base import PortalClient
from portal_core.errors import ERRORS_BY_NAME
from portal_core.models.claims import UploadFile
from portal_core.models.identity import SignInResult
from portal_core.rules import uploads
from portal_core.services import Services


class ErrorBody(BaseModel):
    """Every error the API answers with: the `PortalError` class, its message and field."""

    error: str
    """The error class name (`NotFound`, `PermissionDenied`, …): the client raises the same."""
    message: str
    """Plain words for the user (never PHI, never a stack trace)."""
    field: str | None = None
    """The input at fault, when there is one."""
    reason: str | None = None
    """Why a 401 `SessionExpired` (`missing_token`, `session_expired`, `idle_timeout`,
    `session_lifetime`): present only on those."""

    def body(self) -> dict[str, Any]:
        """The JSON body: `reason` only when there is one."""
        return self.model_dump(exclude={"reason"} if self.reason is None else None)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ErrorBody,
        "description": " or ".join(
            sorted(name for name, cls in ERRORS_BY_NAME.items() if cls.status == status)
        ),
    }
    for status in sorted({cls.status for cls in ERRORS_BY_NAME.values()})
}
ERROR_RESPONSES[500] = {"model": ErrorBody, "description": "An unexpected server error"}
"""What every route may answer besides success, for the OpenAPI schema."""

UPLOAD_BODY_LIMIT = uploads.MAX_FILES * 4 * math.ceil(uploads.MAX_BYTES / 3) + 1024 * 1024
"""The body limit of a route carrying files: the upload rules' largest submission as JSON (5 files
of 25 MB, base64 is 4/3 of that: 166.7 MB) and 1 MB for names and text. Other routes have the app's
limit (`app.MAX_BODY_MB`)."""

_BINARY = {
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    "description": "The file",
}


@dataclass
class ApiState:
    """What the endpoints share, kept on `app.state.portal`."""

    services: Services
    throttle: AddressThrottle


def build_router(area: str, routes: tuple[Route, ...]) -> APIRouter:
    """One route per entry of `routes`, tagged `area` in the OpenAPI schema."""
    router = APIRouter(tags=[area])
    for route in routes:
        signature = route.signature
        returns = signature.returns
        responses = dict(ERROR_RESPONSES)
        if returns is bytes:
            responses[route.status] = _BINARY
        router.add_api_route(
            route.path,
            _endpoint(route),
            methods=[route.verb],
            name=route.method,
            operation_id=route.method,
            summary=signature.summary,
            status_code=204 if returns is None else route.status,
            response_model=None if returns in (None, bytes) else returns,
            responses=responses,
            openapi_extra={"x-idempotent": True} if route.idempotent else None,
            max_body_size=UPLOAD_BODY_LIMIT if carries_files(signature.body) else None,
        )
    return router


def carries_files(annotation: Any, seen: tuple[Any, ...] = ()) -> bool:
    """Does a body of this type hold `UploadFile`s (anywhere inside)?"""
    if annotation is UploadFile:
        return True
    if any(annotation is earlier for earlier in seen):
        return False
    seen = (*seen, annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(carries_files(f.annotation, seen) for f in annotation.model_fields.values())
    return any(carries_files(argument, seen) for argument in get_args(annotation))


def _endpoint(route: Route) -> Callable[..., Awaitable[Response]]:
    signature = route.signature

    async def endpoint(request: Request, **kwargs: Any) -> Response:
        state: ApiState = request.app.state.portal
        credentials = kwargs.pop("credentials", None)
        arguments = _arguments(route, kwargs)
        address = client_address(request)

        def work() -> Any:
            services = state.services
            target = getattr(getattr(services, route.service), route.service_method)
            with state.throttle.calling(address):  # the services throttle per client address
                if route.session:
                    return target(principal_of(services, credentials), **arguments)
                result = target(**arguments)
            if isinstance(result, SignInResult):
                remember_address(services, result.token, address)
            return result

        result = await run_in_threadpool(work)
        if signature.returns is None:
            return Response(status_code=204)
        if signature.returns is bytes:
            return Response(result, route.status, media_type="application/octet-stream")
        content = signature.result_adapter.dump_json(result)
        return Response(content, route.status, media_type="application/json")

    parameters = [inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request)]
    if route.session:
        parameters.append(
            inspect.Parameter("credentials", inspect.Parameter.KEYWORD_ONLY, annotation=Credentials)
        )
    for argument in signature.path:
        parameters.append(
            inspect.Parameter(
                argument.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[argument.annotation, Path()],
            )
        )
    for argument in signature.query:
        parameters.append(
            inspect.Parameter(
                argument.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[argument.annotation, Query()],
                default=argument.default,
            )
        )
    if signature.body is not None:
        parameters.append(
            inspect.Parameter(
                "body", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[signature.body, Body()]
            )
        )
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = route.method
    endpoint.__doc__ = inspect.getdoc(getattr(PortalClient, route.method))
    return endpoint


def _arguments(route: Route, received: dict[str, Any]) -> dict[str, Any]:
    """The service call's keyword arguments from what FastAPI parsed."""
    signature = route.signature
    body = received.pop("body", None)
    arguments = dict(received)
    if body is not None:
        if signature.body_argument is not None:
            arguments[signature.body_argument] = body
        else:
            # Attributes, not model_dump(): nested models stay models for the service.
            arguments.update({name: getattr(body, name) for name in type(body).model_fields})
    return arguments
