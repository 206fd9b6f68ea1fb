"""Fairness and capacity (issue 17): who gets the leads of a pool, against their weight, and the
leads sent to reps who cannot work them.

Pure and vectorised: lead facts (``lead_facts``), the leads' current owner and status, and one
row per user (``REP_STATE_COLUMNS``) in; arrays and frames out. No Django, no I/O.

**Availability.** Salesforce keeps no history of ``User.IsActive`` (nor of an out-of-office
checkbox), so a user who is inactive (or out of office) now is taken as such since their
``SystemModstamp``: the flag was set at or before the user's last modification, so every lead
that reached them after it certainly reached an unavailable rep (leads before it may have too;
they are not counted: the count is a lower bound). Per lead:

- ``to_inactive_rep``: the first rep is inactive now and ``rep_assigned_at`` ≥ their
  ``modified_at``;
- ``to_out_of_office_rep``: the first rep is active, out of office now, and ``rep_assigned_at``
  ≥ their ``modified_at``;
- ``open_with_inactive_owner``: the lead's current owner is an inactive user and the lead is
  open now (not converted, its current status not in ``closed_statuses``).

**Pools.** A pool is a set of reps that share leads: each ``[[fairness.pools]]`` (its listed
reps; only the leads of its ``region`` when given), else one pool per region made of the
reps who were first rep of at least one of the region's leads in the range analysed. Reps
inactive or out of office now leave every pool (their leads are the counts above). A lead
counts for the pool rep who was its first rep. Per pool and period (a week, a month...):

- ``leads`` ``n_i`` of each member ``i`` (0 when none), its weight ``w_i`` (``[fairness.weights]``,
  1 by default), its share ``n_i / N`` and weight share ``w_i / W`` (``N``, ``W``: the pool's
  sums) and their ratio ``r_i = (n_i / N) / (w_i / W)`` (1 = exactly its due; null when N = 0);
- ``max_min_ratio``: ``max r_i / min r_i`` = ``max x_i / min x_i`` with ``x_i = n_i / w_i``
  (null when N = 0 or a member got none: ``reps_without_leads`` says so);
- ``gini``: the Gini index of the ``x_i`` (each member once): ``Σ_i Σ_j |x_i − x_j| / (2 m²
  mean(x))`` over the ``m`` members, 0 = perfectly proportional to weight, (m − 1) / m = one
  rep got everything; null when N = 0;
- ``chi_square`` and ``p_value``: Pearson's goodness-of-fit of the counts to the weights,
  ``Σ (n_i − E_i)² / E_i`` with ``E_i = N w_i / W``, and its p-value with ``m − 1`` degrees of
  freedom: how likely so uneven a split is by chance alone when leads go out exactly by weight.
  Null when N = 0 or m < 2. (A pool is judged imbalanced only when this is small: a few dozen
  leads spread at random over eight reps easily give a max/min ratio of 2.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from routing_health.metrics._arrays import utc_ns

REP_STATE_COLUMNS = ("id", "name", "is_active", "out_of_office", "modified_at")
"""One row per Salesforce user: Id, name, IsActive, the out-of-office checkbox (False when not
configured), SystemModstamp (``datetime64[ns, UTC]``)."""
AVAILABILITY_COUNTS = ("to_inactive_rep", "to_out_of_office_rep", "open_with_inactive_owner")
NO_REGION = "(no region)"
POOL_COLUMNS = ("pool", "period", "rep", "leads", "weight", "share", "weight_share", "ratio")
INDEX_COLUMNS = ("pool", "period", "leads", "reps", "reps_without_leads", "max_min_ratio", "gini",
                 "chi_square", "p_value")


@dataclass(frozen=True)
class Pool:
    """A pool to measure: its reps (``None``: a region's reps, found in the leads) and the
    region whose leads count (``None``: every region)."""

    name: str
    reps: tuple[str, ...] | None
    region: str | None


def _ns(series: pd.Series) -> np.ndarray:
    return utc_ns(series)


def unavailable_reps(reps: pd.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """``(inactive, out_of_office)``: user Id -> ``modified_at`` (ns since the epoch) of the
    users inactive now, and of the active users out of office now."""
    if reps.empty:
        return {}, {}
    active = reps["is_active"].to_numpy(dtype=bool)
    away = reps["out_of_office"].fillna(False).to_numpy(dtype=bool)
    ids = reps["id"].astype(str).to_numpy()
    since = _ns(reps["modified_at"])
    inactive = dict(zip(ids[~active], since[~active].tolist(), strict=True))
    ooo = dict(zip(ids[active & away], since[active & away].tolist(), strict=True))
    return inactive, ooo


def availability_members(
    facts: pd.DataFrame,
    leads: pd.DataFrame,
    reps: pd.DataFrame,
    closed_statuses: frozenset[str] | Sequence[str],
) -> dict[str, np.ndarray]:
    """For each of ``AVAILABILITY_COUNTS``: a boolean per row of ``facts`` (see the module doc).

    ``leads`` is the engine's leads frame (``id``, ``owner_id``, ``status``, ``is_converted``);
    ``reps`` has ``REP_STATE_COLUMNS``."""
    inactive, ooo = unavailable_reps(reps)
    # Look-ups by code: each distinct Id is mapped once, never each lead (1M leads, few reps).
    rep_codes, rep_ids = pd.factorize(facts["first_rep"], use_na_sentinel=True)
    rep_ids = pd.Index(rep_ids).astype(str)
    assigned = _ns(facts["rep_assigned_at"])
    nat = np.iinfo(np.int64).min
    members: dict[str, np.ndarray] = {}
    for name, table in (("to_inactive_rep", inactive), ("to_out_of_office_rep", ooo)):
        per_rep = rep_ids.map(lambda rep, t=table: t.get(rep, np.nan)).to_numpy(dtype="float64")
        since = np.where(rep_codes >= 0, np.append(per_rep, np.nan)[rep_codes], np.nan)
        with np.errstate(invalid="ignore"):
            members[name] = (assigned != nat) & ~np.isnan(since) & (assigned >= since)
    current = leads.drop_duplicates("id", keep="last")
    owner_codes, owners = pd.factorize(current["owner_id"], use_na_sentinel=True)
    owner_inactive = np.append(pd.Index(owners).astype(str).isin(list(inactive)), False)
    status_codes, statuses = pd.factorize(current["status"], use_na_sentinel=True)
    status_closed = np.append(pd.Index(statuses).astype(str).isin(list(closed_statuses)), False)
    converted = current["is_converted"].fillna(False).to_numpy(dtype=bool)
    wanted = owner_inactive[owner_codes] & ~converted & ~status_closed[status_codes]
    # Only the few leads owned by an inactive user are looked up among the facts' Ids.
    ids = current["id"][wanted].astype(str).unique()
    members["open_with_inactive_owner"] = facts["lead_id"].astype(str).isin(ids).to_numpy(
        dtype=bool)
    return members


def availability_values(
    facts: pd.DataFrame, members: Mapping[str, np.ndarray], by: Sequence[str]
) -> list[dict[str, int]]:
    """Per group of ``group_metrics(facts, by)`` (same groups, same order; one group over all
    of ``facts`` when ``by`` is empty, even when it is empty): each fairness count of the
    catalog (``catalog.AVAILABILITY_METRICS``), by name."""
    from routing_health.metrics.aggregate import group_numbers
    from routing_health.metrics.catalog import AVAILABILITY_METRICS, Count

    if by:
        _keys, group, size = group_numbers(facts, by)
    else:
        group, size = np.zeros(len(facts), dtype=np.int64), 1
    counts = {}
    for row in AVAILABILITY_METRICS:
        assert isinstance(row.formula, Count)
        mask = members[row.formula.members]
        counts[row.name] = np.bincount(group[mask], minlength=size).astype(np.int64)
    return [{name: int(values[i]) for name, values in counts.items()} for i in range(size)]


def pools_of(config_pools: Sequence[object]) -> list[Pool]:
    """The pools to measure: the configured ``[[fairness.pools]]``, or ``[]`` (one per region)."""
    return [Pool(p.name, tuple(p.reps), p.region) for p in config_pools]  # type: ignore[attr-defined]


def default_pool_skips(default_region: str, mapped_regions: Sequence[str]) -> tuple[str, ...]:
    """The regions that form no default pool: the configured default region (leads whose
    country or region field maps to nothing, e.g. "Unknown") unless a country maps to it too —
    routing sends those leads wherever it can, so their reps are no distribution pool."""
    return () if default_region in set(mapped_regions) else (default_region,)


def pool_shares(
    facts: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    pools: Sequence[Pool] = (),
    weights: Mapping[str, float] | None = None,
    period: str = "created_week",
    split: Sequence[str] = (),
    skip_regions: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per pool × ``split`` values × period × member (``POOL_COLUMNS``, ``split`` after
    ``pool``): see the module doc. ``period`` is a fact column (``created_week``, or a month
    column the caller adds); ``split`` more fact columns (``tier``) that divide every pool.
    Periods are those present in ``facts``; a member with no lead in one has ``leads`` 0.
    ``skip_regions`` are left out of the default per-region pools (``default_pool_skips``)."""
    weights = weights or {}
    inactive, ooo = unavailable_reps(reps)
    away = set(inactive) | set(ooo)
    # Integer codes throughout: each distinct rep, region, period and split value is turned into
    # text once; counting is one bincount per pool (no string work per lead).
    rep_codes, rep_uniques = pd.factorize(facts["first_rep"], use_na_sentinel=True)
    rep_names = [str(r) for r in rep_uniques]
    position = {rep: i for i, rep in enumerate(rep_names)}
    rep_away = np.array([rep in away for rep in rep_names] + [True], dtype=bool)
    available = (rep_codes >= 0) & ~rep_away[rep_codes]
    region_codes, region_labels = _sorted_codes(facts["region"], missing=NO_REGION)
    period_codes, periods = _sorted_codes(facts[period], missing="")
    split_codes = [_sorted_codes(facts[column], missing="") for column in split]
    parts: list[tuple[str, np.ndarray, list[str]]] = []
    if pools:
        for pool in pools:
            listed = np.zeros(len(rep_names) + 1, dtype=bool)
            listed[[position[r] for r in pool.reps if r in position]] = True
            mask = available & listed[rep_codes]
            if pool.region is not None:
                wanted = [i for i, label in enumerate(region_labels) if label == pool.region]
                mask &= np.isin(region_codes, wanted) & ~_missing(facts["region"])
            parts.append((pool.name, mask, [rep for rep in pool.reps if rep not in away]))
    else:
        for code in np.unique(region_codes[available]).tolist():
            if region_labels[code] in skip_regions:
                continue
            mask = available & (region_codes == code)
            members = sorted(rep_names[c] for c in np.unique(rep_codes[mask]).tolist())
            parts.append((region_labels[code], mask, members))
    frames = []
    for name, mask, members in parts:
        if not members:
            continue
        member_of = np.full(len(rep_names) + 1, -1, dtype=np.int64)
        for j, rep in enumerate(members):
            if rep in position:
                member_of[position[rep]] = j
        axes: list[list[str]] = []
        key = np.zeros(len(facts), dtype=np.int64)
        for codes, labels in split_codes:
            present = np.unique(codes[mask])
            local = np.full(len(labels), -1, dtype=np.int64)
            local[present] = np.arange(len(present))
            axes.append([labels[c] for c in present.tolist()])
            key = key * len(present) + local[codes]
        key = (key * len(periods) + period_codes) * len(members) + member_of[rep_codes]
        shape = (*(len(a) for a in axes), len(periods), len(members))
        size = int(np.prod(shape))
        counts = np.bincount(key[mask], minlength=size) if size else np.zeros(0, np.int64)
        cells = np.unravel_index(np.arange(size), shape)
        table = pd.DataFrame({"pool": pd.Series([name] * size, dtype=object)})
        for column, labels, cell in zip(split, axes, cells, strict=False):
            table[column] = np.asarray(labels, dtype=object)[cell]
        table["period"] = np.asarray(periods, dtype=object)[cells[-2]]
        table["rep"] = np.asarray(members, dtype=object)[cells[-1]]
        table["leads"] = counts[:size]
        frames.append(table)
    columns = ["pool", *split, "period", *POOL_COLUMNS[2:]]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    table = pd.concat(frames, ignore_index=True)
    table["leads"] = table["leads"].astype(np.int64)
    table["weight"] = [float(weights.get(rep, 1.0)) for rep in table["rep"]]
    group = table.groupby(["pool", *split, "period"], sort=False)
    total = group["leads"].transform("sum").to_numpy(dtype=float)
    weight_total = group["weight"].transform("sum").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["share"] = np.where(total > 0, table["leads"] / np.maximum(total, 1), np.nan)
    table["weight_share"] = table["weight"] / weight_total
    table["ratio"] = table["share"] / table["weight_share"]
    return table[columns]


def _missing(column: pd.Series) -> np.ndarray:
    return column.isna().to_numpy(dtype=bool)


def _sorted_codes(column: pd.Series, *, missing: str) -> tuple[np.ndarray, list[str]]:
    """Each value's code in the sorted list of the column's distinct texts (a missing value is
    the text ``missing``); the distinct values are turned into text once."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = [missing if pd.isna(u) else str(u) for u in uniques]
    labels = sorted(set(texts) | ({missing} if (codes < 0).any() else set()))
    where = {label: i for i, label in enumerate(labels)}
    # The last entry is the code of a missing value (factorize's -1).
    remap = np.array([where[t] for t in texts] + [where.get(missing, 0)], dtype=np.int64)
    return remap[codes], labels


def pool_indices(shares: pd.DataFrame, split: Sequence[str] = ()) -> pd.DataFrame:
    """One row per pool × ``split`` × period of ``pool_shares``: ``INDEX_COLUMNS`` (``split``
    after ``pool``); see the module doc for the max/min ratio and the Gini index."""
    keys = ["pool", *split, "period"]
    columns = ["pool", *split, *INDEX_COLUMNS[1:]]
    if shares.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    x = (shares["leads"] / shares["weight"]).to_numpy(dtype=float)
    frame = shares[keys].copy()
    frame["x"] = x
    frame["leads"] = shares["leads"].to_numpy()
    frame["none"] = (frame["leads"] == 0).astype(np.int64)
    frame = frame.sort_values([*keys, "x"], kind="mergesort")
    group = frame.groupby(keys, sort=False)
    rank = group.cumcount().to_numpy() + 1
    frame["ix"] = rank * frame["x"].to_numpy()
    out = group.agg(leads=("leads", "sum"), reps=("x", "size"), x_sum=("x", "sum"),
                    x_max=("x", "max"), x_min=("x", "min"), ix_sum=("ix", "sum"),
                    reps_without_leads=("none", "sum"))
    m = out["reps"].to_numpy(dtype=float)
    total = out["x_sum"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Sorted ascending, Gini = 2 Σ i x_(i) / (m Σ x) − (m + 1) / m (i from 1).
        gini = np.where(total > 0, 2 * out["ix_sum"] / (m * total) - (m + 1) / m, np.nan)
        low = out["x_min"].to_numpy(dtype=float)
        ratio = np.where((total > 0) & (low > 0), out["x_max"] / np.where(low > 0, low, 1),
                         np.nan)
    out["gini"] = np.clip(gini, 0.0, None)
    out["max_min_ratio"] = ratio
    expected = frame["leads"].groupby([frame[k] for k in keys], sort=False).transform("sum")
    share = (shares.loc[frame.index, "weight_share"]).to_numpy(dtype=float)
    e = expected.to_numpy(dtype=float) * share
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["chi"] = np.where(e > 0, (frame["leads"].to_numpy(dtype=float) - e) ** 2 / e, 0.0)
    chi = frame.groupby(keys, sort=False)["chi"].sum().reindex(out.index).to_numpy(dtype=float)
    valid = (total > 0) & (m >= 2)
    out["chi_square"] = np.where(valid, chi, np.nan)
    out["p_value"] = [chi_square_sf(c, int(k) - 1) if ok else np.nan
                      for c, k, ok in zip(chi, m, valid, strict=True)]
    out = out.reset_index()
    out["leads"] = out["leads"].astype(np.int64)
    out["reps"] = out["reps"].astype(np.int64)
    out["reps_without_leads"] = out["reps_without_leads"].astype(np.int64)
    return out[columns]


def imbalanced(
    index: Mapping[str, object], *, min_leads: int, max_ratio: float, max_gini: float,
    max_p_value: float,
) -> bool:
    """Whether a row of ``pool_indices`` is judged unevenly shared: at least ``min_leads`` leads,
    a split this uneven less likely than ``max_p_value`` by chance (``p_value``), and its max/min
    ratio at or above ``max_ratio``, or a member without leads, or its Gini at or above
    ``max_gini``. (The rule ``distribution_imbalance``, the Fairness page and the monthly
    review all judge with this.)"""

    def number(name: str) -> float | None:
        value = index[name]
        return None if value is None or math.isnan(float(value)) else float(value)  # type: ignore[arg-type]

    ratio, gini, p = number("max_min_ratio"), number("gini"), number("p_value")
    if int(index["leads"]) < min_leads or p is None or p >= max_p_value:  # type: ignore[call-overload]
        return False
    return ((ratio is not None and ratio >= max_ratio)
            or int(index["reps_without_leads"]) > 0  # type: ignore[call-overload]
            or (gini is not None and gini >= max_gini))


def chi_square_sf(x: float, dof: int) -> float:
    """P(X ≥ x) for a chi-square variable with ``dof`` degrees of freedom: the regularised upper
    incomplete gamma ``Q(dof / 2, x / 2)`` (series below ``a + 1``, Lentz's continued fraction
    above; Numerical Recipes 6.2), to about 1e-12. One call per pool and period."""
    a, y = dof / 2.0, x / 2.0
    if y <= 0:
        return 1.0
    log_front = a * math.log(y) - y - math.lgamma(a)
    if y < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(1000):
            n += 1
            term *= y / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    tiny = 1e-300
    b = y + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_front) * h)
