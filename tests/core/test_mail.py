"""The outbox sender against a small SMTP listener on 127.0.0.1 (the far end of mail is faked)."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from sqlalchemy import select

from portal_core.clock import SettableClock
from portal_core.config import MailSettings
from portal_core.services.mail import MAX_ATTEMPTS, deliver_outbox
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.schema import mail_outbox


@dataclass
class Inbox:
    """What the fake server received, and how it should behave."""

    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    """Recipients answered with 550."""


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT (no STARTTLS)."""

    inbox: Inbox

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        sender = ""
        recipients: list[str] = []
        self.reply("220 fake.test ESMTP ready")
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                return
            command = raw.decode().strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-fake.test\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n")
            elif verb == "HELO" or verb == "NOOP":
                self.reply("250 ok")
            elif verb == "MAIL":
                # "MAIL FROM:<a@b> SIZE=123": the address is between the angle brackets.
                sender, recipients = command.split("<", 1)[1].split(">", 1)[0], []
                self.reply("250 ok")
            elif verb == "RCPT":
                address = command.split("<", 1)[1].split(">", 1)[0]
                if address in self.inbox.refuse:
                    self.reply("550 no such mailbox")
                else:
                    recipients.append(address)
                    self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if line in (b".\r\n", b".\n", b""):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                self.inbox.messages.append(
                    (sender, recipients, message_from_bytes(b"".join(lines)))
                )
                self.reply("250 queued")
            elif verb == "RSET":
                sender, recipients = "", []
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    handler = type("Handler", (_SmtpHandler,), {"inbox": inbox})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], inbox
    finally:
        server.shutdown()
        server.server_close()


def settings(port: int, *, starttls: bool = False) -> MailSettings:
    return MailSettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=starttls,
        sender="portal@payer.test",
    )


def queue(db: Database, clock: SettableClock, *addresses: str) -> None:
    with db.write() as conn:
        for number, address in enumerate(addresses):
            accounts.queue_mail(conn, address, f"Subject {number}", f"Body {number}\n", clock.now())


def outbox_rows(db: Database) -> list[dict[str, object]]:
    with db.read() as conn:
        return [
            dict(r) for r in conn.execute(select(mail_outbox).order_by(mail_outbox.c.id)).mappings()
        ]


def test_nothing_happens_without_an_smtp_host(db: Database, clock: SettableClock) -> None:
    queue(db, clock, "a@example.org")
    assert deliver_outbox(db, MailSettings(), clock) == 0
    assert outbox_rows(db)[0]["sent_at"] is None
    assert outbox_rows(db)[0]["attempts"] == 0


def test_unsent_mail_is_delivered_once_and_marked(
    db: Database, clock: SettableClock, smtp_server: tuple[int, Inbox]
) -> None:
    port, inbox = smtp_server
    queue(db, clock, "a@example.org", "b@example.org")
    assert deliver_outbox(db, settings(port), clock) == 2
    assert [(s, r) for s, r, _ in inbox.messages] == [
        ("portal@payer.test", ["a@example.org"]),
        ("portal@payer.test", ["b@example.org"]),
    ]
    first = inbox.messages[0][2]
    assert first["Subject"] == "Subject 0" and first["From"] == "portal@payer.test"
    payload = first.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert payload.replace(b"\r\n", b"\n") == b"Body 0\n"
    assert all(row["sent_at"] == clock.now() for row in outbox_rows(db))
    # A second run finds nothing left to send.
    assert deliver_outbox(db, settings(port), clock) == 0
    assert len(inbox.messages) == 2


def test_a_refused_recipient_is_recorded_and_the_rest_still_go(
    db: Database, clock: SettableClock, smtp_server: tuple[int, Inbox]
) -> None:
    port, inbox = smtp_server
    inbox.refuse.add("bad@example.org")
    queue(db, clock, "bad@example.org", "good@example.org")
    assert deliver_outbox(db, settings(port), clock) == 1
    bad, good = outbox_rows(db)
    assert bad["sent_at"] is None and bad["attempts"] == 1
    assert "550" in str(bad["last_error"])
    assert good["sent_at"] is not None and good["last_error"] is None


def test_unreachable_server_counts_an_attempt_and_gives_up_after_the_limit(
    db: Database, clock: SettableClock
) -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    queue(db, clock, "a@example.org")
    for _ in range(MAX_ATTEMPTS + 2):
        assert deliver_outbox(db, settings(port), clock) == 0
    row = outbox_rows(db)[0]
    assert row["attempts"] == MAX_ATTEMPTS
    assert row["sent_at"] is None and row["last_error"]


def test_starttls_required_but_not_offered_sends_nothing(
    db: Database, clock: SettableClock, smtp_server: tuple[int, Inbox]
) -> None:
    port, inbox = smtp_server
    queue(db, clock, "a@example.org")
    assert deliver_outbox(db, settings(port, starttls=True), clock) == 0
    assert inbox.messages == []
    row = outbox_rows(db)[0]
    assert row["attempts"] == 1 and "STARTTLS" in str(row["last_error"]).upper()
