"""Routes as data: which HTTP verb and path serve each `PortalClient` method.

Both halves read the same table: the server (`api/routing.py`) builds one FastAPI route per entry,
and `RemoteClient` builds its requests from it, so a new client method needs one line in its area's
router module and nothing else. Nothing here imports FastAPI: thin clients install no server extra.

How a method's arguments travel is derived from its signature in `client/base.py`:

- names in the path (`/users/{user_id}`) go in the path;
- for `GET` the rest are query parameters (only plain values: text, numbers, flags, times);
- otherwise a single model argument is the body as it is (`NewUser`, `Registration`), and several
  arguments are wrapped in a body model built per method (`ChangeRoleBody`).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, get_type_hints

from pydantic import BaseModel, Field, TypeAdapter, create_model

from portal_core.client.base import PortalClient

INT_RANGE = Field(ge=-(2**31), le=2**31 - 1)
"""Integers the API accepts: ids and counts fit PostgreSQL's `integer`, so an absurd number is
a validation error, never a database one."""

_PATH_NAME = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Route:
    """One use case over HTTP."""

    method: str
    """The `PortalClient` method (and, unless `call` says otherwise, the service method)."""
    verb: str
    """`GET`, `POST`, `PUT`, `PATCH` or `DELETE`."""
    path: str
    """The path, with `{name}` for arguments carried in it."""
    service: str
    """The attribute of `Services` holding the use case: `identity`, `users`, …"""
    call: str | None = None
    """The service method, when its name differs from the client's."""
    session: bool = True
    """False for the calls that need no signed-in user (sign-in, registration, recovery)."""
    read: bool = False
    """True for reads sent with a body (a filter): safe to retry like a `GET`."""
    status: int = 200
    """The success status (204 is used automatically for methods returning nothing)."""
    summary: str = field(default="", compare=False)
    """Overrides the first line of the client method's docstring in the OpenAPI schema."""

    @property
    def service_method(self) -> str:
        """The name of the service method this route calls."""
        return self.call or self.method

    @property
    def idempotent(self) -> bool:
        """May the client send it again after a connection failure?"""
        return self.verb == "GET" or self.read

    @cached_property
    def path_names(self) -> tuple[str, ...]:
        """Arguments carried in the path."""
        return tuple(_PATH_NAME.findall(self.path))

    @cached_property
    def signature(self) -> Signature:
        """The client method's arguments and result, resolved."""
        return Signature.of(self)


@dataclass(frozen=True)
class Argument:
    """One argument of a client method."""

    name: str
    annotation: Any
    default: Any = inspect.Parameter.empty

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


@dataclass(frozen=True)
class Signature:
    """How one route's arguments travel and what it answers."""

    arguments: tuple[Argument, ...]
    returns: Any
    """The client method's return annotation (`None` for no content)."""
    path: tuple[Argument, ...]
    query: tuple[Argument, ...]
    body: type[BaseModel] | None
    """The request body model, or None."""
    body_argument: str | None
    """Set when the body is one model argument passed as it is: that argument's name."""
    summary: str

    @classmethod
    def of(cls, route: Route) -> Signature:
        function = getattr(PortalClient, route.method)
        hints = get_type_hints(function)
        parameters = list(inspect.signature(function).parameters.values())[1:]  # not self
        arguments = tuple(Argument(p.name, _bounded(hints[p.name]), p.default) for p in parameters)
        unknown = set(route.path_names) - {a.name for a in arguments}
        if unknown:
            raise ValueError(f"{route.method}: path names {unknown} are not arguments")
        path = tuple(a for a in arguments if a.name in route.path_names)
        rest = tuple(a for a in arguments if a.name not in route.path_names)
        query: tuple[Argument, ...] = ()
        body: type[BaseModel] | None = None
        body_argument: str | None = None
        if route.verb == "GET":
            query = rest
        elif len(rest) == 1 and _is_model(rest[0].annotation) and rest[0].required:
            body, body_argument = rest[0].annotation, rest[0].name
        elif rest:
            body = _body_model(route.method, rest)
        doc = inspect.getdoc(function) or route.method
        summary = route.summary or doc.split("\n\n")[0].replace("\n", " ")
        returns = hints.get("return")
        return cls(
            arguments,
            None if returns is type(None) else returns,
            path,
            query,
            body,
            body_argument,
            summary,
        )

    @cached_property
    def result_adapter(self) -> TypeAdapter[Any]:
        """Validates and serializes the result."""
        return TypeAdapter(self.returns)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _bounded(annotation: Any) -> Any:
    """`int` arguments limited to INT_RANGE (in lists and optionals too)."""
    if annotation is int:
        return Annotated[int, INT_RANGE]
    if annotation == int | None:
        return Annotated[int, INT_RANGE] | None
    if annotation == list[int]:
        return list[Annotated[int, INT_RANGE]]
    return annotation


def _body_model(method: str, arguments: tuple[Argument, ...]) -> type[BaseModel]:
    """A request model holding several arguments: `change_role` gives `ChangeRoleBody`."""
    name = "".join(part.title() for part in method.split("_")) + "Body"
    fields: dict[str, Any] = {
        a.name: (a.annotation, ... if a.required else a.default) for a in arguments
    }
    model: type[BaseModel] = create_model(name, **fields)
    model.__doc__ = f"The arguments of `{method}`."
    return model
