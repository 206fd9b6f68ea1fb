"""Parsing a Bulk API 2.0 page column by column, for the large backfills (issue 18).

A page arrives as a ``pyarrow`` table of canonical text (``SalesforceClient.bulk_query_tables``).
Each column is parsed at once: the values in the form Salesforce sends (18-character Ids,
``2026-01-05T10:11:12.000Z`` datetimes) go through a vectorised path, and every other value
(null where one is required, a 15-character Id, an offset, something unparseable) through the
record parser of ``routing_health.sync.records``, so the values stored and the malformed
records skipped, with their messages, are the ones of the record path, only much cheaper.
A record is malformed by the first of its fields, in the order the record writer reads them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from routing_health.lib.sfid import QUEUE_PREFIX, USER_PREFIX, to_18_series
from routing_health.salesforce.records import CANONICAL_DATETIME
from routing_health.sync.records import MalformedRecord, parse_date, parse_datetime, parse_id

log = logging.getLogger(__name__)

_ID18 = r"^[A-Za-z0-9]{18}$"


class Columns:
    """The columns of one page (or of some of its rows), with the first problem of each row.

    ``positions`` are the rows' places in the page, so problems found on parts of a page
    are logged in page order (``log_skipped``).
    """

    def __init__(self, table: pa.Table, positions: np.ndarray | None = None) -> None:
        self.table = table
        self.n = table.num_rows
        self.positions = np.arange(self.n) if positions is None else positions
        self.problems: dict[int, str] = {}  # row → message of its first malformed field

    def subset(self, mask: np.ndarray) -> Columns:
        """The rows of ``mask`` (their problems so far are not carried over)."""
        return Columns(self.table.filter(pa.array(mask)), self.positions[mask])

    # -- raw values ---------------------------------------------------------------------------
    def arrow(self, name: str) -> pa.Array:
        """Column ``name`` as one text array (all null when the page does not have it, as
        ``record.get(name)`` is None)."""
        if name not in self.table.column_names:
            return pa.nulls(self.n, pa.string())
        return self.table.column(name).combine_chunks()

    def values(self, name: str) -> np.ndarray:
        """Column ``name`` as Python values (``str`` or None) in an object array."""
        return self.arrow(name).to_numpy(zero_copy_only=False).astype(object)

    def _record_parse(
        self, name: str, rows: np.ndarray, raw: np.ndarray, parse: Callable[[Any], Any], out: Any
    ) -> None:
        """Parse ``rows`` (positions in this part) one by one with the record parser; the
        problem is kept only when the row has none from an earlier field."""
        for i in np.flatnonzero(rows):
            try:
                out[i] = parse(raw[i])
            except MalformedRecord as exc:
                self.problems.setdefault(int(i), str(exc))

    # -- typed columns ------------------------------------------------------------------------
    def ids(self, name: str, *, required: bool = True) -> np.ndarray:
        """``parse_id`` over a column: 18-character Ids kept as sent (shape only, like the
        record path), the rest through ``parse_id``; ``""`` for a missing optional Id."""
        column = self.arrow(name)
        raw = column.to_numpy(zero_copy_only=False).astype(object)
        fast = pc.fill_null(pc.match_substring_regex(column, _ID18), False).to_numpy(
            zero_copy_only=False
        )
        missing = column.is_null().to_numpy(zero_copy_only=False)
        out = np.where(fast, raw, "").astype(object)
        if required:
            self._missing(name, missing)
        slow = ~fast & ~missing
        self._record_parse(name, slow, raw, lambda v: parse_id(v, name, required=required), out)
        return out

    def _missing(self, name: str, rows: np.ndarray) -> None:
        for i in np.flatnonzero(rows):
            self.problems.setdefault(int(i), f"{name} is missing")

    def datetimes(self, name: str) -> pd.DatetimeIndex:
        """``parse_datetime`` over a column, as UTC instants (NaT on a malformed row)."""
        column = self.arrow(name)
        canonical = pc.fill_null(pc.match_substring_regex(column, CANONICAL_DATETIME), False)
        fast = canonical.to_numpy(zero_copy_only=False)
        raw = column.to_numpy(zero_copy_only=False).astype(object)
        parsed = _canonical_instants(column, canonical)
        missing = column.is_null().to_numpy(zero_copy_only=False)
        self._missing(name, missing)
        slow = (~fast | parsed.isna().to_numpy()) & ~missing
        if slow.any():
            values = parsed.to_numpy(dtype=object)
            values[slow] = None
            self._record_parse(name, slow, raw, lambda v: parse_datetime(v, name), values)
            parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True).astype(
                "datetime64[us, UTC]"
            )
        return pd.DatetimeIndex(parsed)

    def dates(self, name: str) -> np.ndarray:
        """``parse_date`` over a column (few rows carry one): ``date`` or None."""
        raw = self.values(name)
        out = np.full(self.n, None, dtype=object)
        self._record_parse(name, pd.notna(raw), raw, lambda v: parse_date(v, name), out)
        return out

    def bools(self, name: str) -> np.ndarray:
        """``parse_bool``: true for ``true`` in any case around whitespace, else false."""
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(self.arrow(name)))
        return pc.fill_null(pc.equal(lowered, "true"), False).to_numpy(zero_copy_only=False)

    def texts(self, name: str | None, limit: int = 255) -> np.ndarray:
        """``text``: the value cut to ``limit`` characters, ``""`` for none (or no field)."""
        if not name:
            return np.full(self.n, "", dtype=object)
        cut = pc.utf8_slice_codeunits(self.arrow(name), 0, limit)
        return pc.fill_null(cut, "").to_numpy(zero_copy_only=False).astype(object)

    def is_owner_id(self, name: str) -> np.ndarray:
        """``sfid.is_owner_id`` over a column (a valid User or queue Id)."""
        valid = to_18_series(pd.Series(self.values(name), dtype=object), errors="coerce")
        prefix = pd.Series(self.values(name), dtype=object).str[:3]
        return (valid.notna() & prefix.isin([USER_PREFIX, QUEUE_PREFIX])).to_numpy()

    # -- malformed rows -----------------------------------------------------------------------
    def ok(self) -> np.ndarray:
        """The rows without a problem."""
        mask = np.ones(self.n, dtype=bool)
        mask[list(self.problems)] = False
        return mask

    def skipped(self) -> list[tuple[int, str, str]]:
        """``(page position, Id as sent, message)`` of the rows with a problem."""
        ids = self.values("Id")
        return [
            (int(self.positions[i]), ids[i] or "?", message)
            for i, message in self.problems.items()
        ]


def _canonical_instants(column: pa.Array, canonical: pa.Array) -> pd.Series:
    """The instants of the values in the canonical form (NaT elsewhere): one Arrow cast of
    the whole column, or, when some canonical-looking value is no date (month 13), pandas'
    parser, which leaves that one NaT for the record parser to name."""
    placeholder = pa.scalar("1970-01-01T00:00:00.000Z")
    try:
        instants = pc.cast(pc.if_else(canonical, column, placeholder), pa.timestamp("us", "UTC"))
    except pa.ArrowInvalid:
        fast = canonical.to_numpy(zero_copy_only=False)
        raw = column.to_numpy(zero_copy_only=False).astype(object)
        return pd.to_datetime(
            pd.Series(np.where(fast, raw, None), dtype=object),
            format="%Y-%m-%dT%H:%M:%S.%fZ",
            errors="coerce",
            utc=True,
        ).astype("datetime64[us, UTC]")
    instants = pc.if_else(canonical, instants, pa.scalar(None, pa.timestamp("us", "UTC")))
    return pd.Series(instants.to_pandas(), dtype="datetime64[us, UTC]")


def log_skipped(sobject: str, parts: Sequence[Columns]) -> int:
    """Log each malformed record (in page order, as the record path does); their count."""
    skipped = sorted(item for part in parts for item in part.skipped())
    for _, record_id, message in skipped:
        log.warning("sync object=%s record=%s skipped: %s", sobject, record_id, message)
    return len(skipped)


def mapped(values: Sequence[Any], function: Callable[[Any], Any]) -> np.ndarray:
    """``function`` of each value, computed once per distinct value (a page has few)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    results = np.array([function(u) for u in uniques] + [function(None)], dtype=object)
    return results[codes]


