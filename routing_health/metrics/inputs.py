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
    out = current[["id", *fields]].copy()
    if changes.empty:
        return out
    ordered = changes.sort_values(["created_at", "id"], kind="stable")
    ordered = ordered.assign(field_key=ordered["field"].astype(str).str.lower())
    first = ordered.drop_duplicates(["lead_id", "field_key"], keep="first")
    for name in fields:
        rows = first[first["field_key"] == name.lower()]
        if rows.empty:
            continue
        earliest = pd.Series(rows["old_value"].to_numpy(dtype=object),
                             index=rows["lead_id"].to_numpy(dtype=object))
        has = out["id"].isin(earliest.index).to_numpy()
        values = out[name].to_numpy(dtype=object).copy()
        values[has] = earliest.reindex(out["id"][has]).to_numpy(dtype=object)
        out[name] = values
    return out


def field_missing(values: pd.Series, rule: FieldRule) -> np.ndarray:
    """Per value: missing (null or blank) or invalid under ``rule`` (bool array)."""
    text = values.astype("string").str.strip()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    present = text.fillna("")
    invalid = np.zeros(len(values), dtype=bool)
    if rule.allowed is not None:
        invalid |= ~present.isin(sorted(rule.allowed)).to_numpy(dtype=bool)
    if rule.pattern is not None:
        compiled = re.compile(rule.pattern)
        matched = present.map(lambda v: compiled.fullmatch(v) is not None)
        invalid |= ~matched.to_numpy(dtype=bool)
    return missing | invalid


def input_columns(
    at_creation: pd.DataFrame, rules: Sequence[FieldRule], source_field: str
) -> pd.DataFrame:
    """``INPUT_COLUMNS`` for each lead of ``at_creation`` (``values_at_creation`` with the
    fields of ``rules`` and ``source_field``), indexed like it."""
    joined = np.full(len(at_creation), "", dtype=object)
    for rule in rules:
        missing = field_missing(at_creation[rule.name], rule)
        sep = np.where(joined == "", "", MISSING_SEPARATOR)
        joined = np.where(missing, joined + sep + rule.name, joined)
    stripped = at_creation[source_field].astype("string").str.strip()
    blank = (stripped.isna() | (stripped == "")).to_numpy(dtype=bool)
    source = np.where(blank, None, stripped.fillna("").to_numpy(dtype=object))
    return pd.DataFrame(
        {
            "lead_source": pd.Series(source, index=at_creation.index, dtype=object),
            "input_missing_fields": pd.Series(joined, index=at_creation.index, dtype=object),
        },
        index=at_creation.index,
    )


def missing_field_flags(missing_fields: pd.Series, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Per field name: whether each lead's ``input_missing_fields`` includes it (bool array)."""
    padded = (MISSING_SEPARATOR + missing_fields.fillna("").astype(str) + MISSING_SEPARATOR)
    return {
        name: padded.str.contains(f"{MISSING_SEPARATOR}{name}{MISSING_SEPARATOR}",
                                  regex=False).to_numpy(dtype=bool)
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
    keys = pd.DataFrame({k: _keyed(facts[k]) for k in by}, index=facts.index)
    outcome = facts["outcome"].astype(str).to_numpy()
    failed = outcome == "failed"
    decided = failed | (outcome == "succeeded")
    flags = missing_field_flags(facts["input_missing_fields"], names)
    parts = []
    for order, name in enumerate(names):
        miss = flags[name]
        frame = keys.assign(
            _order=order, input_field=name, leads=1, missing=miss,
            missing_failed=miss & failed, missing_decided=miss & decided,
            complete_failed=~miss & failed, complete_decided=~miss & decided,
        )
        parts.append(frame)
    data = pd.concat(parts, ignore_index=True)
    sums = data.groupby([*by, "_order", "input_field"], dropna=False, sort=False).sum()
    sums = sums.reset_index()
    sort_keys = [_sort_column(sums[k]) for k in by]
    order = np.lexsort((sums["_order"].to_numpy(), *reversed([s for pair in sort_keys
                                                               for s in pair])))
    sums = sums.iloc[order].reset_index(drop=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({k: pd.Series([None if v == "" else v for v in sums[k]],
                                         dtype=object) for k in by})
        out["input_field"] = pd.Series(sums["input_field"].to_numpy(dtype=object), dtype=object)
        for name in ("leads", "missing", "missing_failed", "missing_decided", "complete_failed",
                     "complete_decided"):
            out[name] = sums[name].to_numpy(dtype=np.int64)
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


def _sort_column(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Two lexsort keys of a key column: empty last, then the text order."""
    text = values.astype(str).to_numpy()
    codes = np.unique(text, return_inverse=True)[1]
    return (text == ""), codes


def _rate(numerator: pd.Series, denominator: pd.Series) -> np.ndarray:
    n = numerator.to_numpy(dtype=float)
    d = denominator.to_numpy(dtype=float)
    return np.where(d > 0, n / np.maximum(d, 1), np.nan)
