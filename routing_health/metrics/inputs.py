"""Routing-input data quality (issue 17, item 4): which routing-critical fields of each lead were
missing or invalid when it was created, and the per-field breakdown by lead source and day.

Pure pandas, no Django. A field's value *at creation* is the OldValue of its earliest tracked
change (LeadHistory, in all history: ``(created_at, id)`` order), else the current value — the
rule the owner timeline uses for the initial owner (spec section 4). A field without history
tracking has no changes, so its current value stands for the value at creation.

A value is **missing** when null or blank (after stripping); **invalid** when the field has
``allowed`` values and the stripped value is not one of them, or a ``pattern`` that does not
match the whole stripped value. "Missing" in the metric names means missing *or* invalid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from typing import Protocol

import numpy as np
import pandas as pd


class FieldRule(Protocol):
    """A routing-critical field and its validity rules (``config.model.FieldRule``)."""

    @property
    def name(self) -> str: ...
    @property
    def allowed(self) -> Set[str] | None: ...
    @property
    def pattern(self) -> str | None: ...


FIELD_CHANGE_COLUMNS = ("id", "lead_id", "field", "created_at", "old_value")
MISSING_SEPARATOR = "+"

INPUT_COLUMNS = ("lead_source", "input_missing_fields")
"""The lead columns this module adds (``input_columns``): the source at creation (null when
blank) and the missing or invalid fields joined by ``+`` in configuration order ("" when none)."""

FIELD_ROW_COLUMNS = (
    "leads", "missing", "missing_rate", "missing_failed", "missing_decided",
    "missing_failure_rate", "complete_failed", "complete_decided", "complete_failure_rate",
    "failure_rate_difference", "failure_rate_ratio",
)


def values_at_creation(
    current: pd.DataFrame, changes: pd.DataFrame, fields: Sequence[str]
) -> pd.DataFrame:
    """Each lead's value of ``fields`` at creation.

    ``current``: column ``id`` and one column per field (API name) with the current value.
    ``changes``: ``FIELD_CHANGE_COLUMNS`` (LeadHistory rows of those fields; ``field`` the API
    name, compared ignoring case). Returns ``current``'s ``id`` and field columns, in its order.
    """
    out = current[["id", *fields]]
    if changes.empty:
        return out
    created = pd.to_datetime(changes["created_at"], utc=True).dt.tz_localize(None)
    # (time, history Id) order; Ids compare as ASCII ("Z" before "a"), as spec section 4 says.
    order = np.lexsort((changes["id"].to_numpy(dtype=str), created.to_numpy(dtype="int64")))
    ordered = changes.iloc[order]
    ordered = ordered.assign(field_key=ordered["field"].astype(str).str.lower())
    first = ordered.drop_duplicates(["lead_id", "field_key"], keep="first")
    out = out.copy()
    lead_index = pd.Index(out["id"].astype(str))
    for name in fields:
        rows = first[(first["field_key"] == name.lower()).to_numpy()]
        if rows.empty:
            continue
        position = lead_index.get_indexer(rows["lead_id"].astype(str))
        known = position >= 0  # history of a lead not loaded is ignored
        values = out[name].to_numpy(dtype=object).copy()
        values[position[known]] = rows["old_value"].to_numpy(dtype=object)[known]
        out[name] = pd.Series(values, index=out.index, dtype=object)
    return out


def field_missing(values: pd.Series, rule: FieldRule) -> np.ndarray:
    """Per value: missing (null or blank) or invalid under ``rule`` (bool array).

    The rule is evaluated once per distinct value (a routing field has few), then spread."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    compiled = re.compile(rule.pattern) if rule.pattern is not None else None
    verdicts = np.empty(len(uniques) + 1, dtype=bool)
    for index, value in enumerate(uniques):
        verdicts[index] = _missing_value(value, rule, compiled)
    verdicts[-1] = True  # null
    return verdicts[codes]


