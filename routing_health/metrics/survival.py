"""Kaplan–Meier estimates of waiting times, with the leads still waiting as censored.

The spec's ``tta_p95_minutes`` is a percentile over the leads that *were* assigned: a young
cohort has had no time to produce long waits, so its p95 is low for no good reason. The
product-limit (Kaplan–Meier) estimate counts each lead still waiting at T as *censored* at its
age — "waited at least this long" — so a long wait that has not ended yet still pulls the
estimate up (spec section 8, "Comparisons are honest").

Pure and vectorised (numpy), no Django. Conventions, the same as ``lifelines``'
``KaplanMeierFitter`` (tests check against values it produced):

- S(t) = Π over event times tᵢ ≤ t of (1 − dᵢ / nᵢ), with dᵢ the events at tᵢ and nᵢ the
  subjects whose time is ≥ tᵢ (a lead censored at tᵢ is still at risk at tᵢ);
- the q-quantile of the waiting time is the smallest event time with S(t) ≤ 1 − q; when S never
  gets that low the quantile is not reached: the estimate is only known to exceed the longest
  time observed (``Quantile.at_least``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from routing_health.metrics._arrays import NS_PER_MINUTE

# Facts column of the waiting time -> what ends the wait (its label in the docs).
WAITS = {"tta_minutes": "rep assignment", "first_touch_minutes": "first touch"}


@dataclass(frozen=True)
class Quantile:
    """A Kaplan–Meier quantile: ``value`` minutes when reached; else ``None`` with ``at_least``
    the longest time observed (the estimate exceeds it); both ``None`` without subjects."""

    value: float | None
    at_least: float | None = None

    @property
    def reached(self) -> bool:
        return self.value is not None


def survival_curve(
    durations: np.ndarray, observed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct event times (ascending) and S(t) just after each."""
    durations = np.asarray(durations, dtype=np.float64)
    observed = np.asarray(observed, dtype=bool)
    if durations.size == 0:
        return np.empty(0), np.empty(0)
    order = np.argsort(durations, kind="stable")
    times, events = durations[order], observed[order]
    distinct, first = np.unique(times, return_index=True)
    at_risk = times.size - first  # subjects with time >= each distinct time
    deaths = np.add.reduceat(events.astype(np.int64), first)
    keep = deaths > 0
    factors = 1.0 - deaths[keep] / at_risk[keep]
    return distinct[keep], np.cumprod(factors)


def km_quantiles(
    durations: np.ndarray, observed: np.ndarray, qs: tuple[float, ...] = (0.5, 0.95)
) -> tuple[Quantile, ...]:
    """The ``qs`` quantiles of the waiting time: for each q the smallest event time t with
    S(t) ≤ 1 − q (``Quantile.at_least`` when not reached)."""
    durations = np.asarray(durations, dtype=np.float64)
    if durations.size == 0:
        return tuple(Quantile(None) for _ in qs)
    times, survival = survival_curve(durations, observed)
    longest = float(durations.max())
    found = []
    for q in qs:
        # Survival is non-increasing: the first index where it falls to 1 − q or below. The
        # tolerance keeps 1 − 0.95 = 0.05000000000000004 from missing an exact 0.05.
        below = np.flatnonzero(survival <= (1.0 - q) + 1e-12)
        found.append(Quantile(float(times[below[0]])) if below.size else Quantile(None, longest))
    return tuple(found)


def censored_waits(
    facts: pd.DataFrame, column: str, as_of: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """(durations in minutes, observed) of the wait ``column`` (``tta_minutes`` or
    ``first_touch_minutes``) for every lead of ``facts`` (``lead_facts`` output as of ``as_of``):
    the wait where it ended, else the lead's age at ``as_of`` as a censored time."""
    if column not in WAITS:
        raise ValueError(f"no waiting time {column!r}: use one of {sorted(WAITS)}")
    waited = facts[column].to_numpy(dtype=np.float64, na_value=np.nan)
    created = facts["created_at"].to_numpy(dtype="datetime64[ns]")
    as_of_ns = pd.Timestamp(as_of).tz_convert("UTC").tz_localize(None).to_datetime64()
    age = (as_of_ns - created).astype("timedelta64[ns]").astype(np.int64) / NS_PER_MINUTE
    observed = ~np.isnan(waited)
    return np.where(observed, waited, age), observed


def waiting_quantiles(
    facts: pd.DataFrame, column: str, as_of: pd.Timestamp, qs: tuple[float, ...] = (0.5, 0.95)
) -> tuple[Quantile, ...]:
    """Kaplan–Meier ``qs`` quantiles of ``column`` over the leads of ``facts`` as of ``as_of``."""
    durations, observed = censored_waits(facts, column, as_of)
    return km_quantiles(durations, observed, qs)
