"""Array plumbing for the engine: times as int64 nanoseconds, shared codes, per-lead runs.

Inside the engine every time is an ``int64`` count of nanoseconds since the epoch (UTC) with
``NAT`` for "none", every string column is a code into a small table of unique values, and every
event table is sorted by (lead code, time, history Id) so that a lead's events form one run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

NAT = np.iinfo(np.int64).min
NS_PER_MINUTE = 60_000_000_000
NS_PER_HOUR = 3_600_000_000_000


def utc_ns(values: pd.Series) -> np.ndarray:
    """Times as int64 ns since the epoch, UTC; missing values are ``NAT``.

    Accepts aware datetimes of any unit (converted to UTC) and naive ones (read as UTC).
    """
    aware = pd.to_datetime(values, utc=True)
    naive = aware.dt.tz_localize(None).dt.as_unit("ns")
    return naive.to_numpy(dtype="datetime64[ns]").view("int64")


def ns_to_utc(values: np.ndarray) -> pd.Series:
    """The inverse of ``utc_ns``: a ``datetime64[ns, UTC]`` Series (``NAT`` -> NaT)."""
    return pd.Series(values.view("datetime64[ns]"), copy=False).dt.tz_localize("UTC")


def hours_ns(hours: float) -> int:
    return round(hours * NS_PER_HOUR)


def as_bool(values: pd.Series) -> np.ndarray:
    """A boolean column as a numpy bool array; missing values are False."""
    if values.dtype == bool:
        return values.to_numpy()
    return values.fillna(False).astype(bool).to_numpy()


def factorize_shared(columns: Sequence[pd.Series]) -> tuple[list[np.ndarray], np.ndarray]:
    """Code several string columns against one sorted table of unique values.

    Missing values are coded as ``""``, which is always in the table, so every code is a valid
    index. Returns the codes of each column and the table (an object array of ``str``).
    """
    parts = [pd.factorize(col, use_na_sentinel=True) for col in columns]
    table = sorted({""}.union(*({str(v) for v in uniques} for _, uniques in parts)))
    index = pd.Index(table, dtype=object)
    empty = index.get_loc("")
    coded = []
    for codes, uniques in parts:
        remap = index.get_indexer(pd.Index([str(v) for v in uniques], dtype=object))
        remap = np.append(remap, empty)  # code -1 (missing) reads the last slot: ""
        coded.append(remap[codes].astype(np.int64))
    return coded, np.asarray(table, dtype=object)


def event_order(lead: np.ndarray, at: np.ndarray, ids: pd.Series, rows: np.ndarray) -> np.ndarray:
    """The permutation sorting events by (lead, time, history Id in ASCII order).

    ``lead`` and ``at`` are the event arrays; ``ids.iloc[rows[i]]`` is the history Id of event
    ``i``. Same-second ties are rare, so Ids are only read for the events inside a tie.
    """
    order = np.lexsort((at, lead))
    lead_sorted, at_sorted = lead[order], at[order]
    same = (lead_sorted[1:] == lead_sorted[:-1]) & (at_sorted[1:] == at_sorted[:-1])
    if not same.any():
        return order
    in_tie = np.zeros(len(order), dtype=bool)
    in_tie[1:] |= same
    in_tie[:-1] |= same
    positions = np.flatnonzero(in_tie)
    tie_ids = np.asarray([str(v) for v in ids.iloc[rows[order[positions]]]], dtype=object)
    id_rank = np.empty(len(tie_ids), dtype=np.int64)
    id_rank[np.argsort(tie_ids, kind="stable")] = np.arange(len(tie_ids))
    # The tie positions are already grouped by (lead, time): re-sorting just them by
    # (lead, time, Id) and writing them back keeps the whole order valid.
    sub = np.lexsort((id_rank, at_sorted[positions], lead_sorted[positions]))
    order[positions] = order[positions][sub]
    return order


def run_bounds(sorted_lead: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For leads ``0..n-1``: start and end (exclusive) of each lead's run in ``sorted_lead``."""
    leads = np.arange(n)
    return (
        np.searchsorted(sorted_lead, leads, side="left"),
        np.searchsorted(sorted_lead, leads, side="right"),
    )


def first_where(sorted_lead: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Per lead, the position of its first event where ``mask`` holds; -1 when none."""
    positions = np.flatnonzero(mask)
    leads = sorted_lead[positions]
    first = np.ones(len(positions), dtype=bool)
    first[1:] = leads[1:] != leads[:-1]
    out = np.full(n, -1, dtype=np.int64)
    out[leads[first]] = positions[first]
    return out


def take(
    values: np.ndarray, positions: np.ndarray, valid: np.ndarray, default: object
) -> np.ndarray:
    """``values[positions]`` where ``valid``, ``default`` elsewhere (positions may be invalid)."""
    out = np.full(len(positions), default, dtype=values.dtype)
    out[valid] = values[positions[valid]]
    return out


def minutes_between(start: np.ndarray, end: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``end - start`` in float minutes where ``valid``; NaN elsewhere (no NAT overflow)."""
    out = np.full(len(start), np.nan)
    out[valid] = (end[valid] - start[valid]) / NS_PER_MINUTE
    return out


def categorical(
    codes: np.ndarray, table: np.ndarray, null: Sequence[str] = ("",)
) -> pd.Categorical:
    """A Categorical from codes into ``table``: values in ``null`` and code -1 become null.

    Only the categories in use are kept, in sorted order.
    """
    codes = np.asarray(codes, dtype=np.int64)
    used = np.zeros(len(table) + 1, dtype=bool)
    used[codes] = True  # code -1 marks the extra last slot
    used = used[:-1]
    for value in null:
        used &= table != value
    keep = np.flatnonzero(used)
    remap = np.full(len(table) + 1, -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    categories = pd.Index([str(v) for v in table[keep]], dtype="str")
    return pd.Categorical.from_codes(remap[codes], categories=categories)
