"""Attack: payer-side staff read every document, any member and any care plan, whatever their work.

Minimum necessary on the payer side: a reviewer reads the records of its queue (submitted
preauthorizations and admissions), their documents and the members they name; a payer
administrator reads the profile-change files it approves and no PHI (that takes a break-glass
account and a reason); the call center reads across organizations, as its role says. Each test
signs in as the demo user through `RemoteClient` over the real API app.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import exists, select

from portal_core.client.remote import RemoteClient
from portal_core.demo import DEMO_PASSWORD
from portal_core.errors import NotFound, PermissionDenied
from portal_core.models.documents import DocumentQuery
from portal_core.services import Services
from portal_core.store.schema import (
    admissions,
    care_plans,
    documents,
    members,
    pcp_assignments,
    preauth_requests,
)


def _doc(world: Services, kind: str, linked_kind: str | None) -> int:
    condition = (
        documents.c.linked_kind.is_(None)
        if linked_kind is None
        else documents.c.linked_kind == linked_kind
    )
    with world.db.read() as conn:
        found = conn.execute(
            select(documents.c.id)
            .where(documents.c.kind == kind, condition)
            .order_by(documents.c.id)
        ).scalar()
    assert found is not None
    return int(found)


def _outside_queue(world: Services) -> Any:
    """A member with a care plan whom no submitted preauthorization or admission names."""
    with world.db.read() as conn:
        row = conn.execute(
            select(members.c.member_id, care_plans.c.id)
            .join(care_plans, care_plans.c.member_id == members.c.member_id)
            .join(pcp_assignments, pcp_assignments.c.member_id == members.c.member_id)
            .where(
                ~exists().where(
                    preauth_requests.c.member_id == members.c.member_id,
                    preauth_requests.c.status != "draft",
                ),
                ~exists().where(
                    admissions.c.member_id == members.c.member_id,
                    admissions.c.status != "draft",
                ),
            )
            .order_by(members.c.member_id)
        ).first()
    assert row is not None
    return row


def _in_queue(world: Services) -> str:
    with world.db.read() as conn:
        member = conn.execute(
            select(preauth_requests.c.member_id)
            .where(preauth_requests.c.status == "pended")
            .order_by(preauth_requests.c.id)
        ).scalar()
    assert member is not None
    return str(member)


async def test_reviewer_reads_only_its_queue_documents(
    world: Services, client: RemoteClient
) -> None:
    """Attack: reviewer.kim read every document: EOPs, the offices' notices and profile-change
    files, none of which its utilization review needs."""
    eop = _doc(world, "eop", "payment")
    notice = _doc(world, "upload", None)
    profile = _doc(world, "upload", "profile_update")
    letter = _doc(world, "letter", "admission")
    await client.sign_in("reviewer.kim", DEMO_PASSWORD)
    for refused in (eop, notice, profile):
        with pytest.raises(NotFound):
            await client.get_document(refused)
    assert (await client.get_document(letter)).id == letter
    everything = await client.search_documents(DocumentQuery(), limit=500)
    assert {(d.kind, d.linked_kind) for d in everything.items} <= {
        ("letter", "admission"),
        ("letter", "preauth"),
        ("upload", "preauth"),
    }
    assert everything.total == len(everything.items)


async def test_reviewer_reads_only_the_members_of_its_queue(
    world: Services, client: RemoteClient
) -> None:
    """Attack: reviewer.kim opened any member's record and care plans, not only those of the
    preauthorizations and admissions it reviews."""
    outside = _outside_queue(world)
    await client.sign_in("reviewer.kim", DEMO_PASSWORD)
    with pytest.raises(NotFound):
        await client.get_member(outside.member_id)
    with pytest.raises(NotFound):
        await client.care_plans(outside.member_id)
    with pytest.raises(NotFound):
        await client.export_care_plan(outside.id)
    queued = _in_queue(world)
    assert (await client.get_member(queued)).member_id == queued
    await client.care_plans(queued)


async def test_payer_admin_reads_no_phi_documents_or_members(
    world: Services, client: RemoteClient
) -> None:
    """Attack: payer.admin (portal administration) read determination letters, EOPs, members
    and care plans although none of its work needs PHI."""
    outside = _outside_queue(world)
    letter = _doc(world, "letter", "admission")
    preauth_letter = _doc(world, "letter", "preauth")
    eop = _doc(world, "eop", "payment")
    profile = _doc(world, "upload", "profile_update")
    await client.sign_in("payer.admin", DEMO_PASSWORD)
    for refused in (letter, preauth_letter, eop):
        with pytest.raises(NotFound):
            await client.get_document(refused)
    with pytest.raises(PermissionDenied):
        await client.get_member(outside.member_id)
    with pytest.raises(PermissionDenied):
        await client.care_plans(outside.member_id)
    # The files of the profile changes it approves are its work.
    assert (await client.get_document(profile)).id == profile
    listed = await client.search_documents(DocumentQuery(), limit=500)
    assert [d.id for d in listed.items] == [profile] and listed.total == 1


async def test_break_glass_reads_only_inside_its_window(
    world: Services, client: RemoteClient
) -> None:
    """Attack: read PHI documents with the break-glass account without opening its window."""
    eop = _doc(world, "eop", "payment")
    await client.sign_in("breakglass.ops", DEMO_PASSWORD)
    with pytest.raises((NotFound, PermissionDenied)):
        await client.get_document(eop)
    await client.start_break_glass("member safety: ED physician needs the payment history", 15)
    assert (await client.get_document(eop)).id == eop


async def test_call_center_reads_across_organizations_but_not_user_access_files(
    world: Services, client: RemoteClient
) -> None:
    """The call center answers calls about any organization's records (its role), so it reads
    their letters and EOPs; the offices' profile-change files are not its work."""
    await client.sign_in("csr.jones", DEMO_PASSWORD)
    assert (await client.get_document(_doc(world, "letter", "admission"))).kind == "letter"
    assert (await client.get_document(_doc(world, "eop", "payment"))).kind == "eop"
    with pytest.raises(NotFound):
        await client.get_document(_doc(world, "upload", "profile_update"))
