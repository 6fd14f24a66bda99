"""Attack: documents were scoped by TIN only, so a provider-side user read documents about records
their role or their provider affiliations keep from them, by id, in lists and in counts.

Each test signs in as a demo user through `RemoteClient` over the real API app, and tries what
worked before: a document of a record the user may not read must be "not found", left out of
every list and count, and the attempt audited. A document has exactly its record's readers.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import and_, exists, func, or_, select

from portal_core.client.remote import RemoteClient
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.errors import NotFound, PermissionDenied
from portal_core.models.claims import UploadFile
from portal_core.models.documents import DocumentQuery
from portal_core.services import Services
from portal_core.store.schema import (
    admissions,
    audit_log,
    documents,
    preauth_requests,
    user_affiliations,
    users,
)


def _one(world: Services, query: Any) -> Any:
    with world.db.read() as conn:
        row = conn.execute(query).first()
    assert row is not None
    return row


def _refusals(world: Services, document_id: int) -> int:
    with world.db.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(audit_log)
                .where(
                    audit_log.c.action == "documents.read",
                    audit_log.c.outcome == "denied",
                    audit_log.c.record_id == str(document_id),
                )
            ).scalar_one()
        )


def _admission_letter(world: Services) -> tuple[int, str]:
    """An admission letter of the main TIN: its id and the admission's number."""
    row = _one(
        world,
        select(documents.c.id, documents.c.linked_id)
        .where(
            documents.c.tin == MAIN_TIN,
            documents.c.kind == "letter",
            documents.c.linked_kind == "admission",
        )
        .order_by(documents.c.id),
    )
    return int(row.id), str(row.linked_id)


async def test_billing_cannot_read_an_admission_letter_it_may_not_read_the_admission_of(
    world: Services, client: RemoteClient
) -> None:
    """Attack: billing.acme may not read inpatient admissions (clinical detail), yet fetched the
    review letter of one by id, and saw admission letters in its documents list and count."""
    letter, number = _admission_letter(world)
    await client.sign_in("billing.acme", DEMO_PASSWORD)
    with pytest.raises(PermissionDenied):
        await client.get_admission(number)
    with pytest.raises(NotFound):
        await client.get_document(letter)
    found = await client.search_documents(DocumentQuery(linked_kind="admission", linked_id=number))
    assert found.items == [] and found.total == 0
    everything = await client.search_documents(DocumentQuery(kind="letter"), limit=500)
    assert all(d.linked_kind != "admission" for d in everything.items)
    assert _refusals(world, letter) == 1


async def test_provider_cannot_read_letters_about_other_providers_patients(
    world: Services, client: RemoteClient
) -> None:
    """Attack: dr.rivera, affiliated with one NPI of the TIN, read determination letters about
    admissions of providers she is not affiliated with (other clinicians' patients)."""
    with world.db.read() as conn:
        rivera = conn.execute(select(users.c.id).where(users.c.username == "dr.rivera")).scalar()
        npis = list(
            conn.execute(
                select(user_affiliations.c.npi).where(user_affiliations.c.user_id == rivera)
            ).scalars()
        )
    theirs = _one(
        world,
        select(documents.c.id, admissions.c.number)
        .join(admissions, admissions.c.number == documents.c.linked_id)
        .where(
            documents.c.linked_kind == "admission",
            admissions.c.tin == MAIN_TIN,
            admissions.c.facility_npi.not_in(npis),
            admissions.c.admitting_npi.not_in(npis),
            admissions.c.created_by != rivera,
        )
        .order_by(documents.c.id),
    )
    await client.sign_in("dr.rivera", DEMO_PASSWORD)
    with pytest.raises(NotFound):
        await client.get_admission(theirs.number)
    with pytest.raises(NotFound):
        await client.get_document(theirs.id)
    page = await client.search_documents(DocumentQuery(kind="letter"), limit=500)
    shown = {d.linked_id for d in page.items if d.linked_kind == "admission"}
    assert shown
    assert theirs.number not in shown
    # What she does see is exactly the letters of admissions she may open.
    for number in sorted(n for n in shown if n):
        assert (await client.get_admission(number)).number == number
    assert _refusals(world, theirs.id) == 1


