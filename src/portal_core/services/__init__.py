"""Use cases: one service class per area. Each call checks permission and scope, applies the rule,
writes in one transaction and appends the audit row in that same transaction.

`Services` builds them all over one database; the local client and the API server each hold one.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from portal_core.clock import Clock
from portal_core.config import MailSettings
from portal_core.store.engine import Database

if TYPE_CHECKING:
    from portal_core.services.admissions import AdmissionService
    from portal_core.services.announcements import AnnouncementService
    from portal_core.services.audit import AuditService
    from portal_core.services.claim_reports import ClaimReportService
    from portal_core.services.claim_requests import ClaimRequestService
    from portal_core.services.claims import ClaimService
    from portal_core.services.documents import DocumentService
    from portal_core.services.email_proof import EmailProofService
    from portal_core.services.handovers import HandoverService
    from portal_core.services.identity import IdentityService
    from portal_core.services.members import MemberService
    from portal_core.services.messages import MessageService
    from portal_core.services.notifications import NotificationService
    from portal_core.services.payments import PaymentService
    from portal_core.services.preauth import PreauthService
    from portal_core.services.providers import ProviderService
    from portal_core.services.referrals import ReferralService
    from portal_core.services.reviews import ReviewService
    from portal_core.services.users import UserAdminService


class Services:
    """Every service over one database and one clock."""

    def __init__(
        self, db: Database, clock: Clock | None = None, mail: MailSettings | None = None
    ) -> None:
        self.db = db
        """The database all services share."""
        self.clock = clock or Clock()
        """The time source."""
        self.mail = mail or MailSettings()
        """Mail delivery settings."""

    @cached_property
    def identity(self) -> IdentityService:
        from portal_core.services.identity import IdentityService

        return IdentityService(self.db, self.clock, self.mail)

    @cached_property
    def email_proofs(self) -> EmailProofService:
        from portal_core.services.email_proof import EmailProofService

        return EmailProofService(self.db, self.clock, self.mail)

    @cached_property
    def handovers(self) -> HandoverService:
        from portal_core.services.handovers import HandoverService

        return HandoverService(self.db, self.clock, self.mail)

    @cached_property
    def notifications(self) -> NotificationService:
        from portal_core.services.notifications import NotificationService

        return NotificationService(self.db, self.clock, self.mail)

    @cached_property
    def users(self) -> UserAdminService:
        from portal_core.services.users import UserAdminService

        return UserAdminService(self.db, self.clock)

    @cached_property
    def reviews(self) -> ReviewService:
        from portal_core.services.reviews import ReviewService

        return ReviewService(self.db, self.clock)

    @cached_property
    def documents(self) -> DocumentService:
        from portal_core.services.documents import DocumentService

        return DocumentService(self.db, self.clock)

    @cached_property
    def audit(self) -> AuditService:
        from portal_core.services.audit import AuditService

        return AuditService(self.db, self.clock)

    @cached_property
    def members(self) -> MemberService:
        from portal_core.services.members import MemberService

        return MemberService(self.db, self.clock)

    @cached_property
    def claims(self) -> ClaimService:
        from portal_core.services.claims import ClaimService

        return ClaimService(self.db, self.clock)

    @cached_property
    def payments(self) -> PaymentService:
        from portal_core.services.payments import PaymentService

        return PaymentService(self.db, self.clock)

    @cached_property
    def claim_requests(self) -> ClaimRequestService:
        from portal_core.services.claim_requests import ClaimRequestService

        return ClaimRequestService(self.db, self.clock)

    @cached_property
    def claim_reports(self) -> ClaimReportService:
        from portal_core.services.claim_reports import ClaimReportService

        return ClaimReportService(self.db, self.clock)

    @cached_property
    def messages(self) -> MessageService:
        from portal_core.services.messages import MessageService

        return MessageService(self.db, self.clock)

    @cached_property
    def preauth(self) -> PreauthService:
        from portal_core.services.preauth import PreauthService

        return PreauthService(self.db, self.clock)

    @cached_property
    def admissions(self) -> AdmissionService:
        from portal_core.services.admissions import AdmissionService

        return AdmissionService(self.db, self.clock)

    @cached_property
    def referrals(self) -> ReferralService:
        from portal_core.services.referrals import ReferralService

        return ReferralService(self.db, self.clock)

    @cached_property
    def providers(self) -> ProviderService:
        from portal_core.services.providers import ProviderService

        return ProviderService(self.db, self.clock)

    @cached_property
    def announcements(self) -> AnnouncementService:
        from portal_core.services.announcements import AnnouncementService

        return AnnouncementService(self.db, self.clock)
