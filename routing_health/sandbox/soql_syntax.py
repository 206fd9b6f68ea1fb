"""SOQL's words and shapes: Salesforce's error codes and messages, the tokenizer, the parsed query.

The parser (``soql.py``) checks a query against the org's schema; evaluation is ``soql_eval.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .faults import error_body
from .schema import FieldSpec, SObjectSpec

MALFORMED_QUERY = "MALFORMED_QUERY"
INVALID_FIELD = "INVALID_FIELD"
INVALID_TYPE = "INVALID_TYPE"
INVALID_QUERY_FILTER_OPERATOR = "INVALID_QUERY_FILTER_OPERATOR"
NUMBER_OUTSIDE_VALID_RANGE = "NUMBER_OUTSIDE_VALID_RANGE"

# What the emulator answers for WHERE on a non-filterable field (OldValue/NewValue, long text).
# Salesforce's code here is reported both as INVALID_FIELD and INVALID_QUERY_FILTER_OPERATOR;
# the message is the stable part: "field 'OldValue' can not be filtered in a query call".
NOT_FILTERABLE_CODE = INVALID_QUERY_FILTER_OPERATOR
NOT_SORTABLE_CODE = MALFORMED_QUERY
NO_SUCH_COLUMN = (
    "No such column '{field}' on entity '{entity}'. If you are attempting to use a custom field, "
    "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)
NOT_SUPPORTED_TYPE = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, be "
    "sure to append the '__c' after the entity name. Please reference your WSDL or the describe "
    "call for the appropriate names."
)
BAD_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a custom "
    "relationship, be sure to append the '__r' after the custom relationship name. Please "
    "reference your WSDL or the describe call for the appropriate names."
)
MAX_OFFSET = 2000


class SoqlError(Exception):
    """A query Salesforce would refuse: HTTP 400 with `[{"message", "errorCode"}]`."""

    def __init__(self, code: str, message: str, text: str | None = None, pos: int | None = None):
        if text is not None and pos is not None:
            row = text.count("\n", 0, pos) + 1
            line_start = text.rfind("\n", 0, pos) + 1
            line_end = text.find("\n", pos)
            line = text[line_start:] if line_end < 0 else text[line_start:line_end]
            col = pos - line_start + 1
            message = f"\n{line}\n{' ' * (col - 1)}^\nERROR at Row:{row}:Column:{col}\n{message}"
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def body(self) -> list[dict[str, str]]:
        return error_body(self.code, self.message)


_TOKEN_RE = re.compile(
    r"""(?P<ws>\s+)
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<baddt>\d{4}-\d{2}-\d{2}T[\d:.]*)
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>-?\d+(?:\.\d+)?)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<op><>|!=|<=|>=|=|<|>)
    |(?P<punct>[(),*])""",
    re.X,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
_KEYWORDS = frozenset(
    "SELECT FROM WHERE AND OR NOT IN LIKE ORDER BY ASC DESC NULLS FIRST LAST LIMIT OFFSET "
    "TRUE FALSE NULL GROUP HAVING".split()
)


@dataclass(frozen=True)
class Token:
    kind: str  # ident, keyword, string, number, datetime, date, op, punct, eof
    value: Any
    pos: int
    raw: str


def _unescape(body: str, text: str, pos: int) -> str:
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt in "%_":  # kept escaped: only LIKE gives them meaning
                out.append("\\" + nxt)
            elif nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
            else:
                raise SoqlError(MALFORMED_QUERY, f"Invalid string literal '{body}'. Illegal "
                                "character sequence '\\" + nxt + "' in string literal.", text, pos)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _parse_datetime(raw: str) -> datetime:
    """A SOQL datetime literal (`...Z`, `...+05:30`, `...-0800`, optional milliseconds), in UTC."""
    return datetime.fromisoformat(raw).astimezone(UTC)


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            if text[pos] == "'":
                raise SoqlError(MALFORMED_QUERY, f"line 1:{len(text)} mismatched character "
                                "'<EOF>' expecting '''", text, pos)
            raise SoqlError(MALFORMED_QUERY, f"unexpected token: '{text[pos]}'", text, pos)
        kind, raw = m.lastgroup or "", m.group()
        start, pos = pos, m.end()
        if kind == "ws":
            continue
        if kind == "baddt":
            raise SoqlError(MALFORMED_QUERY, f"line 1:{start} no viable alternative at character "
                            f"'{raw}'", text, start)
        value: Any = raw
        try:
            if kind == "datetime":
                value = _parse_datetime(raw)
            elif kind == "date":
                value = date.fromisoformat(raw)
        except ValueError:
            raise SoqlError(MALFORMED_QUERY, f"invalid date: {raw}", text, start) from None
        if kind == "number":
            value = float(raw) if "." in raw else int(raw)
        elif kind == "string":
            value = _unescape(raw[1:-1], text, start)
        elif kind == "ident" and raw.upper() in _KEYWORDS:
            kind, value = "keyword", raw.upper()
        tokens.append(Token(kind, value, start, raw))
    tokens.append(Token("eof", None, len(text), "<EOF>"))
    return tokens


@dataclass(frozen=True)
class Hop:
    """One relationship step: read `field` on the current record, land on `target`."""

    field: str
    target: str
    relationship: str


@dataclass(frozen=True)
class Path:
    text: str  # canonical dotted name, e.g. "Owner.Name": the JSON key path and CSV header
    hops: tuple[Hop, ...]
    leaf: FieldSpec
    entity: str  # the sObject the leaf field belongs to


@dataclass
class Comparison:
    path: Path
    op: str  # = != < <= > >= IN NOT IN LIKE
    value: Any  # literal, or tuple of literals for IN


@dataclass
class BoolOp:
    op: str  # AND / OR
    items: list[Node]


@dataclass
class Not:
    item: Node


Node = Comparison | BoolOp | Not


@dataclass
class OrderItem:
    path: Path
    descending: bool = False
    nulls_first: bool = True


@dataclass
class Query:
    text: str
    spec: SObjectSpec
    fields: list[Path] = field(default_factory=list)
    count: str | None = None  # "COUNT()" or "COUNT(Id)"
    where: Node | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None

    @property
    def sobject(self) -> str:
        return self.spec.name
