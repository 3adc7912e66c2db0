import io
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from apps.transactions.pdf import InvoicePdf, PdfLine, PdfParty, format_amount, render_invoice_pdf


def make_line(
    description: str, quantity: str = "2", unit_price: str = "617.25", tax_rate: str = "20"
) -> PdfLine:
    net = Decimal(quantity) * Decimal(unit_price)
    tax = net * Decimal(tax_rate) / 100
    return PdfLine(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        tax_rate=Decimal(tax_rate),
        net=net,
        tax=tax,
        total=net + tax,
    )


def make_invoice(
    lines: list[PdfLine] | None = None, currency: str = "EUR", exponent: int = 2, **changes: object
) -> InvoicePdf:
    lines = [make_line("Workshop on the new booking flow")] if lines is None else lines
    net = sum((line.net for line in lines), Decimal(0))
    tax = sum((line.tax for line in lines), Decimal(0))
    invoice = InvoicePdf(
        seller=PdfParty(
            name="Acme Studio GmbH", lines=("Hauptstraße 1", "10115 Berlin", "billing@acme.example")
        ),
        buyer=PdfParty(name="Globex Corporation", lines=("742 Evergreen Terrace", "+1 555 0100")),
        number="INV-000042",
        issue_date=date(2026, 12, 1),
        due_date=date(2026, 12, 15),
        currency=currency,
        exponent=exponent,
        lines=lines,
        net_total=net,
        tax_total=tax,
        total=net + tax,
        amount_paid=Decimal(0),
        amount_due=net + tax,
        status_label="Issued",
        notes="Please pay by bank transfer within 14 days.",
    )
    return replace(invoice, **changes)  # type: ignore[arg-type]


def read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in read(data).pages)


def test_an_invoice_shows_its_number_parties_lines_and_totals() -> None:
    text = text_of(render_invoice_pdf(make_invoice()))
    assert "Invoice INV-000042" in text
    assert "Acme Studio GmbH" in text
    assert "BILL TO" in text
    assert "Globex Corporation" in text
    assert "742 Evergreen Terrace" in text
    assert "Workshop on the new booking flow" in text
    assert "1 December 2026" in text
    assert "15 December 2026" in text
    assert "1,234.50 EUR" in text  # net
    assert "246.90 EUR" in text  # tax
    assert "1,481.40 EUR" in text  # total and amount due
    assert "0.00 EUR" in text  # paid
    assert "Please pay by bank transfer within 14 days." in text
    assert "ISSUED" in text
    assert "Page 1 of 1" in text


@pytest.mark.parametrize(
    ("value", "currency", "exponent", "shown"),
    [
        (Decimal("1234.5"), "EUR", 2, "1,234.50 EUR"),
        (Decimal("1234.5"), "JPY", 0, "1,235 JPY"),
        (Decimal("1.25"), "KWD", 3, "1.250 KWD"),
        (Decimal("1234567.005"), "EUR", 2, "1,234,567.01 EUR"),
        (Decimal("-0.001"), "EUR", 2, "0.00 EUR"),
        (Decimal("1E+3"), "USD", 2, "1,000.00 USD"),
    ],
)
def test_amounts_are_rounded_half_up_to_the_currency_exponent_with_separators(
    value: Decimal, currency: str, exponent: int, shown: str
) -> None:
    assert format_amount(value, currency, exponent) == shown


def test_a_yen_invoice_has_no_decimals() -> None:
    line = make_line("Tea ceremony set", quantity="3", unit_price="411.5", tax_rate="10")
    text = text_of(render_invoice_pdf(make_invoice([line], currency="JPY", exponent=0)))
    assert "1,235 JPY" in text  # 3 x 411.5 = 1,234.5 net
    assert "1,358 JPY" in text  # 1,357.95 total
    assert not re.search(r"\d\.\d+ JPY", text)


def test_a_dinar_invoice_has_three_decimals() -> None:
    line = make_line("Translation", quantity="1", unit_price="1.25", tax_rate="0")
    text = text_of(render_invoice_pdf(make_invoice([line], currency="KWD", exponent=3)))
    assert "1.250 KWD" in text


def test_a_hundred_lines_run_over_pages_with_every_description_and_page_numbers() -> None:
    lines = [
        make_line(f"Item {index:03d}: " + "consulting, preparation and a written summary " * (index % 4 + 1))
        for index in range(100)
    ]
    reader = read(render_invoice_pdf(make_invoice(lines)))
    pages = [page.extract_text() for page in reader.pages]
    count = len(pages)
    assert count > 2
    text = "\n".join(pages)
    for index in range(100):
        assert f"Item {index:03d}:" in text
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in page
        assert "Description" in page  # the table header, repeated where the lines go on
    assert "(continued)" in pages[1]
    assert "Amount due" in pages[-1]


def test_a_long_description_wraps_within_its_column() -> None:
    words = "a very long description that goes on " * 12
    text = text_of(render_invoice_pdf(make_invoice([make_line(words.strip())])))
    description_lines = [line for line in text.splitlines() if "goes on" in line]
    assert len(description_lines) > 3


