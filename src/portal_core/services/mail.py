"""The mail sender: delivers the outbox over SMTP when a server is configured.

Without `smtp_host` mail stays in the outbox (the demo shows it there). Each mail is marked sent, or
has its attempt counted and the error kept, in a short transaction of its own, so a crash half-way
through a batch resends at most one mail. A mail that failed `MAX_ATTEMPTS` times is left alone.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import Connection, RowMapping, select, update

from portal_core.clock import Clock
from portal_core.config import MailSettings
from portal_core.store.engine import Database
from portal_core.store.schema import mail_outbox

MAX_ATTEMPTS = 10
"""Failed attempts after which a mail is no longer tried."""

TIMEOUT_SECONDS = 30.0
"""How long to wait on the SMTP server."""


def _message(row: RowMapping, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(row["created_at"])
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(row["body"])
    return message


def _connect(settings: MailSettings) -> smtplib.SMTP:
    assert settings.smtp_host is not None
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    try:
        server.ehlo()
        if settings.smtp_starttls:
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        if settings.smtp_username:
            server.login(settings.smtp_username, settings.smtp_password or "")
    except BaseException:
        server.close()
        raise
    return server


def _error_text(error: BaseException) -> str:
    # The server's reply or the socket error; never the credentials, which are not in either.
    return f"{type(error).__name__}: {error}"[:500]


def _mark_failed(conn: Connection, mail_id: int, error: BaseException) -> None:
    conn.execute(
        update(mail_outbox)
        .where(mail_outbox.c.id == mail_id)
        .values(attempts=mail_outbox.c.attempts + 1, last_error=_error_text(error))
    )


def _mark_sent(conn: Connection, mail_id: int, at: datetime) -> None:
    conn.execute(
        update(mail_outbox)
        .where(mail_outbox.c.id == mail_id)
        .values(attempts=mail_outbox.c.attempts + 1, sent_at=at, last_error=None)
    )


def deliver_outbox(
    db: Database, mail_settings: MailSettings, clock: Clock, limit: int = 100
) -> int:
    """Send up to `limit` unsent mails, oldest first; returns how many were sent."""
    if not mail_settings.smtp_host:
        return 0
    with db.read() as conn:
        rows = list(
            conn.execute(
                select(mail_outbox)
                .where(mail_outbox.c.sent_at.is_(None), mail_outbox.c.attempts < MAX_ATTEMPTS)
                .order_by(mail_outbox.c.id)
                .limit(limit)
            ).mappings()
        )
    if not rows:
        return 0
    try:
        server = _connect(mail_settings)
    except (OSError, smtplib.SMTPException) as error:
        # The server could not be reached: every mail of the batch had one failed attempt.
        with db.write() as conn:
            for row in rows:
                _mark_failed(conn, row["id"], error)
        return 0
    sent = 0
    try:
        for row in rows:
            try:
                server.send_message(_message(row, mail_settings.sender))
            except (OSError, smtplib.SMTPException) as error:
                with db.write() as conn:
                    _mark_failed(conn, row["id"], error)
                # SMTPException is an OSError too: only a lost connection stops the batch.
                lost = isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(
                    error, smtplib.SMTPException
                )
                if lost:
                    break  # the connection is gone; the rest waits for the next run
                continue
            with db.write() as conn:
                _mark_sent(conn, row["id"], clock.now())
            sent += 1
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return sent