def mapped_pairs(
    first: Sequence[Any], second: Sequence[Any], function: Callable[[Any, Any], Any]
) -> np.ndarray:
    """``function(a, b)`` of each pair, once per distinct pair."""
    first_codes, first_uniques = pd.factorize(pd.Series(first, dtype=object))
    second_codes, second_uniques = pd.factorize(pd.Series(second, dtype=object))
    width = len(second_uniques) + 1
    codes, pairs = pd.factorize((first_codes + 1) * width + (second_codes + 1))
    firsts = [None, *first_uniques]
    seconds = [None, *second_uniques]
    results = np.empty(len(pairs), dtype=object)
    results[:] = [function(firsts[p // width], seconds[p % width]) for p in pairs]
    return results[codes]


def json_objects(names: Sequence[str], columns: Sequence[np.ndarray], n: int) -> np.ndarray:
    """``json.dumps({name: value, ...})`` per row, as Django writes a ``JSONField``, built
    from each column's distinct values (keys in ``names`` order)."""
    if not names:
        return np.full(n, "{}", dtype=object)
    parts: list[Any] = []
    for k, (name, column) in enumerate(zip(names, columns, strict=True)):
        parts.append(pa.scalar(("{" if k == 0 else ", ") + json.dumps(name) + ": "))
        parts.append(pa.array(mapped(column, json.dumps), pa.string()))
    parts.append(pa.scalar("}"))
    joined = pc.binary_join_element_wise(*parts, "")
    return joined.to_numpy(zero_copy_only=False).astype(object)


def newest(instants: pd.DatetimeIndex, mask: np.ndarray) -> datetime | None:
    """The latest of the instants of ``mask`` (a page's new watermark) as an aware datetime."""
    chosen = instants[mask]
    chosen = chosen[~chosen.isna()]
    if len(chosen) == 0:
        return None
    return chosen.max().to_pydatetime().astimezone(UTC)