@pytest.mark.parametrize(
    "name",
    [
        "Ζωή Παπαδοπούλου",
        "Фёдор Достоевский",
        "Zoë Ñúñez-Ärnström",
        "山田太郎",
        "Café 😀👍🏽 Crew",
        "👨\u200d👩\u200d👧 family",
        "bad\x00control\x07chars \ud800 and \u202eright-to-left שלום",
    ],
)
def test_any_unicode_in_user_text_renders(name: str) -> None:
    invoice = make_invoice(
        [make_line(f"Line for {name}")],
        buyer=PdfParty(name=name, lines=(name,)),
        seller=PdfParty(name=name),
        notes=name,
        status_label=name,
    )
    reader = read(render_invoice_pdf(invoice))
    assert reader.metadata is not None
    assert reader.metadata.author is not None
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Line for" in text


@pytest.mark.parametrize("name", ["Ζωή Παπαδοπούλου", "Фёдор Достоевский", "Zoë Ñúñez-Ärnström"])
def test_scripts_the_font_covers_are_found_in_the_text(name: str) -> None:
    text = text_of(render_invoice_pdf(make_invoice(buyer=PdfParty(name=name))))
    assert name in text


def test_characters_the_font_lacks_are_replaced() -> None:
    text = text_of(render_invoice_pdf(make_invoice(buyer=PdfParty(name="Café 山田 😀"))))
    assert "Café ?? ?" in text


def test_user_text_is_never_taken_for_the_page_count() -> None:
    text = text_of(render_invoice_pdf(make_invoice([make_line("Pages {nb} as typed")])))
    assert "Pages {nb} as typed" in text
    assert "Page 1 of 1" in text


def test_paid_and_void_invoices_are_stamped() -> None:
    for label in ("Paid", "Void"):
        text = text_of(render_invoice_pdf(make_invoice(status_label=label)))
        assert text.count(label.upper()) >= 2  # the badge and the stamp


def test_an_invoice_without_lines_or_notes_renders() -> None:
    text = text_of(render_invoice_pdf(make_invoice([], notes="")))
    assert "No lines." in text
    assert "Notes" not in text


def test_two_renders_are_byte_identical() -> None:
    invoice = make_invoice([make_line(f"Item {index}") for index in range(40)], status_label="Paid")
    assert render_invoice_pdf(invoice) == render_invoice_pdf(invoice)


def test_metadata_names_the_invoice_and_its_seller() -> None:
    reader = read(render_invoice_pdf(make_invoice()))
    assert reader.metadata is not None
    assert reader.metadata.title == "Invoice INV-000042"
    assert reader.metadata.author == "Acme Studio GmbH"
    assert reader.metadata.creation_date is not None
    assert reader.metadata.creation_date.date() == date(2026, 12, 1)


def test_a_line_break_in_a_one_line_field_prints_as_a_space() -> None:
    invoice = make_invoice(buyer=PdfParty(name="Ada\r\nLovelace", lines=("Flat 2\u2028Baker Street",)))
    text = text_of(render_invoice_pdf(invoice))
    assert "Ada Lovelace" in text
    assert "Flat 2 Baker Street" in text


def sizes_of(data: bytes) -> dict[str, float]:
    """The font size each text run of the first page is set in."""
    sizes: dict[str, float] = {}

    def visit(text: str, cm: object, tm: object, font: object, size: float) -> None:
        if text.strip():
            sizes[text.strip()] = size

    read(data).pages[0].extract_text(visitor_text=visit)
    return sizes


def test_a_figure_too_wide_for_its_column_is_set_smaller_and_printed_in_full() -> None:
    big = make_line("Fleet", quantity="999999", unit_price="999.9999", tax_rate="20")
    sizes = sizes_of(
        render_invoice_pdf(make_invoice([big, make_line("Tea", quantity="1", unit_price="1.00")]))
    )
    assert sizes["999,998,900.00"] < 9.0  # the net of the big line
    assert sizes["1,199,998,680.00"] < 9.0  # its total
    assert sizes["999,999"] == sizes["1.20"] == 9.0  # what fits keeps the table's size


def test_a_description_longer_than_a_page_is_cut_with_an_ellipsis() -> None:
    description = " ".join(f"w{index}" for index in range(2000))
    text = text_of(render_invoice_pdf(make_invoice([make_line(description), make_line("After it")])))
    assert "w0 w1" in text
    assert "w1999" not in text
    assert "…" in text
    assert "After it" in text
    assert "Amount due" in text


def test_the_totals_and_the_notes_never_split_across_pages() -> None:
    # From one page of lines to two: somewhere in between, the totals and then the notes no
    # longer fit under the last line and move to the next page whole.
    moved = {"totals": 0, "notes": 0}
    for count in range(16, 52, 2):
        lines = [make_line(f"Item {index:03d}") for index in range(count)]
        pages = [page.extract_text() for page in read(render_invoice_pdf(make_invoice(lines))).pages]
        last_line = max(n for n, page in enumerate(pages) if f"Item {count - 1:03d}" in page)
        [totals] = [n for n, page in enumerate(pages) if "Amount due" in page]
        [notes] = [n for n, page in enumerate(pages) if "Please pay by bank transfer" in page]
        assert "Paid" in pages[totals], count
        assert "Notes" in pages[notes], count
        assert last_line <= totals <= notes, count
        moved["totals"] += totals > last_line
        moved["notes"] += notes > totals
    assert moved["totals"] > 0
    assert moved["notes"] > 0
