"""The errors every service, client and the API raise.

```
PortalError                     a rule or condition the user can understand; message shown as is
 ├── NotFound                   no such record, or not one this user may see (no existence leak)
 ├── PermissionDenied           the role may not do this
 ├── ValidationFailed           bad input; `field` names the input when there is one
 │    └── RequestTooLarge       the request body is over the server's limit
 ├── Conflict                   the record changed or a rule about other records forbids it
 ├── AuthenticationFailed       wrong credentials, locked account, bad code
 │    ├── SecondFactorRequired  the password was right; a TOTP code is needed
 │    ├── MigrationRequired     an old-portal account: choose a new username and password first
 │    └── TooManyAttempts       refused unchecked after too many failed attempts (wait or reset)
 ├── SessionExpired             no token, idle or absolute timeout, sign-out, or revocation
 └── BackendUnavailable         the database or the server cannot be reached
```

Messages never carry PHI or secrets: they may end up in a toast, a log line or an HTTP body.
"""

from __future__ import annotations


class PortalError(Exception):
    """Base of every error the portal raises on purpose."""

    status: int = 400
    """The HTTP status the API maps this error to."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        """Plain words for the user."""
        self.field = field
        """The input field at fault, when there is one."""

    def __str__(self) -> str:
        return self.message


class NotFound(PortalError):
    status = 404


class PermissionDenied(PortalError):
    status = 403


class ValidationFailed(PortalError):
    status = 400


class RequestTooLarge(ValidationFailed):
    status = 413


class Conflict(PortalError):
    status = 409


class AuthenticationFailed(PortalError):
    status = 401


class SecondFactorRequired(AuthenticationFailed):
    status = 401


class MigrationRequired(AuthenticationFailed):
    status = 401


class TooManyAttempts(AuthenticationFailed):
    status = 429


class SessionExpired(PortalError):
    """No live session: HTTP 401 with a `reason` a program can act on."""

    status = 401

    def __init__(
        self, message: str, *, reason: str = "session_expired", field: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.reason = reason
        """`missing_token`, `session_expired`, `idle_timeout` or `session_lifetime`."""


class BackendUnavailable(PortalError):
    status = 503


ERRORS_BY_NAME: dict[str, type[PortalError]] = {
    cls.__name__: cls
    for cls in (
        PortalError,
        NotFound,
        PermissionDenied,
        ValidationFailed,
        RequestTooLarge,
        Conflict,
        AuthenticationFailed,
        SecondFactorRequired,
        MigrationRequired,
        TooManyAttempts,
        SessionExpired,
        BackendUnavailable,
    )
}
"""Error classes by name, so the remote client can raise the same class the server raised."""
