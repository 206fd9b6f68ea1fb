"""Evaluate a bound SOQL `Query` over an `Org`: compiled predicates, ordering, OFFSET/LIMIT.

SOQL semantics kept: text comparisons are case-insensitive; `!=` and `NOT IN` match nulls; `<`
and friends never match nulls; the default sort is ASC NULLS FIRST (DESC: NULLS LAST); rows
without ORDER BY come in insertion order. `query` skips IsDeleted and IsArchived rows, `queryAll`
keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .schema import STRING_TYPES
from .soql_syntax import BoolOp, Comparison, Node, Not, OrderItem, Path, Query

if TYPE_CHECKING:
    from .org import Org

Record = dict[str, Any]
Getter = Callable[[Record], Any]


def getter(path: Path, org: Org) -> Getter:
    """A function reading `path` (possibly through relationships) from a record."""
    name = path.leaf.name
    if not path.hops:
        return lambda rec: rec.get(name)
    hops = [(hop.field, hop.target) for hop in path.hops]

    def get(rec: Record) -> Any:
        current: Record | None = rec
        for ref_field, target in hops:
            current = org.related(target, current.get(ref_field))
            if current is None:
                return None
        return current.get(name)

    return get


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _like_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "%_":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _comparison(node: Comparison, org: Org) -> Callable[[Record], bool]:
    get = getter(node.path, org)
    fold = node.path.leaf.type in STRING_TYPES
    norm = _fold if fold else (lambda v: v)
    op, lit = node.op, node.value
    if op == "LIKE":
        match = _like_regex(lit).fullmatch
        return lambda r: isinstance(v := get(r), str) and match(v) is not None
    if op in ("IN", "NOT IN"):
        has_null = None in lit
        values = frozenset(norm(v) for v in lit if v is not None)

        def member(r: Record) -> bool:
            v = get(r)
            return has_null if v is None else norm(v) in values

        return member if op == "IN" else (lambda r: not member(r))
    if lit is None:
        if op == "=":
            return lambda r: get(r) is None
        if op == "!=":
            return lambda r: get(r) is not None
        return lambda r: False
    lit = norm(lit)
    if op == "=":
        if fold:
            return lambda r: isinstance(v := get(r), str) and v.lower() == lit
        return lambda r: get(r) == lit
    if op == "!=":
        return lambda r: (v := get(r)) is None or norm(v) != lit
    compare = {"<": lambda a: a < lit, "<=": lambda a: a <= lit,
               ">": lambda a: a > lit, ">=": lambda a: a >= lit}[op]
    return lambda r: (v := get(r)) is not None and compare(norm(v))


def predicate(node: Node, org: Org) -> Callable[[Record], bool]:
    """Compile a WHERE tree into a function of a record."""
    if isinstance(node, Comparison):
        return _comparison(node, org)
    if isinstance(node, Not):
        inner = predicate(node.item, org)
        return lambda r: not inner(r)
    assert isinstance(node, BoolOp)
    parts = [predicate(item, org) for item in node.items]
    if node.op == "AND":
        return lambda r: all(p(r) for p in parts)
    return lambda r: any(p(r) for p in parts)


def order(records: list[Record], items: list[OrderItem], org: Org) -> list[Record]:
    """Sort by ORDER BY items (stable, last key first), with SOQL's null placement."""
    for item in reversed(items):
        get = getter(item.path, org)
        fold = item.path.leaf.type in STRING_TYPES
        null_rank = 0 if item.nulls_first != item.descending else 1
        other = 1 - null_rank

        def key(rec: Record, get: Getter = get, fold: bool = fold, nr: int = null_rank,
                other: int = other) -> tuple[int, Any]:
            v = get(rec)
            if v is None:
                return (nr, None)
            return (other, v.casefold() if fold and isinstance(v, str) else v)

        records.sort(key=key, reverse=item.descending)
    return records


def _visible(query: Query, org: Org, include_deleted: bool) -> list[Record]:
    rows = org.records(query.sobject)
    if include_deleted:
        return rows
    spec = query.spec
    if spec.has("IsArchived"):
        return [r for r in rows if not r.get("IsDeleted") and not r.get("IsArchived")]
    if spec.has("IsDeleted"):
        return [r for r in rows if not r.get("IsDeleted")]
    return rows


def select(query: Query, org: Org, *, include_deleted: bool = False,
           apply_order: bool = True) -> list[Record]:
    """The records matching `query`, ordered, with OFFSET/LIMIT applied (a stable snapshot)."""
    with org.lock:
        rows = _visible(query, org, include_deleted)
        if query.where is not None:
            keep = predicate(query.where, org)
            rows = [r for r in rows if keep(r)]
        if apply_order and query.order_by:
            rows = order(rows, query.order_by, org)
        start = query.offset or 0
        end = None if query.limit is None else start + query.limit
        return rows[start:end] if (start or end is not None) else rows


def count(query: Query, org: Org, *, include_deleted: bool = False) -> int:
    """`COUNT()`: how many records match (OFFSET/LIMIT applied, as Salesforce does)."""
    return len(select(query, org, include_deleted=include_deleted, apply_order=False))
