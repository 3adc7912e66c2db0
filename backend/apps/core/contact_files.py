"""Reading a contacts file (CSV or XLSX) into rows of cells: its shape only, never a contact's rules.

The first row names the columns (`CONTACT_COLUMNS`, case and spaces aside; `first_name` is
required, any other is optional, an unknown or repeated one refuses the file). Every later row
that is not blank is a `FileRow`: its number as a spreadsheet shows it (the header is row 1)
and its cells by column. What a cell must hold is the contact schema's and service's business
(the import validates each row as the API validates a create).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

CONTACT_COLUMNS = ("first_name", "last_name", "email", "phone", "notes", "tags")
REQUIRED_COLUMNS = ("first_name",)
XLSX_MAGIC = b"PK\x03\x04"
# csv's own limit is 128 KiB a cell; no contact field is longer than 5000 characters.
MAX_CELL_CHARS = 100_000


class FileUnreadable(ValueError):
    """The file is not what it claims to be (encoding, CSV or XLSX structure)."""


class FileHeaderInvalid(ValueError):
    """The header row names an unknown, repeated or no required column; `errors` says which."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.errors = errors


class FileTooManyRows(ValueError):
    """More data rows than the import accepts."""


@dataclass(frozen=True)
class FileRow:
    number: int
    cells: dict[str, str]
    extra_cells: bool = False  # cells beyond the named columns


@dataclass(frozen=True)
class ContactFile:
    columns: tuple[str, ...]
    rows: list[FileRow]


def detect_format(content: bytes, filename: str) -> str | None:
    """`xlsx` (a zip container), `csv` (named .csv or .txt, or plain text), or None (something else)."""
    name = filename.lower()
    if content.startswith(XLSX_MAGIC):
        return "xlsx"
    if name.endswith(".xlsx"):
        return "xlsx"  # claims to be one: read as such, refused as unreadable
    if name.endswith((".csv", ".txt")) or not name.rpartition(".")[1]:
        return "csv"
    return None


def read_contact_file(content: bytes, file_format: str, *, max_rows: int) -> ContactFile:
    raw_rows = _xlsx_rows(content) if file_format == "xlsx" else _csv_rows(content)
    try:
        header = next(raw_rows)
    except StopIteration as exc:
        raise FileHeaderInvalid(
            "The file is empty.", [{"field": "header", "message": "No header row."}]
        ) from exc
    columns = _columns(header)
    rows: list[FileRow] = []
    for number, values in enumerate(raw_rows, start=2):
        if not any(value.strip() for value in values):
            continue
        if len(rows) >= max_rows:
            raise FileTooManyRows(f"The file has more than {max_rows} rows.")
        cells = dict(zip(columns, values, strict=False))
        extra = any(value.strip() for value in values[len(columns) :])
        rows.append(FileRow(number=number, cells=cells, extra_cells=extra))
    return ContactFile(columns=columns, rows=rows)


def _columns(header: list[str]) -> tuple[str, ...]:
    columns: list[str] = []
    errors: list[dict[str, str]] = []
    for position, cell in enumerate(header, start=1):
        name = "_".join(cell.strip().lower().split())
        if not name:
            if any(value.strip() for value in header[position:]):
                errors.append({"field": f"header.{position}", "message": "A column without a name."})
            break
        if "\x00" in name or name not in CONTACT_COLUMNS:
            shown = name.replace("\x00", "\\0")[:50]
            errors.append({"field": f"header.{position}", "message": f"Unknown column {shown!r}."})
        elif name in columns:
            errors.append({"field": f"header.{position}", "message": f"Column {name!r} appears twice."})
        columns.append(name)
    errors += [
        {"field": "header", "message": f"Required column {name!r} is missing."}
        for name in REQUIRED_COLUMNS
        if name not in columns
    ]
    if errors:
        allowed = ", ".join(CONTACT_COLUMNS)
        raise FileHeaderInvalid(f"The header row must name columns among: {allowed}.", errors)
    return tuple(columns)


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileUnreadable(f"The CSV file is not UTF-8 (byte {exc.start} is not valid).") from exc
    # The delimiter is the one the header row uses most (Excel writes `;` in some locales).
    first_line = text.partition("\n")[0]
    delimiter = max(",;\t", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for values in reader:
            if any(len(value) > MAX_CELL_CHARS for value in values):
                raise FileUnreadable(
                    f"Row {reader.line_num} has a cell longer than {MAX_CELL_CHARS} characters."
                )
            yield values
    except csv.Error as exc:
        raise FileUnreadable(f"The CSV file is malformed near line {reader.line_num}: {exc}.") from exc


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise FileUnreadable("The file is not a readable XLSX workbook.") from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_xlsx_text(value) for value in values]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as exc:
        raise FileUnreadable("The XLSX workbook's first sheet cannot be read.") from exc
    finally:
        workbook.close()


def _xlsx_text(value: object) -> str:
    """A cell as the text a CSV of it would hold (a whole number without `.0`: phone numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
