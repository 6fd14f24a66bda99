"""Payments: EOP search (payment number, TIN, payment dates), newest first and lazily paged; enter
opens the EOP with its claims; `s` saves it as a text file only the user can read."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, LoadingIndicator, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.member_text import money
from portal_tui.screens.base import MenuScreen
from portal_tui.screens.claims import CLAIM_COLUMNS, field
from portal_tui.screens.members import end_if_expired
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.claims import (
        ClaimSummary,
        PaymentDetail,
        PaymentSearch,
        PaymentSummary,
    )

PAGE_SIZE = 100
"""Payments fetched per page."""

PAYMENT_COLUMNS: list[Column[PaymentSummary]] = [
    Column("Payment", 14, lambda p: p.payment_number),
    Column("Date", 10, lambda p: f"{p.payment_date:%m/%d/%Y}"),
    Column("Via", 5, lambda p: "EFT" if p.method == "ACH" else "check"),
    Column("Payee", 0, lambda p: p.payee_name),
    Column("Total", 13, lambda p: money(p.total)),
    Column("Claims", 6, lambda p: f"{p.claim_count:,}"),
]


async def save_eop(screen: MenuScreen, payment_number: str) -> str | None:
    """Ask where, fetch the EOP as text and write it 0600; returns what to say."""
    from portal_core.paths import data_dir, write_private_file
    from portal_tui.modals.file_path import FilePathModal

    default = data_dir() / "exports" / f"eop-{payment_number}.txt"
    path = await screen.app.push_screen_wait(FilePathModal("Save the EOP", default))
    if path is None:
        return None
    try:
        content = await screen.client.export_payment(payment_number)
    except PortalError as error:
        return error.message
    try:
        await asyncio.to_thread(write_private_file, Path(path), content)
    except OSError as error:
        return f"The file could not be written: {error.strerror}"
    return f"Saved to {path}."


class PaymentSearchScreen(MenuScreen):
    """Find payments (Explanations of Payment)."""

    MENU = "payments"
    GUIDE = "claims"
    CSS_PATH = stylesheet("payments")
    AUTO_FOCUS = "#payments-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "search", "Search", id="payments.search"),
        Binding("slash", "form", "Form", id="payments.form"),
        Binding("escape", "to_table", "List", show=False, id="payments.to_table"),
        Binding("s", "save", "Save EOP", id="payments.save"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | enter, ctrl+s | payments.search | Search with the form. |
    | / | payments.form | To the form. |
    | escape | payments.to_table | To the list. |
    | s | payments.save | Save the EOP under the cursor as a text file. |
    """

    def compose_content(self) -> ComposeResult:
        yield Static("Payments", classes="screen-title")
        with Horizontal(classes="field-row"):
            yield from field("Payment", "payment-number", "payment no.", 14)
            yield from field("TIN", "tin", "9-digit TIN", 12)
        with Horizontal(classes="field-row"):
            yield from field("Paid from", "paid-from", "YYYY-MM-DD", 12)
            yield from field("to", "paid-to", "YYYY-MM-DD", 12)
        yield Static("", id="payments-message", markup=False)
        yield ResultTable["PaymentSummary"](
            PAYMENT_COLUMNS,
            key=lambda p: p.payment_number,
            empty_text="No payment matches.",
            id="payments-table",
        )

    @property
    def table(self) -> ResultTable[PaymentSummary]:
        return self.query_one("#payments-table", ResultTable)

    def on_mount(self) -> None:
        self.action_search()

    def value(self, field_id: str) -> str:
        """A field's text, stripped."""
        return self.query_one(f"#{field_id}", Input).value.strip()

    def search_from_form(self) -> PaymentSearch:
        """The search the form describes (every payment of 24 months when empty)."""
        from portal_core.models.claims import PaymentSearch

        return PaymentSearch(
            payment_number=self.value("payment-number") or None,
            tin=self.value("tin").replace("-", "") or None,
            paid_from=self.value("paid-from") or None,
            paid_to=self.value("paid-to") or None,
        )

    def say(self, text: str, error: bool = False) -> None:
        """The line above the results."""
        message = self.query_one("#payments-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    @on(Input.Submitted)
    def action_search(self) -> None:
        self.load(self.search_from_form())

    def action_form(self) -> None:
        self.query_one("#payment-number", Input).focus()

    def action_to_table(self) -> None:
        self.table.focus()

    @on(ResultTable.NeedMore, "#payments-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(self.search_from_form(), event.after)

    @work(exclusive=True, group="payments")
    async def load(self, search: PaymentSearch, after: str | None = None) -> None:
        """Fetch a page of payments."""
        table = self.table
        if after is None:
            self.say("Searching…")
        page = await self.fill_table(
            table, after, lambda: self.client.search_payments(search, after=after, limit=PAGE_SIZE)
        )
        if page is None:
            return
        if after is None:
            self.say("Enter opens an EOP; s saves it; / goes to the form.")
            table.focus()

    @on(ResultTable.Opened, "#payments-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        self.app.push_screen(PaymentDetailScreen(event.row.payment_number))  # type: ignore[attr-defined]

    @work(exclusive=True, group="payment-save")
    async def action_save(self) -> None:
        payment = self.table.current
        if payment is not None:
            said = await save_eop(self, payment.payment_number)
            if said:
                self.say(said, error=not said.startswith("Saved"))


class PaymentDetailScreen(MenuScreen):
    """An EOP: the payment, its provider-level adjustments and its claims."""

    MENU = "payments"
    GUIDE = "claims"
    CSS_PATH = stylesheet("payments")
    AUTO_FOCUS = "#eop-claims"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="eop.back"),
        Binding("s", "save", "Save EOP", id="eop.save"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | eop.back | Back to the payments. |
    | s | eop.save | Save the EOP as a text file only you can read. |
    | enter | table.open | Open the claim. |
    """

    def __init__(self, payment_number: str) -> None:
        super().__init__()
        self.payment_number = payment_number
        """The payment shown."""
        self.payment: PaymentDetail | None = None
        """The EOP as last loaded."""

    def compose_content(self) -> ComposeResult:
        yield Static(printable(f"EOP {self.payment_number}"), classes="screen-title", markup=False)
        yield LoadingIndicator(id="eop-loading")
        with VerticalScroll(id="eop-head"):
            yield Static("", id="eop-facts", markup=False)
        yield ResultTable["ClaimSummary"](
            CLAIM_COLUMNS,
            key=lambda c: c.claim_number,
            empty_text="None of its claims is yours to see.",
            id="eop-claims",
        )

    def on_mount(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="eop")
    async def load(self) -> None:
        """Fetch the EOP."""
        from portal_tui.claim_text import payment_text

        table: ResultTable[ClaimSummary] = self.query_one("#eop-claims", ResultTable)
        table.reset()
        try:
            self.payment = await self.client.get_payment(self.payment_number)
        except PortalError as error:
            table.show_error(error.message)
            self.query_one("#eop-facts", Static).update(printable(error.message))
            end_if_expired(self, error)
            return
        finally:
            self.query_one("#eop-loading").display = False
        self.query_one("#eop-facts", Static).update(printable(payment_text(self.payment)))
        table.append_page(self.payment.claims, None, len(self.payment.claims))

    @on(ResultTable.Opened, "#eop-claims")
    def _opened(self, event: ResultTable.Opened) -> None:
        from portal_tui.screens.claim_detail import ClaimDetailScreen

        number = event.row.claim_number  # type: ignore[attr-defined]
        self.app.push_screen(ClaimDetailScreen(number, menu="payments"))

    @work(exclusive=True, group="eop-save")
    async def action_save(self) -> None:
        said = await save_eop(self, self.payment_number)
        if said:
            self.notify(said, severity="information" if said.startswith("Saved") else "error")


MENU_SCREEN = PaymentSearchScreen
"""The screen the payments menu opens on."""
