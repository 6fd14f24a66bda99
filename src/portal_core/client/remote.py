"""`RemoteClient`: the portal over HTTP, speaking to `portal serve`.

Requests follow the route table the server is built from (`portal_core.api.catalog`), so each
method is one line. An error body `{"error": "NotFound", ...}` is raised again as the same
`PortalError` class the local client would raise; a server that cannot be reached is
`BackendUnavailable`. One `httpx.AsyncClient` keeps connections open between calls. Reads
(`GET`, and searches marked idempotent) are tried again after a dropped connection; any request
is tried again when the connection could not even be opened (nothing reached the server).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from portal_core import __version__
from portal_core.api.catalog import ROUTES_BY_METHOD
from portal_core.client.base import PortalClient
from portal_core.client.credentials import TokenStore, open_token_store
from portal_core.config import Settings
from portal_core.errors import (
    ERRORS_BY_NAME,
    BackendUnavailable,
    PortalError,
    SessionExpired,
)
from portal_core.models.audit import AuditEntry
from portal_core.models.common import Page
from portal_core.models.documents import Document, DocumentSummary
from portal_core.models.identity import (
    Account,
    AccountSettings,
    AdminHandover,
    ConsolidationResult,
    LegacyMigration,
    Notification,
    OutboxMail,
    ProviderBrief,
    RecoveryCodes,
    Registration,
    RegistrationOutcome,
    RegistrationProof,
    Role,
    SignInResult,
    TotpEnrollment,
    UserBrief,
)
from portal_core.models.reviews import (
    BulkDecision,
    BulkDecisionPreview,
    CampaignSummary,
    ReviewItem,
    ReviewItemFilter,
    SignOffResult,
)
from portal_core.models.users import (
    ContactUpdate,
    NewUser,
    SignInEvent,
    UserDetail,
    UserFilter,
    UserSummary,
)

if TYPE_CHECKING:
    # Imported when a client is made: `import httpx` also loads Rich (its command line), which
    # the core must not load just by being imported.
    import httpx

T = TypeVar("T")

TIMEOUTS = {"connect": 3.0, "read": 30.0, "write": 30.0, "pool": 5.0}
"""A server that is gone refuses at once (three tries take under a second) and a host that is
gone fails the connect in 3 s, not tried again; a server that accepts but never answers is given
30 s, as sign-off and reports may take a while (the TUI stays usable meanwhile: calls run in
workers)."""

RETRY_DELAYS = (0.2, 0.6)
"""Pauses before the second and third attempt."""

_STATUS_ERRORS: dict[int, type[PortalError]] = {}
for _cls in ERRORS_BY_NAME.values():
    _STATUS_ERRORS.setdefault(_cls.status, _cls)


class RemoteClient(PortalClient):
    """The portal over HTTP."""

    def __init__(
        self,
        server_url: str,
        settings: Settings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        token_store: TokenStore | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        """The server's base URL."""
        self.backend_label = f"remote: {self.server_url}"
        self.tokens = token_store or open_token_store(settings or Settings(), self.server_url)
        """Where the session token is kept between runs (see `client/credentials.py`)."""
        self.token: str | None = self.tokens.load()
        import httpx

        self._http = httpx.AsyncClient(
            base_url=self.server_url,
            transport=transport,
            timeout=httpx.Timeout(**TIMEOUTS),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            headers={"User-Agent": f"portal/{__version__}", "Accept": "application/json"},
        )

    @classmethod
    def connect(
        cls,
        server_url: str,
        settings: Settings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        token_store: TokenStore | None = None,
    ) -> RemoteClient:
        """A client of `server_url` (the same as calling the class)."""
        return cls(server_url, settings, transport, token_store)

    # -- the wire --------------------------------------------------------------------------------
    async def _call(self, name: str, result: type[T], **args: Any) -> T:
        """Call the route serving method `name`; its answer validated as `result`."""
        response = await self._send(name, args)
        if result is bytes:
            raw: Any = response.content
            return raw  # type: ignore[no-any-return]
        value: T = ROUTES_BY_METHOD[name].signature.result_adapter.validate_json(response.content)
        return value

    async def _call_none(self, name: str, **args: Any) -> None:
        await self._send(name, args)

    async def _send(self, name: str, args: dict[str, Any]) -> httpx.Response:
        import httpx

        route = ROUTES_BY_METHOD[name]
        signature = route.signature
        headers: dict[str, str] = {}
        if route.session:
            if self.token is None:
                raise SessionExpired("You are signed out. Sign in again.", reason="missing_token")
            headers["Authorization"] = f"Bearer {self.token}"
        path = route.path.format(
            **{a.name: quote(str(_plain(args[a.name])), safe="") for a in signature.path}
        )
        params = {
            a.name: _plain(args[a.name]) for a in signature.query if args.get(a.name) is not None
        }
        content: bytes | None = None
        if signature.body is not None:
            if signature.body_argument is not None:
                body = args[signature.body_argument]
            else:
                body = signature.body(**{n: args[n] for n in signature.body.model_fields})
            content = body.model_dump_json().encode()
            headers["Content-Type"] = "application/json"
        attempts = 1 + len(RETRY_DELAYS)
        for attempt in range(attempts):
            try:
                response = await self._http.request(
                    route.verb, path, params=params, content=content, headers=headers
                )
            except httpx.ConnectError as error:
                # Refused: nothing reached the server, so any request may be tried again.
                if attempt + 1 < attempts:
                    await asyncio.sleep(RETRY_DELAYS[attempt])
                    continue
                raise self._lost(self._unreachable()) from error
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as error:
                # A kept-alive connection dropped: only a read may be sent again.
                if route.idempotent and attempt + 1 < attempts:
                    await asyncio.sleep(RETRY_DELAYS[attempt])
                    continue
                raise self._lost(self._unreachable()) from error
            except httpx.TimeoutException as error:
                # A connect timeout is not tried again: three would keep the user waiting.
                raise self._lost(
                    BackendUnavailable(
                        f"The portal server ({self.server_url}) did not answer in time. Try again."
                    )
                ) from error
            except httpx.HTTPError as error:
                raise self._lost(self._unreachable()) from error
            if self.on_reachability is not None:
                self.on_reachability(None)
            if response.status_code >= 400:
                raise _error_of(response)
            return response
        raise self._unreachable()  # not reached: the loop returns or raises

    def _lost(self, error: BackendUnavailable) -> BackendUnavailable:
        """`error`, once whoever watches reachability has been told."""
        if self.on_reachability is not None:
            self.on_reachability(error)
        return error

    def _unreachable(self) -> BackendUnavailable:
        return BackendUnavailable(
            f"The portal server cannot be reached ({self.server_url}). Check the network "
            "connection, or try again when the server is back."
        )

    def _keep_token(self, result: SignInResult) -> SignInResult:
        self.token = result.token
        self.tokens.save(result.token)
        return result

    # -- identity, no session needed ------------------------------------------------------------
    async def sign_in(
        self, username: str, password: str, totp_code: str | None = None
    ) -> SignInResult:
        return self._keep_token(
            await self._call(
                "sign_in", SignInResult, username=username, password=password, totp_code=totp_code
            )
        )

    async def register(self, registration: Registration) -> RegistrationOutcome:
        return await self._call("register", RegistrationOutcome, registration=registration)

    async def forgot_username(self, email: str) -> None:
        await self._call_none("forgot_username", email=email)

    async def request_password_reset(self, username: str, email: str) -> None:
        await self._call_none("request_password_reset", username=username, email=email)

    async def confirm_registration_email(self, username: str, code: str) -> None:
        await self._call_none("confirm_registration_email", username=username, code=code)

    async def reset_password(self, token: str, new_password: str) -> None:
        await self._call_none("reset_password", token=token, new_password=new_password)

    async def migrate_legacy_account(self, migration: LegacyMigration) -> SignInResult:
        return self._keep_token(
            await self._call("migrate_legacy_account", SignInResult, migration=migration)
        )

    # -- identity, own account -------------------------------------------------------------------
    async def sign_out(self) -> None:
        if self.token is None:
            return
        try:
            await self._call_none("sign_out")
        except SessionExpired:
            pass
        finally:
            self.token = None
            self.tokens.clear()

    async def account(self) -> Account:
        return await self._call("account", Account)

    async def verify_password(self, password: str) -> None:
        await self._call_none("verify_password", password=password)

    async def change_password(self, current_password: str, new_password: str) -> None:
        await self._call_none(
            "change_password", current_password=current_password, new_password=new_password
        )

    async def begin_totp_enrollment(self) -> TotpEnrollment:
        return await self._call("begin_totp_enrollment", TotpEnrollment)

    async def confirm_totp_enrollment(self, code: str) -> RecoveryCodes:
        return await self._call("confirm_totp_enrollment", RecoveryCodes, code=code)

    async def remove_totp(self, password: str) -> None:
        await self._call_none("remove_totp", password=password)

    async def regenerate_recovery_codes(self, password: str) -> RecoveryCodes:
        return await self._call("regenerate_recovery_codes", RecoveryCodes, password=password)

    async def update_settings(self, changes: AccountSettings) -> Account:
        return await self._call("update_settings", Account, changes=changes)

    async def set_active_tin(self, tin: str) -> Account:
        return await self._call("set_active_tin", Account, tin=tin)

    async def register_additional_tin(
        self, tin: str, proof: RegistrationProof
    ) -> RegistrationOutcome:
        return await self._call(
            "register_additional_tin", RegistrationOutcome, tin=tin, proof=proof
        )

    async def consolidate_account(
        self, other_username: str, other_password: str
    ) -> ConsolidationResult:
        return await self._call(
            "consolidate_account",
            ConsolidationResult,
            other_username=other_username,
            other_password=other_password,
        )

    async def administrators_of(self, tin: str) -> list[UserBrief]:
        return await self._call("administrators_of", list[UserBrief], tin=tin)

    async def offer_admin_handover(self, tin: str, to_user_id: int, my_new_role: Role) -> int:
        return await self._call(
            "offer_admin_handover", int, tin=tin, to_user_id=to_user_id, my_new_role=my_new_role
        )

    async def pending_handovers(self) -> list[AdminHandover]:
        return await self._call("pending_handovers", list[AdminHandover])

    async def answer_admin_handover(self, handover_id: int, accept: bool) -> None:
        await self._call_none("answer_admin_handover", handover_id=handover_id, accept=accept)

    async def start_break_glass(self, reason: str, minutes: int) -> Account:
        return await self._call("start_break_glass", Account, reason=reason, minutes=minutes)

    async def notifications(self, unread_only: bool = False, limit: int = 50) -> list[Notification]:
        return await self._call(
            "notifications", list[Notification], unread_only=unread_only, limit=limit
        )

    async def mark_notifications_read(self, ids: list[int]) -> None:
        await self._call_none("mark_notifications_read", ids=ids)

    async def request_email_change(self, email: str) -> None:
        await self._call_none("request_email_change", email=email)

    async def confirm_email_change(self, code: str) -> None:
        await self._call_none("confirm_email_change", code=code)

    async def outbox(self, limit: int = 50) -> list[OutboxMail]:
        return await self._call("outbox", list[OutboxMail], limit=limit)

    # -- user management -------------------------------------------------------------------------
    async def list_users(
        self, filter: UserFilter, after: str | None = None, limit: int = 100
    ) -> Page[UserSummary]:
        return await self._call(
            "list_users", Page[UserSummary], filter=filter, after=after, limit=limit
        )

    async def get_user(self, user_id: int) -> UserDetail:
        return await self._call("get_user", UserDetail, user_id=user_id)

    async def sign_in_history(self, user_id: int, limit: int = 20) -> list[SignInEvent]:
        return await self._call("sign_in_history", list[SignInEvent], user_id=user_id, limit=limit)

    async def create_user(self, new_user: NewUser) -> UserDetail:
        return await self._call("create_user", UserDetail, new_user=new_user)

    async def update_user_contact(self, user_id: int, changes: ContactUpdate) -> UserDetail:
        return await self._call("update_user_contact", UserDetail, user_id=user_id, changes=changes)

    async def change_role(self, user_id: int, tin: str, role: Role) -> UserDetail:
        return await self._call("change_role", UserDetail, user_id=user_id, tin=tin, role=role)

    async def change_affiliations(self, user_id: int, tin: str, npis: list[str]) -> UserDetail:
        return await self._call(
            "change_affiliations", UserDetail, user_id=user_id, tin=tin, npis=npis
        )

    async def approve_user(self, user_id: int, tin: str, role: Role, npis: list[str]) -> UserDetail:
        return await self._call(
            "approve_user", UserDetail, user_id=user_id, tin=tin, role=role, npis=npis
        )

    async def reject_user(self, user_id: int, tin: str, reason: str) -> UserDetail:
        return await self._call("reject_user", UserDetail, user_id=user_id, tin=tin, reason=reason)

    async def send_password_reset(self, user_id: int) -> None:
        await self._call_none("send_password_reset", user_id=user_id)

    async def unlock_user(self, user_id: int) -> UserDetail:
        return await self._call("unlock_user", UserDetail, user_id=user_id)

    async def deactivate_user(self, user_id: int, tin: str | None, reason: str) -> UserDetail:
        return await self._call(
            "deactivate_user", UserDetail, user_id=user_id, tin=tin, reason=reason
        )

    async def reactivate_user(self, user_id: int, tin: str | None) -> UserDetail:
        return await self._call("reactivate_user", UserDetail, user_id=user_id, tin=tin)

    async def tin_providers(self, tin: str) -> list[ProviderBrief]:
        return await self._call("tin_providers", list[ProviderBrief], tin=tin)

    # -- user reviews ----------------------------------------------------------------------------
    async def list_campaigns(self, tin: str | None = None) -> list[CampaignSummary]:
        return await self._call("list_campaigns", list[CampaignSummary], tin=tin)

    async def open_campaign(self, tin: str) -> CampaignSummary:
        return await self._call("open_campaign", CampaignSummary, tin=tin)

    async def get_campaign(self, campaign_id: int) -> CampaignSummary:
        return await self._call("get_campaign", CampaignSummary, campaign_id=campaign_id)

    async def review_items(
        self,
        campaign_id: int,
        filter: ReviewItemFilter | None = None,
        after: str | None = None,
        limit: int = 200,
    ) -> Page[ReviewItem]:
        return await self._call(
            "review_items",
            Page[ReviewItem],
            campaign_id=campaign_id,
            filter=filter,
            after=after,
            limit=limit,
        )

    async def preview_decision(self, campaign_id: int, bulk: BulkDecision) -> BulkDecisionPreview:
        return await self._call(
            "preview_decision", BulkDecisionPreview, campaign_id=campaign_id, bulk=bulk
        )

    async def decide(self, campaign_id: int, bulk: BulkDecision) -> int:
        return await self._call("decide", int, campaign_id=campaign_id, bulk=bulk)

    async def sign_off(self, campaign_id: int) -> SignOffResult:
        return await self._call("sign_off", SignOffResult, campaign_id=campaign_id)

    async def export_evidence(self, campaign_id: int, format: str = "csv") -> bytes:
        return await self._call("export_evidence", bytes, campaign_id=campaign_id, format=format)

    async def overdue_campaigns(self) -> list[CampaignSummary]:
        return await self._call("overdue_campaigns", list[CampaignSummary])

    async def reassign_targets(self, campaign_id: int) -> list[UserBrief]:
        return await self._call("reassign_targets", list[UserBrief], campaign_id=campaign_id)

    # -- documents and audit ---------------------------------------------------------------------
    async def list_documents(
        self,
        kind: str | None = None,
        tin: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[DocumentSummary]:
        return await self._call(
            "list_documents", Page[DocumentSummary], kind=kind, tin=tin, after=after, limit=limit
        )

    async def get_document(self, document_id: int) -> Document:
        return await self._call("get_document", Document, document_id=document_id)

    async def audit_member_access(
        self, member_id: str, after: str | None = None
    ) -> Page[AuditEntry]:
        return await self._call(
            "audit_member_access", Page[AuditEntry], member_id=member_id, after=after
        )

    async def audit_user_activity(self, user_id: int, after: str | None = None) -> Page[AuditEntry]:
        return await self._call(
            "audit_user_activity", Page[AuditEntry], user_id=user_id, after=after
        )

    async def audit_failed_sign_ins(
        self, since: datetime, after: str | None = None
    ) -> Page[AuditEntry]:
        return await self._call("audit_failed_sign_ins", Page[AuditEntry], since=since, after=after)

    async def close(self) -> None:
        await self._http.aclose()


def _routed(name: str) -> Callable[..., Awaitable[Any]]:
    """A method for client method `name` built from its route alone."""
    signature = inspect.signature(getattr(PortalClient, name))

    async def method(self: RemoteClient, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        del arguments["self"]
        returns = ROUTES_BY_METHOD[name].signature.returns
        if returns is None:
            await self._call_none(name, **arguments)
            return None
        return await self._call(name, returns, **arguments)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = getattr(PortalClient, name).__doc__
    return method


def _not_offered(name: str) -> Callable[..., Awaitable[Any]]:
    """A method for client method `name` that the API does not serve yet."""

    async def method(self: RemoteClient, *args: Any, **kwargs: Any) -> Any:
        raise BackendUnavailable(
            "This part of the portal is not available through a portal server yet; "
            "use the embedded database for it."
        )

    method.__name__ = method.__qualname__ = name
    return method


def _complete(cls: type) -> None:
    """Give `cls` every client method it does not spell out: from its route when the API has one
    (so a new route needs no code here), else one that says it is not offered yet."""
    for name in sorted(PortalClient.__abstractmethods__):
        if name in cls.__dict__:
            continue
        setattr(cls, name, _routed(name) if name in ROUTES_BY_METHOD else _not_offered(name))
    cls.__abstractmethods__ = frozenset()  # type: ignore[attr-defined]


_complete(RemoteClient)


def _plain(value: Any) -> Any:
    """A path or query value as text the server parses back to the same value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _error_of(response: httpx.Response) -> PortalError:
    """The `PortalError` an error response stands for."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        cls = ERRORS_BY_NAME.get(str(body.get("error")))
        field = body.get("field")
        field = field if isinstance(field, str) else None
        reason = body.get("reason")
        if cls is SessionExpired or (response.status_code == 401 and isinstance(reason, str)):
            return SessionExpired(
                body["message"],
                reason=reason if isinstance(reason, str) else "session_expired",
                field=field,
            )
        if cls is not None:
            return cls(body["message"], field=field)
    status = response.status_code
    if status == 401 and "invalid_token" in response.headers.get("www-authenticate", ""):
        return SessionExpired("Your session has ended. Sign in again.")
    if status >= 500:
        return BackendUnavailable(
            f"The portal server had a problem (HTTP {status}). Try again in a moment."
        )
    cls = _STATUS_ERRORS.get(status, PortalError)
    return cls(f"The portal server refused the request (HTTP {status}).")
