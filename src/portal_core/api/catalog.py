"""Every route of every area, by client method: what the app mounts and the remote client reads."""

from __future__ import annotations

from portal_core.api import (
    admissions,
    announcements,
    audit,
    claims,
    documents,
    identity,
    members,
    messages,
    preauth,
    providers,
    referrals,
    reviews,
    users,
)
from portal_core.api.spec import Route

AREAS = (
    identity,
    users,
    reviews,
    members,
    claims,
    preauth,
    admissions,
    referrals,
    messages,
    providers,
    documents,
    announcements,
    audit,
)
"""The router modules, in the order the app mounts them (and the OpenAPI schema lists them)."""

ROUTES_BY_METHOD: dict[str, Route] = {
    route.method: route for area in AREAS for route in area.ROUTES
}
"""The route serving each `PortalClient` method."""