async def test_staff_cannot_read_an_eop_while_payments_are_refused(
    world: Services, client: RemoteClient
) -> None:
    """Attack: staff.lakeside may not read payments, yet read the TIN's explanation of payment
    document by id and listed it."""
    eop = _one(
        world,
        select(documents.c.id, documents.c.linked_id).where(
            documents.c.tin == MAIN_TIN, documents.c.kind == "eop"
        ),
    )
    await client.sign_in("staff.lakeside", DEMO_PASSWORD)
    with pytest.raises(PermissionDenied):
        await client.get_payment(eop.linked_id)
    with pytest.raises(NotFound):
        await client.get_document(eop.id)
    assert (await client.search_documents(DocumentQuery(kind="eop"))).total == 0
    assert (await client.list_documents(kind="eop")).items == []
    assert _refusals(world, eop.id) == 1
    await client.sign_out()
    # Billing may read payments, and so the EOP.
    await client.sign_in("billing.acme", DEMO_PASSWORD)
    assert (await client.get_document(eop.id)).id == eop.id


async def test_billing_cannot_download_a_preauth_clinical_attachment(
    world: Services, client: RemoteClient
) -> None:
    """Attack: billing users may read a preauthorization but not its clinical answers; they
    downloaded its clinical attachment with `portal documents save` (a read by id) anyway."""
    with world.db.read() as conn:
        billing = conn.execute(
            select(users.c.id).where(users.c.username == "billing.acme")
        ).scalar()
        staff = conn.execute(
            select(users.c.id).where(users.c.username == "staff.lakeside")
        ).scalar()
        shared = select(user_affiliations.c.npi).where(user_affiliations.c.user_id == billing)
        number = conn.execute(
            select(preauth_requests.c.number)
            .where(
                preauth_requests.c.tin == MAIN_TIN,
                preauth_requests.c.status == "pended",
                preauth_requests.c.requesting_npi.in_(shared),
                exists().where(
                    and_(
                        user_affiliations.c.user_id == staff,
                        or_(
                            user_affiliations.c.npi == preauth_requests.c.requesting_npi,
                            user_affiliations.c.npi == preauth_requests.c.servicing_npi,
                        ),
                    )
                ),
            )
            .order_by(preauth_requests.c.id)
        ).scalar()
    assert number is not None
    await client.sign_in("staff.lakeside", DEMO_PASSWORD)
    notes = UploadFile(file_name="clinical-notes.txt", content=b"History of present illness ...")
    detail = await client.attach_preauth_files(number, [notes])
    assert detail.attachments
    attachment = detail.attachments[0].id
    assert (await client.get_document(attachment)).content.startswith(b"History")
    await client.sign_out()

    await client.sign_in("billing.acme", DEMO_PASSWORD)
    seen = await client.get_preauth(number)
    assert seen.answers is None and seen.attachments is None
    with pytest.raises(NotFound):
        await client.get_document(attachment)
    listed = await client.search_documents(DocumentQuery(linked_kind="preauth", linked_id=number))
    assert attachment not in [d.id for d in listed.items]
    assert all(d.kind == "letter" for d in listed.items)
    assert _refusals(world, attachment) == 1


async def test_another_tins_administrator_reads_none_of_the_tins_documents(
    world: Services, client: RemoteClient
) -> None:
    """Attack: an administrator of another organization asks for the main TIN's documents by id
    (ids are sequential)."""
    letter, _ = _admission_letter(world)
    await client.sign_in("admin.acme", DEMO_PASSWORD)
    with pytest.raises(NotFound):
        await client.get_document(letter)
    assert (await client.search_documents(DocumentQuery())).total == 0
