"""An issued invoice rendered to A4 PDF bytes with fpdf2: no models, no database."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from importlib.resources import files
from pathlib import Path
from typing import cast

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import TTFFont


@dataclass(frozen=True)
class PdfParty:
    """A seller or buyer: a name and its address, email and phone lines."""

    name: str
    lines: Sequence[str] = ()


@dataclass(frozen=True)
class PdfLine:
    """One invoice line, amounts already computed; tax_rate in percent."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class InvoicePdf:
    """Everything printed on an invoice, in the currency's minor-unit exponent."""

    seller: PdfParty
    buyer: PdfParty
    number: str
    issue_date: date
    due_date: date
    currency: str
    exponent: int
    lines: Sequence[PdfLine]
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    amount_paid: Decimal
    amount_due: Decimal
    status_label: str
    notes: str = ""


_FONT = "FiraSans"
_FONT_FILES = {"": "FiraSans-Regular.ttf", "B": "FiraSans-Bold.ttf"}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Unicode categories that print nothing of their own (controls, joiners, combining marks, emoji
# modifiers): dropped when the font lacks them, where anything else becomes _REPLACEMENT.
_SILENT_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me", "Sk"}
_REPLACEMENT = "?"
_PAGES_ALIAS = "{nb}"

_MARGIN = 15.0
_INK = (33, 37, 41)
_MUTED = (108, 117, 125)
_RULE = (222, 226, 230)
_HEADER_FILL = (241, 243, 245)
_STATUS_COLORS = {"paid": (25, 135, 84), "partially paid": (181, 121, 0), "void": (176, 42, 55)}
_STAMPED = {"paid", "void"}
# (heading, width in mm, alignment); the widths fill the 180 mm between the margins.
_COLUMNS = (
    ("Description", 62.0, "L"),
    ("Qty", 14.0, "R"),
    ("Unit price", 23.0, "R"),
    ("Tax %", 13.0, "R"),
    ("Net", 22.0, "R"),
    ("Tax", 21.0, "R"),
    ("Total", 25.0, "R"),
)
_TABLE_SIZE = 9.0
_ROW_LINE = 4.6
_ROW_PAD = 1.6


def _font_path(style: str) -> Path:
    """The installed Fira Sans TTF for a style ("" or "B")."""
    return Path(str(files("fontpkg_fira_sans") / "files" / _FONT_FILES[style]))


def _grouped(value: Decimal, places: int) -> str:
    """A Decimal rounded half up to `places` digits, with thousands separators."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if not rounded:
        rounded = abs(rounded)  # never "-0.00"
    return f"{rounded:,.{places}f}"


def format_amount(value: Decimal, currency: str, exponent: int) -> str:
    """An amount in the currency's minor units with its code: "1,234.50 EUR", "1,235 JPY"."""
    return f"{_grouped(value, exponent)} {currency}"


def _significant_places(value: Decimal) -> int:
    """How many decimal digits the value needs once trailing zeros are gone."""
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _metadata(text: str) -> str:
    """Text for the document information: any character but controls and lone surrogates."""
    return "".join(char for char in text if unicodedata.category(char) not in {"Cc", "Cs"})


def _long_date(day: date) -> str:
    """A date as "1 December 2026", whatever the process locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


class _InvoiceDocument(FPDF):
    """The A4 page set-up: Fira Sans, a status stamp under each page and the page footer."""

    def __init__(self, invoice: InvoicePdf) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.invoice = invoice
        self.status = invoice.status_label.strip().lower()
        # User text must never be taken for the page-count alias: the footer turns it on, the next
        # page's header off again, and output() substitutes only while it is on (the last footer's).
        self.alias_nb_pages("")
        for style in _FONT_FILES:
            self.add_font(_FONT, style, _font_path(style))
        faces = [font for font in self.fonts.values() if isinstance(font, TTFFont)]
        self.glyphs = frozenset(set.intersection(*(set(face.cmap) for face in faces)))
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=20)
        self.c_margin = 1.2
        self.set_title(_metadata(f"Invoice {invoice.number}"))
        self.set_author(_metadata(invoice.seller.name))
        self.set_subject(_metadata(f"Invoice {invoice.number} for {invoice.buyer.name}"))
        self.set_creator("Hub")
        self.set_lang("en")
        self.set_creation_date(datetime.combine(invoice.issue_date, time(), tzinfo=UTC))

    def printable(self, text: str, *, multiline: bool = False) -> str:
        """The text with what the font cannot draw replaced or dropped, so rendering never fails."""
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
        out: list[str] = []
        for char in text:
            if char == "\n" or char in "\u2028\u2029":
                out.append("\n" if multiline else " ")
            elif char.isspace():
                out.append(" ")
            elif ord(char) in self.glyphs:
                out.append(char)
            elif unicodedata.category(char) not in _SILENT_CATEGORIES:
                out.append(_REPLACEMENT)
        return "".join(out)

    @property
    def content_width(self) -> float:
        """The width between the margins."""
        return float(self.epw)

    def use(self, size: float, *, bold: bool = False, color: tuple[int, int, int] = _INK) -> None:
        """Switch font size, weight and colour."""
        self.set_font(_FONT, "B" if bold else "", size)
        self.set_text_color(*color)

    def fitted_cell(self, width: float, height: float, text: str, align: str = "L") -> None:
        """One line of text in a cell, the font shrunk for this cell when the text is too wide."""
        size = self.font_size_pt
        room = width - 2 * self.c_margin
        while self.font_size_pt > 4 and self.get_string_width(text) > room:
            self.set_font_size(self.font_size_pt - 0.5)
        self.cell(width, height, text, align=align)
        self.set_font_size(size)

    def header(self) -> None:
        self.alias_nb_pages("")
        if self.status not in _STAMPED:
            return
        label = self.printable(self.invoice.status_label.upper())
        self.use(96, bold=True, color=(245, 222, 224) if self.status == "void" else (220, 238, 228))
        centre_x, centre_y = self.w / 2, self.h / 2
        with self.rotation(30, x=centre_x, y=centre_y):
            self.text(centre_x - self.get_string_width(label) / 2, centre_y + 12, label)

    def footer(self) -> None:
        self.set_y(-13)
        self.use(8, color=_MUTED)
        half = self.content_width / 2
        self.fitted_cell(half, 5, self.printable(f"Invoice {self.invoice.number}"))
        self.alias_nb_pages(_PAGES_ALIAS)
        self.cell(half, 5, f"Page {self.page_no()} of {_PAGES_ALIAS}", align="R")


def render_invoice_pdf(invoice: InvoicePdf) -> bytes:
    """The invoice as PDF bytes; identical input gives identical bytes."""
    pdf = _InvoiceDocument(invoice)
    pdf.add_page()
    _draw_heading(pdf, invoice)
    _draw_lines(pdf, invoice)
    _draw_totals(pdf, invoice)
    _draw_notes(pdf, invoice)
    return bytes(pdf.output())


def _draw_party(pdf: _InvoiceDocument, party: PdfParty, x: float, width: float, name_size: float) -> None:
    """A party's name in bold and its lines below it, wrapped within the width."""
    pdf.set_x(x)
    pdf.use(name_size, bold=True)
    pdf.multi_cell(width, name_size * 0.5, pdf.printable(party.name), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.use(9, color=_MUTED)
    for line in party.lines:
        pdf.set_x(x)
        pdf.multi_cell(width, 4.4, pdf.printable(line), new_x=XPos.LEFT, new_y=YPos.NEXT)


def _draw_heading(pdf: _InvoiceDocument, invoice: InvoicePdf) -> None:
    """Seller top left; title, status and dates top right; then the buyer under "Bill to"."""
    left, top = pdf.l_margin, pdf.t_margin
    half = pdf.content_width / 2
    right = left + half

    pdf.set_xy(left, top)
    _draw_party(pdf, invoice.seller, left, half - 6, 13)
    seller_bottom = pdf.get_y()

    pdf.set_xy(right, top)
    pdf.use(18, bold=True)
    pdf.multi_cell(
        half, 8, pdf.printable(f"Invoice {invoice.number}"), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT
    )
    label = pdf.printable(invoice.status_label.upper())
    color = _STATUS_COLORS.get(pdf.status, _MUTED)
    pdf.use(9, bold=True, color=color)
    badge = min(pdf.get_string_width(label) + 6, half)
    pdf.set_draw_color(*color)
    pdf.set_line_width(0.4)
    pdf.set_xy(right + half - badge, pdf.get_y() + 1.5)
    pdf.fitted_cell(badge, 6, label, align="C")
    pdf.rect(right + half - badge, pdf.get_y(), badge, 6)
    y = pdf.get_y() + 8.5
    for caption, day in (("Issue date", invoice.issue_date), ("Due date", invoice.due_date)):
        pdf.set_xy(right, y)
        pdf.use(9, color=_MUTED)
        pdf.cell(half - 34, 5, caption, align="R")
        pdf.use(9, bold=True)
        pdf.cell(34, 5, _long_date(day), align="R")
        y += 5
    pdf.set_line_width(0.2)

    pdf.set_xy(left, max(seller_bottom, y) + 8)
    pdf.use(8, bold=True, color=_MUTED)
    pdf.cell(half, 5, "BILL TO", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _draw_party(pdf, invoice.buyer, left, half, 11)
    pdf.set_y(pdf.get_y() + 8)


def _draw_table_header(pdf: _InvoiceDocument, currency: str) -> None:
    """The column headings (repeated on every page the lines run over)."""
    pdf.use(7.5, color=_MUTED)
    pdf.cell(
        pdf.content_width,
        4.5,
        pdf.printable(f"Amounts in {currency}"),
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.use(8.5, bold=True)
    pdf.set_fill_color(*_HEADER_FILL)
    for heading, width, align in _COLUMNS:
        pdf.cell(width, 7, heading, align=align, fill=True)
    pdf.ln(7)


def _line_cells(line: PdfLine, exponent: int) -> list[str]:
    """The figures of a line as printed, quantity and unit price keeping their finer digits."""
    return [
        _grouped(line.quantity, _significant_places(line.quantity)),
        _grouped(line.unit_price, max(exponent, _significant_places(line.unit_price))),
        _grouped(line.tax_rate, _significant_places(line.tax_rate)),
        _grouped(line.net, exponent),
        _grouped(line.tax, exponent),
        _grouped(line.total, exponent),
    ]


def _draw_lines(pdf: _InvoiceDocument, invoice: InvoicePdf) -> None:
    """The lines table: descriptions wrap, a row never splits, the header repeats on a new page."""
    _draw_table_header(pdf, invoice.currency)
    description_width = _COLUMNS[0][1]
    if not invoice.lines:
        pdf.use(_TABLE_SIZE, color=_MUTED)
        pdf.cell(pdf.content_width, 8, "No lines.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    # What one row may hold: a page less its margins, the continuation title and the header.
    most_lines = int((pdf.page_break_trigger - pdf.t_margin - 20 - 2 * _ROW_PAD) // _ROW_LINE)
    for line in invoice.lines:
        pdf.use(_TABLE_SIZE)
        wrapped = pdf.multi_cell(
            description_width,
            _ROW_LINE,
            pdf.printable(line.description, multiline=True),
            dry_run=True,
            output=MethodReturnValue.LINES,
        )
        texts = cast(list[str], wrapped) or [""]
        if len(texts) > most_lines:
            texts = [*texts[: most_lines - 1], texts[most_lines - 1].rstrip() + " …"]
        height = len(texts) * _ROW_LINE + 2 * _ROW_PAD
        if pdf.will_page_break(height):
            pdf.add_page()
            pdf.use(9, bold=True, color=_MUTED)
            pdf.cell(
                pdf.content_width,
                6,
                pdf.printable(f"Invoice {invoice.number} (continued)"),
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            pdf.ln(2)
            _draw_table_header(pdf, invoice.currency)
            pdf.use(_TABLE_SIZE)
        top = pdf.get_y()
        x = pdf.l_margin
        for index, text in enumerate(texts):
            pdf.set_xy(x, top + _ROW_PAD + index * _ROW_LINE)
            pdf.cell(description_width, _ROW_LINE, text)
        x += description_width
        for (_, width, align), figure in zip(_COLUMNS[1:], _line_cells(line, invoice.exponent), strict=True):
            pdf.set_xy(x, top + _ROW_PAD)
            pdf.fitted_cell(width, _ROW_LINE, figure, align=align)
            x += width
        pdf.set_draw_color(*_RULE)
        pdf.line(pdf.l_margin, top + height, pdf.l_margin + pdf.content_width, top + height)
        pdf.set_xy(pdf.l_margin, top + height)


def _draw_totals(pdf: _InvoiceDocument, invoice: InvoicePdf) -> None:
    """Net, tax, total, paid and the amount due, right-aligned under the table."""
    rows = (
        ("Net", invoice.net_total, False),
        ("Tax", invoice.tax_total, False),
        ("Total", invoice.total, True),
        ("Paid", invoice.amount_paid, False),
        ("Amount due", invoice.amount_due, True),
    )
    if pdf.will_page_break(6 + 7 * len(rows)):
        pdf.add_page()
    label_width, value_width = 34.0, 50.0
    x = pdf.l_margin + pdf.content_width - label_width - value_width
    y = pdf.get_y() + 5
    for caption, amount, strong in rows:
        last = caption == "Amount due"
        if strong:
            pdf.set_draw_color(*(_INK if last else _RULE))
            pdf.line(x, y, x + label_width + value_width, y)
        pdf.set_xy(x, y + (1.5 if strong else 0))
        size = 11.0 if last else 9.5
        pdf.use(size, bold=strong, color=_INK if strong else _MUTED)
        pdf.cell(label_width, 6, caption)
        pdf.use(size, bold=strong)
        pdf.fitted_cell(
            value_width,
            6,
            pdf.printable(format_amount(amount, invoice.currency, invoice.exponent)),
            align="R",
        )
        y = pdf.get_y() + 6 + (1.5 if strong else 0)
    pdf.set_xy(pdf.l_margin, y + 4)


def _draw_notes(pdf: _InvoiceDocument, invoice: InvoicePdf) -> None:
    """The invoice's notes, wrapped over the full width, if it has any."""
    notes = pdf.printable(invoice.notes, multiline=True).strip()
    if not notes:
        return
    if pdf.will_page_break(16):
        pdf.add_page()
    pdf.use(9, bold=True)
    pdf.cell(pdf.content_width, 6, "Notes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.use(9, color=_MUTED)
    pdf.multi_cell(pdf.content_width, 4.6, notes, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
