"""CSV answers: streamed row by row, every cell safe to open in a spreadsheet.

A cell a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
return) is prefixed with `'`, so a name or a note cannot run as one (CSV injection). Used by the
analytics reports and the contacts export.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like sink that hands back what `csv.writer` writes for one row."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: Any) -> str:
    """Text made inert; numbers (int, Decimal: never a formula, possibly negative) as they are."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_filename(report: str, first: date, last: date) -> str:
    return f"{report}-{first.isoformat()}-{last.isoformat()}.csv"


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    """`rows` is consumed while the answer is sent (an iterator keeps memory flat)."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