def _text(value: object) -> str | None:
    """The stripped text of a value; ``None`` when null or blank."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value).strip() or None


def _missing_value(value: object, rule: FieldRule, compiled: re.Pattern[str] | None) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return True
    text = str(value).strip()
    if not text:
        return True
    if rule.allowed is not None and text not in rule.allowed:
        return True
    return compiled is not None and compiled.fullmatch(text) is None


def input_columns(
    at_creation: pd.DataFrame, rules: Sequence[FieldRule], source_field: str
) -> pd.DataFrame:
    """``INPUT_COLUMNS`` for each lead of ``at_creation`` (``values_at_creation`` with the
    fields of ``rules`` and ``source_field``), indexed like it."""
    # One bit per field, then each distinct combination spelled once.
    bits = np.zeros(len(at_creation), dtype=np.int64)
    for position, rule in enumerate(rules):
        bits |= field_missing(at_creation[rule.name], rule).astype(np.int64) << position
    combos, inverse = np.unique(bits, return_inverse=True)
    spelled = np.array([
        MISSING_SEPARATOR.join(r.name for p, r in enumerate(rules) if combo >> p & 1)
        for combo in combos.tolist()
    ], dtype=object)
    joined = spelled[inverse.reshape(-1)] if len(combos) else np.array([], dtype=object)
    codes, uniques = pd.factorize(pd.Series(at_creation[source_field], dtype=object),
                                  use_na_sentinel=True)
    texts = [_text(v) for v in uniques] + [None]
    source = np.array(texts, dtype=object)[codes]
    return pd.DataFrame(
        {
            "lead_source": pd.Series(source, index=at_creation.index, dtype=object),
            "input_missing_fields": pd.Series(joined, index=at_creation.index, dtype=object),
        },
        index=at_creation.index,
    )


def missing_field_flags(missing_fields: pd.Series, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Per field name: whether each lead's ``input_missing_fields`` includes it (bool array).

    Evaluated once per distinct value (few: combinations of the configured fields)."""
    codes, uniques = pd.factorize(pd.Series(missing_fields, dtype=object), use_na_sentinel=True)
    parts = [set(str(v).split(MISSING_SEPARATOR)) if isinstance(v, str) else set()
             for v in uniques] + [set()]  # the last entry: null
    return {
        name: np.array([name in p for p in parts], dtype=bool)[codes]
        for name in names
    }


def field_quality(
    facts: pd.DataFrame, names: Sequence[str], by: Sequence[str] = ("lead_source", "created_day")
) -> pd.DataFrame:
    """Per group of ``by`` (fact columns; empty keys form the group ``None``) and field of
    ``names``: ``FIELD_ROW_COLUMNS``. One row per non-empty group and field, sorted by the keys
    (``None`` last) then the fields in ``names`` order.

    - ``missing_rate`` = missing / leads;
    - ``missing_failure_rate`` = failed / (succeeded + failed) over the leads missing the field,
      ``complete_failure_rate`` the same over the leads not missing it; null when no lead of the
      side has a decided outcome;
    - ``failure_rate_difference`` = missing − complete failure rate, ``failure_rate_ratio`` =
      missing / complete failure rate (null when either is null, or the complete rate is 0).
    """
    columns = [*by, "input_field", *FIELD_ROW_COLUMNS]
    if facts.empty or not names:
        return pd.DataFrame(columns=columns)
    # Group numbers: each key factorised, combined, then the present groups in key order.
    combined = np.zeros(len(facts), dtype=np.int64)
    tables: list[list[str]] = []
    for key in by:
        codes, uniques = pd.factorize(pd.Series(_keyed(facts[key]), dtype=object))
        order = sorted(range(len(uniques)), key=lambda i: (uniques[i] == "", uniques[i]))
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[order] = np.arange(len(uniques))
        combined = combined * max(len(uniques), 1) + rank[codes]
        tables.append([uniques[i] for i in order])
    groups, group = np.unique(combined, return_inverse=True)
    group = group.reshape(-1)
    size = len(groups)
    keys: dict[str, list[object]] = {}
    remaining = groups
    for key, table in reversed(list(zip(by, tables, strict=True))):
        keys[key] = [None if table[i] == "" else table[i] for i in remaining % len(table)]
        remaining = remaining // len(table)
    outcome = facts["outcome"].astype(str).to_numpy()
    failed = outcome == "failed"
    decided = failed | (outcome == "succeeded")
    flags = missing_field_flags(facts["input_missing_fields"], names)
    leads = np.bincount(group, minlength=size)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(group[mask], minlength=size)

    parts = []
    for name in names:
        miss = flags[name]
        part: dict[str, object] = {k: pd.Series(keys[k], dtype=object) for k in by}
        part["input_field"] = pd.Series([name] * size, dtype=object)
        part["leads"] = leads
        part["missing"] = count(miss)
        part["missing_failed"] = count(miss & failed)
        part["missing_decided"] = count(miss & decided)
        part["complete_failed"] = count(~miss & failed)
        part["complete_decided"] = count(~miss & decided)
        part["_group"] = np.arange(size)
        parts.append(pd.DataFrame(part))
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values("_group", kind="stable").reset_index(drop=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["missing_rate"] = _rate(out["missing"], out["leads"])
        out["missing_failure_rate"] = _rate(out["missing_failed"], out["missing_decided"])
        out["complete_failure_rate"] = _rate(out["complete_failed"], out["complete_decided"])
        m, c = out["missing_failure_rate"], out["complete_failure_rate"]
        out["failure_rate_difference"] = m - c
        out["failure_rate_ratio"] = np.where(c > 0, m / c.where(c > 0, 1.0), np.nan)
    return out[columns]


def _keyed(column: pd.Series) -> np.ndarray:
    """Key values as text, empty ("" or null) as ""."""
    return column.astype("string").fillna("").astype(str).to_numpy(dtype=object)


def _rate(numerator: pd.Series, denominator: pd.Series) -> np.ndarray:
    n = numerator.to_numpy(dtype=float)
    d = denominator.to_numpy(dtype=float)
    return np.where(d > 0, n / np.maximum(d, 1), np.nan)
