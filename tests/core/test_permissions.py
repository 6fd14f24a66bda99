"""The permission matrix and scope rules, role by role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal_core.errors import PermissionDenied
from portal_core.models.identity import PAYER_ROLES, PROVIDER_ROLES, Principal, Role
from portal_core.rules.permissions import (
    MATRIX,
    Action,
    allowed,
    can_grant,
    provider_in_scope,
    require,
    tin_in_scope,
)

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
TIN = "123456789"
OTHER_TIN = "987654321"


def principal_with(role: Role, *, break_glass_until: datetime | None = None) -> Principal:
    if role.is_payer:
        return Principal(
            user_id=1,
            username="someone",
            session_key="k",
            payer_role=role,
            break_glass_until=break_glass_until,
        )
    return Principal(
        user_id=1,
        username="someone",
        session_key="k",
        tin_roles={TIN: role},
        affiliations={TIN: frozenset({"1234567893"})},
        active_tin=TIN,
    )


def test_every_action_has_a_row() -> None:
    assert set(MATRIX) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_the_matrix_decides_each_role_and_action(role: Role, action: Action) -> None:
    live = NOW + timedelta(hours=1) if role is Role.BREAK_GLASS else None
    principal = principal_with(role, break_glass_until=live)
    tin = None if role.is_payer else TIN
    assert allowed(principal, action, tin, now=NOW) == (role in MATRIX[action])


@pytest.mark.parametrize("role", PROVIDER_ROLES)
def test_provider_side_roles_do_nothing_at_another_tin(role: Role) -> None:
    principal = principal_with(role)
    for action in Action:
        assert not allowed(principal, action, OTHER_TIN, now=NOW)
    assert not tin_in_scope(principal, OTHER_TIN)


def test_break_glass_reads_only_inside_its_window() -> None:
    expired = principal_with(Role.BREAK_GLASS, break_glass_until=NOW - timedelta(minutes=1))
    assert not allowed(expired, Action.READ_CLAIMS, now=NOW)
    assert allowed(expired, Action.BREAK_GLASS, now=NOW)
    live = principal_with(Role.BREAK_GLASS, break_glass_until=NOW + timedelta(minutes=30))
    assert allowed(live, Action.READ_CLAIMS, now=NOW)
    assert not allowed(live, Action.MANAGE_USERS, now=NOW)
    with pytest.raises(PermissionDenied):
        require(expired, Action.READ_MEMBERS, now=NOW)


def test_payer_roles_other_than_break_glass_see_every_tin() -> None:
    for role in PAYER_ROLES:
        if role is not Role.BREAK_GLASS:
            assert tin_in_scope(principal_with(role), OTHER_TIN)


def test_affiliation_scope() -> None:
    staff = principal_with(Role.STAFF)
    assert provider_in_scope(staff, TIN, "1234567893")
    assert not provider_in_scope(staff, TIN, "1000000053")
    admin = principal_with(Role.ADMINISTRATOR)
    assert provider_in_scope(admin, TIN, "1000000053")
    assert not provider_in_scope(admin, OTHER_TIN, "1234567893")


def test_granting_roles() -> None:
    admin = principal_with(Role.ADMINISTRATOR)
    maintenance = principal_with(Role.PRACTICE_MAINTENANCE)
    assert can_grant(admin, TIN, Role.ADMINISTRATOR)
    assert not can_grant(maintenance, TIN, Role.ADMINISTRATOR)
    assert can_grant(maintenance, TIN, Role.STAFF)
    assert not can_grant(admin, TIN, Role.CSR)
    assert can_grant(principal_with(Role.PAYER_ADMIN), TIN, Role.CSR)
    assert not can_grant(principal_with(Role.STAFF), TIN, Role.STAFF)
