"""A SOQL subset: parse and bind a query against an `Org`'s schema, rejecting what Salesforce
rejects with Salesforce's error codes and messages.

Supported: `SELECT` fields (dotted relationship paths, `COUNT()`, `COUNT(Id)`), `FROM`, `WHERE`
with AND/OR/NOT/parentheses (no AND/OR mix without parentheses, as in Salesforce), `= != <> < <=
> >= IN NOT IN LIKE`, string/number/boolean/null/date/datetime literals, `ORDER BY` (ASC/DESC,
NULLS FIRST/LAST), `LIMIT`, `OFFSET`. Not supported: GROUP BY, date literals such as TODAY,
semi-joins, TYPEOF, functions. Evaluation lives in `soql_eval`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .ids import to_id18
from .schema import ID_TYPES, NOT_QUERYABLE, STRING_TYPES, FieldSpec, SObjectSpec
from .soql_syntax import (
    BAD_RELATIONSHIP,
    INVALID_FIELD,
    INVALID_QUERY_FILTER_OPERATOR,
    INVALID_TYPE,
    MALFORMED_QUERY,
    MAX_OFFSET,
    NO_SUCH_COLUMN,
    NOT_FILTERABLE_CODE,
    NOT_SORTABLE_CODE,
    NOT_SUPPORTED_TYPE,
    NUMBER_OUTSIDE_VALID_RANGE,
    BoolOp,
    Comparison,
    Hop,
    Node,
    Not,
    OrderItem,
    Path,
    Query,
    SoqlError,
    Token,
    tokenize,
)

if TYPE_CHECKING:
    from .org import Org


class _Parser:
    def __init__(self, text: str, org: Org):
        self.text, self.org = text, org
        self.tokens = tokenize(text)
        self.i = 0

    # -- token helpers
    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, tok: Token, code: str = MALFORMED_QUERY,
              message: str | None = None) -> SoqlError:
        return SoqlError(code, message or f"unexpected token: '{tok.raw}'", self.text, tok.pos)

    def is_kw(self, *words: str) -> bool:
        tok = self.peek()
        return tok.kind == "keyword" and tok.value in words

    def expect_kw(self, word: str) -> Token:
        if not self.is_kw(word):
            raise self.error(self.peek())
        return self.next()

    def expect_punct(self, ch: str) -> Token:
        tok = self.next()
        if tok.kind != "punct" or tok.value != ch:
            raise self.error(tok)
        return tok

    # -- grammar
    def parse(self) -> Query:
        self.expect_kw("SELECT")
        items: list[Token] = []
        count: str | None = None
        count_arg: Token | None = None
        while True:
            tok = self.next()
            if tok.kind == "ident" and tok.value.upper() == "COUNT" and self.peek().raw == "(":
                self.next()
                inner = self.next()
                if inner.kind == "punct" and inner.value == ")":
                    count = "COUNT()"
                elif inner.kind == "ident":
                    self.expect_punct(")")
                    count = f"COUNT({inner.value})"
                    count_arg = inner
                else:
                    raise self.error(inner)
            elif tok.kind == "ident":
                items.append(tok)
            else:
                raise self.error(tok)
            if self.peek().raw != ",":
                break
            self.next()
        self.expect_kw("FROM")
        obj = self.next()  # `Group` is an object name here, not the GROUP keyword
        if obj.kind not in ("ident", "keyword"):
            raise self.error(obj)
        spec = self.org.describe(obj.raw)
        if spec is None or spec.name in NOT_QUERYABLE or "." in obj.raw:
            raise self.error(obj, INVALID_TYPE, NOT_SUPPORTED_TYPE.format(name=obj.raw))
        query = Query(self.text, spec, count=count)
        if count == "COUNT()" and items:
            raise self.error(items[0])
        if count and items:
            raise SoqlError(MALFORMED_QUERY, f"Field must be grouped or aggregated: "
                            f"{items[0].value}", self.text, items[0].pos)
        if count_arg is not None:
            self.resolve(spec, count_arg)
        seen: set[str] = set()
        for tok in items:
            path = self.resolve(spec, tok)
            if path.text.lower() in seen:
                raise SoqlError(INVALID_FIELD, f"duplicate field selected: {path.text}")
            seen.add(path.text.lower())
            query.fields.append(path)
        if self.is_kw("WHERE"):
            self.next()
            query.where = self.expression(spec)
        if self.is_kw("GROUP", "HAVING"):
            raise self.error(self.peek(), MALFORMED_QUERY, "GROUP BY is not supported by the "
                             "Routing Health emulator")
        if self.is_kw("ORDER"):
            self.next()
            self.expect_kw("BY")
            query.order_by = self.order_items(spec)
        if self.is_kw("LIMIT"):
            self.next()
            query.limit = self.integer()
        if self.is_kw("OFFSET"):
            self.next()
            tok = self.peek()
            query.offset = self.integer()
            if query.offset > MAX_OFFSET:
                raise SoqlError(NUMBER_OUTSIDE_VALID_RANGE,
                                f"Maximum SOQL offset allowed is {MAX_OFFSET}", self.text, tok.pos)
        tail = self.peek()
        if tail.kind != "eof":
            raise self.error(tail)
        return query

    def integer(self) -> int:
        tok = self.next()
        if tok.kind != "number" or not isinstance(tok.value, int) or tok.value < 0:
            raise self.error(tok)
        if tok.value > 2**31 - 1:
            raise self.error(tok, MALFORMED_QUERY, f"numeric value out of range: {tok.raw}")
        return tok.value

    def resolve(self, spec: SObjectSpec, tok: Token) -> Path:
        parts = tok.value.split(".")
        hops, current, names = [], spec, []
        for rel in parts[:-1]:
            ref = current.relationship(rel)
            if ref is None or not ref.reference_to:
                raise self.error(tok, INVALID_FIELD, BAD_RELATIONSHIP.format(name=rel))
            target = ref.reference_to[0] if len(ref.reference_to) == 1 else "Name"
            hops.append(Hop(ref.name, target, ref.relationship_name or rel))
            names.append(ref.relationship_name or rel)
            current = self.org.schemas[target]
        leaf = current.field(parts[-1])
        if leaf is None:
            raise self.error(tok, INVALID_FIELD,
                             NO_SUCH_COLUMN.format(field=parts[-1], entity=current.name))
        return Path(".".join([*names, leaf.name]), tuple(hops), leaf, current.name)

    def expression(self, spec: SObjectSpec) -> Node:
        items = [self.unary(spec)]
        op = None
        while self.is_kw("AND", "OR"):
            tok = self.next()
            if op is not None and tok.value != op:
                raise self.error(tok)  # Salesforce wants parentheses when mixing AND and OR
            op = tok.value
            items.append(self.unary(spec))
        return items[0] if op is None else BoolOp(op, items)

    def unary(self, spec: SObjectSpec) -> Node:
        if self.is_kw("NOT"):
            self.next()
            return Not(self.unary(spec))
        if self.peek().raw == "(":
            self.next()
            node = self.expression(spec)
            self.expect_punct(")")
            return node
        return self.comparison(spec)

    def comparison(self, spec: SObjectSpec) -> Comparison:
        tok = self.next()
        if tok.kind != "ident":
            raise self.error(tok)
        path = self.resolve(spec, tok)
        if not path.leaf.filterable:
            raise self.error(tok, NOT_FILTERABLE_CODE,
                             f"field '{path.leaf.name}' can not be filtered in a query call")
        op_tok = self.next()
        if op_tok.kind == "op":
            op = "!=" if op_tok.value == "<>" else op_tok.value
            value = self.literal()
        elif op_tok.kind == "keyword" and op_tok.value in ("IN", "NOT", "LIKE"):
            op = op_tok.value
            if op == "NOT":
                self.expect_kw("IN")
                op = "NOT IN"
            if op == "LIKE":
                value = self.literal()
            else:
                self.expect_punct("(")
                values = [self.literal()]
                while self.peek().raw == ",":
                    self.next()
                    values.append(self.literal())
                self.expect_punct(")")
                value = values
        else:
            raise self.error(op_tok)
        return Comparison(path, op, self.check(path, op, value, op_tok))

    def literal(self) -> tuple[str, Any]:
        tok = self.next()
        if tok.kind in ("string", "number", "datetime", "date"):
            return (tok.kind, tok.value)
        if tok.kind == "keyword" and tok.value in ("TRUE", "FALSE"):
            return ("boolean", tok.value == "TRUE")
        if tok.kind == "keyword" and tok.value == "NULL":
            return ("null", None)
        raise self.error(tok)

    def check(self, path: Path, op: str, value: Any, tok: Token) -> Any:
        """Type-check literals against the field, Salesforce-style; returns normalised values."""
        leaf = path.leaf
        id_like = leaf.type in ID_TYPES and not self.org.schemas[path.entity].virtual
        if op == "LIKE":
            if id_like:
                raise self.error(tok, INVALID_QUERY_FILTER_OPERATOR, "invalid operator on id field")
            if leaf.type not in STRING_TYPES or value[0] != "string":
                raise self.error(tok, INVALID_FIELD, f"invalid operator on {leaf.type} field")
            return value[1]
        if op in ("<", "<=", ">", ">=") and (leaf.type == "boolean" or id_like):
            kind = "id" if id_like else "boolean"
            raise self.error(tok, INVALID_QUERY_FILTER_OPERATOR,
                             f"invalid operator on {kind} field")
        literals = value if isinstance(value, list) else [value]
        out = []
        for kind, raw in literals:
            if kind == "null":
                out.append(None)
                continue
            expected = _LITERAL_KIND.get(leaf.type, "string")
            if kind != expected:
                raise self.error(tok, INVALID_FIELD, _type_message(leaf))
            if id_like:
                norm = to_id18(raw) if raw else None
                if raw and norm is None:
                    raise self.error(tok, INVALID_QUERY_FILTER_OPERATOR, f"invalid ID field: {raw}")
                raw = norm
            out.append(raw)
        return tuple(out) if isinstance(value, list) else out[0]

    def order_items(self, spec: SObjectSpec) -> list[OrderItem]:
        items = []
        while True:
            tok = self.next()
            if tok.kind != "ident":
                raise self.error(tok)
            path = self.resolve(spec, tok)
            if not path.leaf.sortable:
                raise self.error(tok, NOT_SORTABLE_CODE,
                                 f"field '{path.leaf.name}' can not be sorted in a query call")
            item = OrderItem(path)
            if self.is_kw("ASC", "DESC"):
                item.descending = self.next().value == "DESC"
            item.nulls_first = not item.descending
            if self.is_kw("NULLS"):
                self.next()
                if not self.is_kw("FIRST", "LAST"):
                    raise self.error(self.peek())
                item.nulls_first = self.next().value == "FIRST"
            items.append(item)
            if self.peek().raw != ",":
                return items
            self.next()


_LITERAL_KIND = {
    "datetime": "datetime", "date": "date", "boolean": "boolean", "double": "number",
    "int": "number",
}
_TYPE_WORD = {"datetime": "dateTime", "int": "integer"}


def _type_message(leaf: FieldSpec) -> str:
    word = _TYPE_WORD.get(leaf.type, leaf.type if leaf.type in _LITERAL_KIND else "string")
    quoting = "be enclosed in quotes" if word == "string" else "not be enclosed in quotes"
    return (f"value of filter criterion for field '{leaf.name}' must be of type {word} and "
            f"should {quoting}")


def parse(text: str, org: Org) -> Query:
    """Parse and bind `text` against `org`'s schema; raises `SoqlError` like Salesforce."""
    return _Parser(text, org).parse()
