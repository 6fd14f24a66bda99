"""schemathesis over the OpenAPI schema: generated requests to every operation, signed in as an
administrator, find no 5xx and no response that breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal_core.demo import DEMO_PASSWORD
from portal_core.services import Services

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def signed_in_api(app: FastAPI, world: Services) -> schemathesis.Schema:
    token = world.identity.sign_in("admin.lakeside", DEMO_PASSWORD).token
    app.state.test_token = token
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("signed_in_api")


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_no_schema_break(case: schemathesis.Case, app: FastAPI) -> None:
    headers = {"Authorization": f"Bearer {app.state.test_token}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
