"""Records as Salesforce sends them → one canonical text form; SOQL literals.

REST and Bulk API 2.0 give the same field in different shapes (JSON numbers and booleans vs CSV
text); ``canonical_records`` makes them equal, so the sync stores the same value either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

Record = dict[str, Any]

# -- canonical values -------------------------------------------------------------------------
_BOOLEAN_TYPES = frozenset({"boolean"})
_NUMBER_TYPES = frozenset({"int", "long", "double", "currency", "percent"})
_DATETIME_TYPES = frozenset({"datetime"})
_DATE_TYPES = frozenset({"date"})
_TYPED = _BOOLEAN_TYPES | _NUMBER_TYPES | _DATETIME_TYPES | _DATE_TYPES


def canonical_value(
    value: Any, field_type: str | None = None
) -> str | dict[str, Any] | None:
    """One value in Salesforce's text form, whichever API it came through.

    ``field_type`` is the describe type; without it (or for ``anyType``, e.g. LeadHistory
    values) the JSON type of the value decides. Null and the empty string are ``None``;
    checkboxes ``true``/``false``; numbers plain decimals without exponent or trailing ``.0``
    (``2500000``, ``12.5``); dates ``2026-01-05``; datetimes UTC ``2026-01-05T10:11:12.000Z``
    (from ``.000+0000``, ``.000Z``, ``Z`` without milliseconds or any offset); every other
    value its text. A value that does not parse as its type is left as text, for the record's
    parser to report.
    """
    if value is None or value == "":
        return None
    kind = type(value)
    if field_type in _BOOLEAN_TYPES or kind is bool:
        if kind is bool:
            return "true" if value else "false"
        lowered = str(value).lower()
        return lowered if lowered in ("true", "false") else str(value)
    if field_type in _NUMBER_TYPES or kind is int or kind is float:
        return _canonical_number(value)
    if field_type in _DATETIME_TYPES:
        return _canonical_datetime(str(value))
    if field_type in _DATE_TYPES:
        text = str(value)
        return text[:10] if len(text) >= 10 and text[4] == "-" and text[7] == "-" else text
    if isinstance(value, dict):
        return value  # a nested relationship record (REST), left to whoever selected it
    return value if kind is str else str(value)


def _canonical_number(value: Any) -> str:
    text = repr(value) if type(value) is float else str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _canonical_datetime(text: str) -> str:
    # The two forms Salesforce sends (REST ``.000+0000``, Bulk ``.000Z``) without parsing.
    if len(text) == 24 and text[19] == "." and text[23] == "Z":
        return text
    if len(text) == 28 and text[19] == "." and text.endswith("+0000"):
        return text[:23] + "Z"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    if parsed.tzinfo is None:
        return text
    parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


def canonical_records(records: list[Record], types: Mapping[str, str]) -> list[Record]:
    """Every value of ``records`` (changed in place) in canonical form; ``types`` maps
    lower-cased field names to describe types (fields not in it are typed by their values)."""
    if not records:
        return records
    typed: dict[str, str | None] = {}
    for record in records:
        for name, value in record.items():
            if name not in typed:
                typed[name] = types.get(name.lower())
            field_type = typed[name]
            if type(value) is str and field_type not in _TYPED:
                if value == "":
                    record[name] = None
                continue  # text stays as it is: the common case, kept cheap
            record[name] = canonical_value(value, field_type)
    return records


# The datetime form Bulk API 2.0 sends and canonical_value keeps (checked without parsing).
CANONICAL_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


def canonical_table(table: pa.Table, types: Mapping[str, str]) -> pa.Table:
    """``canonical_records`` for a whole Bulk page read as text columns (nulls already null).

    Only the typed columns change, and each distinct value goes through ``canonical_value``
    once, so a page costs its distinct values, not its cells; a datetime column already in
    the canonical form (what Bulk API 2.0 sends) is not touched at all.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for name in table.column_names:
        column = table.column(name)
        field_type = types.get(name.lower())
        if field_type in _TYPED and column.null_count < len(column):
            if field_type in _DATETIME_TYPES:
                canonical = pc.match_substring_regex(column, CANONICAL_DATETIME)
                if pc.all(pc.fill_null(canonical, True)).as_py():
                    columns.append(column)
                    continue
            encoded = column.combine_chunks().dictionary_encode()
            values = [canonical_value(v, field_type) for v in encoded.dictionary.to_pylist()]
            column = pa.chunked_array(
                [pc.take(pa.array(values, pa.string()), encoded.indices)], pa.string()
            )
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _rest_datetime(value: str) -> datetime:
    """``2026-01-05T10:11:12.000+0000`` → an aware UTC datetime."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


def soql_literal(value: str) -> str:
    """Quote a string for SOQL."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def soql_datetime(value: datetime) -> str:
    """A SOQL datetime literal in UTC, floored to the second (SOQL takes no fractions)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
