"""Salesforce wire formats: REST JSON records and Bulk API 2.0 CSV pages.

REST datetimes: `2026-01-05T10:11:12.000+0000`; Bulk 2.0 CSV datetimes: `2026-01-05T10:11:12.000Z`;
dates `2026-01-05` in both. REST JSON writes checkboxes as JSON `true`/`false` and numbers as JSON
numbers, fractional types (double, currency, percent) always with a fraction (`2500000.0`, `12.5`),
integers as integers. CSV cells are double-quoted (RFC 4180, quotes doubled), null is an empty
unquoted cell, booleans are `true`/`false`, numbers plain text without a trailing `.0`
(`2500000`, `12.5`); the header row holds the selected field paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from .schema import ADDRESS_COMPONENTS, COMPOUND_TYPES, DOUBLE_TYPES
from .soql_eval import getter
from .soql_syntax import Path, Query

if TYPE_CHECKING:
    from .org import Org

Record = dict[str, Any]

COLUMN_DELIMITERS = {"BACKQUOTE": "`", "CARET": "^", "COMMA": ",", "PIPE": "|",
                     "SEMICOLON": ";", "TAB": "\t"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


def _iso_ms(value: datetime) -> str:
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:-6]


def rest_datetime(value: datetime) -> str:
    """`2026-01-05T10:11:12.000+0000`, the REST API's datetime format."""
    return _iso_ms(value) + "+0000"


def csv_datetime(value: datetime) -> str:
    """`2026-01-05T10:11:12.000Z`, the Bulk API 2.0 CSV datetime format."""
    return _iso_ms(value) + "Z"


def json_value(value: Any, field_type: str | None = None) -> Any:
    """A stored value as REST JSON writes a field of `field_type`."""
    if isinstance(value, datetime):
        return rest_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if field_type in DOUBLE_TYPES and type(value) is int:
        return float(value)  # Salesforce serialises these as doubles: 2500000 → 2500000.0
    return value


def compound_value(name: str, rec: Record) -> dict[str, Any] | None:
    """A compound Address as the REST API returns it, built from its component fields."""
    if name != "Address":
        return None
    parts = {key: rec.get(field) for key, field in ADDRESS_COMPONENTS}
    if all(v is None for v in parts.values()):
        return None
    return {**parts, "geocodeAccuracy": None, "latitude": None, "longitude": None}


def sobject_url(version: str, sobject: str, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{sobject}/{record_id}"


def _attributes(target: str, row: Record, version: str) -> dict[str, str]:
    sobject = row.get("_sobject") or target
    return {"type": target, "url": sobject_url(version, sobject, row["Id"])}


def rest_record(query: Query, rec: Record, org: Org, version: str) -> dict[str, Any]:
    """One record as the REST query resource returns it: `attributes` first, then the selected
    fields; relationship paths become nested objects with their own `attributes` (or null)."""
    out: dict[str, Any] = {"attributes": _attributes(query.sobject, rec, version)}
    related: dict[str, Record | None] = {}
    for path in query.fields:
        if not path.hops:
            if path.leaf.type in COMPOUND_TYPES:
                out[path.leaf.name] = compound_value(path.leaf.name, rec)
                continue
            out[path.leaf.name] = json_value(rec.get(path.leaf.name), path.leaf.type)
            continue
        node, current, prefix = out, rec, ""
        for hop in path.hops:
            prefix += hop.relationship + "."
            if prefix not in related:
                target = org.related(hop.target, current.get(hop.field))
                related[prefix] = target
                node[hop.relationship] = (
                    None if target is None else {"attributes": _attributes(hop.target, target,
                                                                           version)}
                )
            nxt = related[prefix]
            if nxt is None:
                break
            node, current = node[hop.relationship], nxt
        else:
            node[path.leaf.name] = json_value(current.get(path.leaf.name), path.leaf.type)
    return out


def _csv_cell(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return '"' + (value.replace('"', '""') if '"' in value else value) + '"'
    if value is None:
        return ""
    if kind is bool:
        return '"true"' if value else '"false"'
    if kind is datetime:
        return '"' + csv_datetime(value) + '"'
    if kind is date:
        return '"' + value.isoformat() + '"'
    if kind is float:
        # Bulk CSV writes numbers without a trailing `.0`: 2500000.0 → "2500000", 12.5 → "12.5".
        return '"' + (str(int(value)) if value.is_integer() else repr(value)) + '"'
    return '"' + str(value).replace('"', '""') + '"'


class CsvWriter:
    """Formats pages of a Bulk 2.0 result set; built once per job."""

    def __init__(self, fields: Sequence[Path], org: Org, *, column_delimiter: str = "COMMA",
                 line_ending: str = "LF"):
        self.delimiter = COLUMN_DELIMITERS[column_delimiter]
        self.eol = LINE_ENDINGS[line_ending]
        self.header = self.delimiter.join(_csv_cell(p.text) for p in fields)
        self.simple = all(not p.hops for p in fields)
        self.names = [p.leaf.name for p in fields]
        self.getters = [getter(p, org) for p in fields]

    def page(self, rows: Sequence[Record]) -> bytes:
        delimiter, cell = self.delimiter, _csv_cell
        lines = [self.header]
        if self.simple:
            names = self.names
            lines.extend([delimiter.join([cell(rec.get(n)) for n in names]) for rec in rows])
        else:
            getters = self.getters
            lines.extend([delimiter.join([cell(g(rec)) for g in getters]) for rec in rows])
        lines.append("")
        return self.eol.join(lines).encode("utf-8")
