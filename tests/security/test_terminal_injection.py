"""Terminal injection and unsafe file names: text from records printed raw by the CLI, a file name
from a record used as is when saving, and a crash report that shows what the app held.

Each test states the attack; each is refused now (the text is inert, the name is safe, the crash
report shows no locals).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console
from textual.app import App

from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD
from portal_core.demo.catalog import MAIN_TIN
from portal_core.rules.file_names import safe_file_name
from portal_core.services import Services
from portal_core.services.documents import file_document
from portal_tui.crash_report import LEFT_OUT, crash_report
from portal_tui.subcommands import portal

OSC_NAMES = (
    "\x1b]0;pwned\x07title.pdf",  # retitles the terminal window
    "\x1b]52;c;cm0gLXJmIH4=\x07clip.pdf",  # writes the clipboard (OSC 52)
    "\x1b]8;;http://evil.example/\x07click me\x1b]8;;\x07.pdf",  # plants a link (OSC 8)
    "\x9b2J\x1b[2Jcleared.pdf",  # clears the screen (C1 CSI and ESC [)
)
"""Document names an attacker files, each an escape sequence a terminal would obey."""

RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""What must never reach the terminal (tab and newline lay text out)."""


def _file(world: Services, clock: SettableClock, name: str, content: bytes = b"PHI: Jane") -> int:
    with world.db.write() as conn:
        return file_document(
            conn,
            kind="letter",
            tin=MAIN_TIN,
            file_name=name,
            media_type="text/plain",
            content=content,
            at=clock.now() + timedelta(days=1),
            created_by=None,
        )


def _run(world: Services, *args: str, user: str = "admin.lakeside") -> Result:
    env = {"PORTAL_USERNAME": user, "PORTAL_PASSWORD": DEMO_PASSWORD}
    return CliRunner().invoke(
        portal, ["--database-url", world.db.url, *args], env=env, catch_exceptions=False
    )


def test_document_names_do_not_drive_the_terminal(world: Services, clock: SettableClock) -> None:
    """Attack: a document named with OSC sequences (window title, clipboard write, link, screen
    clear) printed raw by `portal documents list` in every format. Now every control character is
    shown as `\\xNN` in tables and CSV, and JSON is ASCII with `\\u` escapes."""
    for name in OSC_NAMES:
        _file(world, clock, name)
    for output_format in ("table", "csv", "json"):
        listed = _run(world, "documents", "list", "--kind", "letter", "--format", output_format)
        assert listed.exit_code == 0, listed.output
        assert not RAW_CONTROL.search(listed.stdout), output_format
        assert not RAW_CONTROL.search(listed.stderr), output_format
    table = _run(world, "documents", "list", "--kind", "letter").stdout
    assert "\\x1b]0;pwned\\x07title.pdf" in table and "\\x9b2J" in table
    rows = list(
        csv.DictReader(io.StringIO(_run(world, "documents", "list", "--format", "csv").stdout))
    )
    assert "\\x1b]52;c;cm0gLXJmIH4=\\x07clip.pdf" in {r["file_name"] for r in rows}
    data = json.loads(_run(world, "documents", "list", "--format", "json").stdout)
    assert set(OSC_NAMES) <= {d["file_name"] for d in data}  # JSON keeps the data exactly


def test_record_text_and_errors_are_inert(
    world: Services, clock: SettableClock, tmp_path: Path
) -> None:
    """Attack: an escape sequence in a record's text reaches the terminal through the lines the
    CLI prints besides tables (a saved file's name, an error message naming what was typed). Now
    everything the CLI prints goes through one place that shows control characters."""
    document_id = _file(world, clock, OSC_NAMES[0])
    saved = _run(world, "documents", "save", str(document_id), str(tmp_path))
    assert saved.exit_code == 0, saved.output
    assert not RAW_CONTROL.search(saved.stdout + saved.stderr)
    refused = _run(world, "claims", "show", "C\x1b]0;pwned\x07")
    assert refused.exit_code != 0 and not RAW_CONTROL.search(refused.stdout + refused.stderr)


