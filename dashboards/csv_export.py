"""CSV downloads of the dashboard's tables, streamed and safe to open in a spreadsheet.

``csv_response(filename, header, rows)`` streams ``rows`` (any iterable, e.g. a generator over
a query read ``CSV_CHUNK`` rows at a time) as ``text/csv``: booleans as ``true``/``false``,
floats to four decimals without trailing zeros, datetimes in ISO 8601, ``None`` as an empty
cell, and every cell protected against formula injection (``csv_cell``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from django.http import StreamingHttpResponse

# Rows read from the database per round trip when a query is streamed (``.iterator``).
CSV_CHUNK = 2000
# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_value(value: object) -> object:
    """A typed value as its CSV text (booleans, floats, datetimes); others unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A streamed CSV download; every cell neutralised against spreadsheet formulas."""

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_cell(csv_value(value)) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
