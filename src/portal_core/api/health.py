"""`/health` (the process answers) and `/ready` (its database is reachable and fully migrated),
for load balancers and orchestrators."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from portal_core.api.routing import ERROR_RESPONSES, ApiState, ErrorBody
from portal_core.errors import BackendUnavailable


class Health(BaseModel):
    """A health or readiness answer."""

    status: str
    """`ok` or `ready`."""
    revision: str | None = None
    """The database's schema revision (readiness only)."""


@lru_cache(maxsize=4)
def newest_revision(url: str) -> str | None:
    """The newest migration shipped with this version (read once per process)."""
    from alembic.script import ScriptDirectory

    from portal_core.store.engine import alembic_config

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def router() -> APIRouter:
    """The health routes."""
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=Health, operation_id="health")
    async def health() -> Health:
        """The server process is up."""
        return Health(status="ok")

    @router.get(
        "/ready",
        response_model=Health,
        operation_id="ready",
        responses={503: ERROR_RESPONSES[503]},
    )
    async def ready(request: Request) -> Response:
        """The database is reachable and at the newest schema."""
        state: ApiState = request.app.state.portal
        db = state.services.db

        def revisions() -> tuple[str | None, str | None]:
            return db.current_revision(), newest_revision(db.url)

        try:
            current, newest = await run_in_threadpool(revisions)
        except Exception:  # any failure to reach the database means not ready
            current, newest = None, "unknown"
        if current is None or current != newest:
            problem = BackendUnavailable(
                "The database is not reachable."
                if current is None
                else "The database schema is not the newest: run `portal db upgrade`."
            )
            body = ErrorBody(error="BackendUnavailable", message=problem.message)
            return Response(
                body.model_dump_json(exclude={"reason"}), 503, media_type="application/json"
            )
        return Response(
            Health(status="ready", revision=current).model_dump_json(),
            200,
            media_type="application/json",
        )

    return router