def test_no_subcommand_prints_around_the_output_module() -> None:
    """Attack (on the fix): a new command prints a record with `click.echo` and bypasses the
    inert output. Every subcommand prints through `subcommands/output.py`."""
    import portal_tui.subcommands

    root = Path(portal_tui.subcommands.__file__).parent
    allowed = {"output.py"}
    offenders = [
        path.name
        for path in root.glob("*.py")
        if path.name not in allowed
        and re.search(r"click\.echo\(|sys\.stdout|print\(", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("scan\x00.pdf", "scan.pdf"),  # a NUL: no file system takes it (the save crashed)
        ("../../.bashrc", "bashrc"),  # out of the folder, and hidden
        ("C:\\Users\\jane\\scan.pdf", "scan.pdf"),
        ("\x1b]0;pwned\x07.pdf", "]0;pwned.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override hides the type
        ("CON.txt", "_CON.txt"),  # a Windows device name
        ("-rf", "rf"),  # read as an option by the next command
        ("a:b|c?.pdf", "a_b_c_.pdf"),
        ("\x00\x07", "document"),
    ],
)
def test_file_names_from_records_are_made_safe(name: str, expected: str) -> None:
    """Attack: a document's name chooses where a save lands or what it is called (a folder part,
    a NUL that crashed the save, escape sequences, a hidden or device name). Now the name goes
    through `rules/file_names.py` first."""
    assert safe_file_name(name) == expected


def test_long_file_names_keep_their_type() -> None:
    """Attack: a name longer than any file system takes makes the save fail. Now it is cut to 255
    bytes, keeping the extension."""
    cut = safe_file_name("é" * 300 + ".pdf")
    assert cut.endswith(".pdf") and len(cut.encode("utf-8")) <= 255


def test_cli_save_into_a_folder_uses_a_safe_name(
    world: Services, clock: SettableClock, tmp_path: Path
) -> None:
    """Attack: `portal documents save ID FOLDER` with a document named `../escape.txt\\x00`
    writes outside the folder or crashes. Now the file lands in the folder under a safe name."""
    document_id = _file(world, clock, "../escape\x00.txt")
    folder = tmp_path / "saved"
    folder.mkdir()
    saved = _run(world, "documents", "save", str(document_id), str(folder))
    assert saved.exit_code == 0, saved.output
    assert [p.name for p in folder.iterdir()] == ["escape.txt"]
    assert not (tmp_path / "escape.txt").exists()


async def test_tui_saves_a_nul_named_document_without_crashing(
    world: Services, clock: SettableClock
) -> None:
    """Attack: saving (s) a document whose name holds a NUL crashed the TUI, and the crash screen
    showed the document's content. Now the dialog offers a safe name and the save succeeds."""
    from textual.widgets import Input

    from portal_core.client.local import LocalClient
    from portal_core.config import Settings
    from portal_core.paths import data_dir
    from portal_tui.app import PortalApp
    from portal_tui.modals.file_path import FilePathModal
    from tui.driving import settle, sign_in

    _file(world, clock, "\x1b]0;x\x07letter\x00.txt", b"Jane Doe, DOB 01/02/1960")
    app = PortalApp(lambda: LocalClient(world), Settings())
    async with app.run_test(size=(140, 40)) as pilot:
        await sign_in(pilot, "admin.lakeside", DEMO_PASSWORD)
        await pilot.press("0")
        await settle(pilot, lambda: app.current_mode == "documents")
        table = app.screen.query_one("#documents")
        await settle(pilot, lambda: getattr(table, "current", None) is not None)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, FilePathModal))
        offered = app.screen.query_one("#path", Input).value
        assert offered.endswith("]0;xletter.txt") and "\x00" not in offered
        await pilot.press("enter")
        target = data_dir() / "exports" / "]0;xletter.txt"
        await settle(pilot, target.exists)
        assert target.read_bytes() == b"Jane Doe, DOB 01/02/1960"
    assert app.return_code in (0, None)


def _render(renderable: object) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


SECRETS = ("hunter2-SMTP", "tok_live_4f9d", "Jane Doe", "01/02/1960")
"""What the crashing code holds (built at run time below, so no source line shows them)."""


def _save_holding_secrets() -> None:
    smtp_password = "".join(reversed(SECRETS[0]))[::-1]
    token = SECRETS[1].upper().lower()
    content = " ".join(SECRETS[2:]).encode()
    raise ValueError(f"cannot save {content!r} with {smtp_password} {token}")


def test_crash_report_shows_no_locals_or_messages() -> None:
    """Attack: Textual's crash report prints every frame's local variables (`show_locals=True`),
    so a crash while holding a password, a session token or a document printed them. Now the
    portal's crash report shows where it failed and nothing it held: no locals, no message."""
    try:
        _save_holding_secrets()
    except ValueError as error:
        report = crash_report(type(error), error, error.__traceback__)

    text = _render(report)
    assert "ValueError" in text and "_save_holding_secrets" in text and LEFT_OUT in text
    assert not any(secret in text for secret in SECRETS)


async def test_app_crash_screen_shows_no_secret() -> None:
    """Attack: force a crash in the running app with a secret in a local variable and read what
    the terminal is left with. Now the exit screen has the traceback without locals."""
    from portal_core.config import Settings
    from portal_tui.app import PortalApp

    assert "_fatal_error" in vars(App), "Textual renamed the crash handler the portal overrides"

    class Crashing(PortalApp):
        def on_mount(self) -> None:
            password = "correct-horse-SECRET"
            raise RuntimeError(f"boom {password}")

    def no_client() -> object:
        raise AssertionError("not reached")

    app = Crashing(no_client, Settings())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        async with app.run_test():
            pass
    shown = "".join(
        "".join(segment.text for segment in renderable.segments)  # type: ignore[attr-defined]
        for renderable in app._exit_renderables
    )
    assert "RuntimeError" in shown or not app._exit_renderables
    assert "SECRET" not in shown and "password" not in shown.split("RuntimeError")[-1]
