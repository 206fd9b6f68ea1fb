"""Agreed vs disagreed outcomes with 95 % intervals and a verdict (issue 17, shadow mode).

- **Rate differences** (acceptance, touch SLA met, conversion within N days): the difference of
  two independent proportions with Newcombe's hybrid score interval (Newcombe 1998, method 10),
  built from the two Wilson score intervals: for ``p1 = k1/n1`` with Wilson ``[l1, u1]`` and
  ``p2`` with ``[l2, u2]``, ``d = p1 - p2`` and the interval is
  ``[d - sqrt((p1 - l1)^2 + (u2 - p2)^2), d + sqrt((u1 - p1)^2 + (p2 - l2)^2)]``.
- **The first-touch p50 difference**: a percentile bootstrap, seeded (so the same data always
  give the same interval): ``RESAMPLES`` resamples of each side with replacement, the
  difference of their medians (numpy's linear median), the 2.5th and 97.5th percentiles. A
  side of more than ``BOOTSTRAP_CAP`` leads is resampled from a seeded sample of that size (the
  interval is then a little wider than the full data's: conservative; it bounds the cost at a
  million leads).
- **Verdict**: a difference is *shown* when both sides have at least ``MIN_SIDE`` leads in its
  denominator and its interval excludes 0; "candidate better" means the agreed leads (those
  routed to the candidate's choice) did better than the disagreed ones.

Pure numpy: no Django, no pandas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing_health.lib.format import format_minutes

Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal
RESAMPLES = 2000
SEED = 17
MIN_SIDE = 10
_CHUNK = 250  # resamples per block ...
_CELLS = 4_000_000  # ... and at most this many drawn indices per side per block (memory)
BOOTSTRAP_CAP = 5_000  # a larger side is thinned to a seeded sample of this many values

MSG_NOT_YET = "uplift not shown yet (n = {n})"


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``k`` successes in ``n``; ``None`` when ``n`` is 0."""
    if n <= 0:
        return None
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(
    k1: int, n1: int, k2: int, n2: int, z: float = Z95
) -> tuple[float, float, float] | None:
    """``(p1 - p2, lower, upper)``: Newcombe's hybrid score interval (method 10) for the
    difference of two independent proportions; ``None`` when either ``n`` is 0."""
    first, second = wilson(k1, n1, z), wilson(k2, n2, z)
    if first is None or second is None:
        return None
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = first, second
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, lower, upper


def bootstrap_median_difference(
    first: Sequence[float] | np.ndarray,
    second: Sequence[float] | np.ndarray,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float, float] | None:
    """``(median(first) - median(second), lower, upper)`` with a 95 % percentile-bootstrap
    interval; ``None`` when a side is empty.

    Draws from ``numpy.random.default_rng(seed)``: a side longer than ``BOOTSTRAP_CAP`` is
    first thinned to that many values (``rng.choice`` without replacement, ``first`` then
    ``second``); then, block by block of at most ``_CHUNK`` resamples, all of ``first``'s
    indices of the block, then ``second``'s. The point estimate uses all the values.
    """
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    if not a.size or not b.size:
        return None
    rng = np.random.default_rng(seed)
    point = float(np.median(a) - np.median(b))
    if a.size > BOOTSTRAP_CAP:
        a = rng.choice(a, size=BOOTSTRAP_CAP, replace=False)
    if b.size > BOOTSTRAP_CAP:
        b = rng.choice(b, size=BOOTSTRAP_CAP, replace=False)
    block = max(1, min(_CHUNK, _CELLS // max(a.size, b.size)))
    diffs = np.empty(resamples)
    for start in range(0, resamples, block):
        stop = min(start + block, resamples)
        index_a = rng.integers(0, a.size, size=(stop - start, a.size))
        index_b = rng.integers(0, b.size, size=(stop - start, b.size))
        diffs[start:stop] = (np.median(a[index_a], axis=1) - np.median(b[index_b], axis=1))
    lower, upper = np.percentile(diffs, [2.5, 97.5])
    return point, float(lower), float(upper)


@dataclass(frozen=True)
class Comparison:
    """One outcome, agreed vs disagreed. ``difference`` and its interval are oriented so that
    positive means the agreed leads did better (points for rates, minutes saved for the p50)."""

    outcome: str  # "acceptance", "first touch", "touch SLA met", "conversion within 30 days"
    unit: str  # "rate" or "minutes"
    agreed: float | None
    disagreed: float | None
    n_agreed: int
    n_disagreed: int
    difference: float | None
    lower: float | None
    upper: float | None

    @property
    def enough(self) -> bool:
        return min(self.n_agreed, self.n_disagreed) >= MIN_SIDE

    @property
    def shown(self) -> str | None:
        """``"better"`` / ``"worse"`` when the interval excludes 0 with enough leads."""
        if not self.enough or self.lower is None or self.upper is None:
            return None
        if self.lower > 0:
            return "better"
        if self.upper < 0:
            return "worse"
        return None

    @property
    def verdict(self) -> str:
        """"candidate better on first touch by 12 min [4, 20]", or not shown yet with its n."""
        direction = self.shown
        if direction is None:
            return f"{self.outcome}: not shown yet (n = {self.n_agreed + self.n_disagreed})"
        assert self.difference is not None and self.lower is not None and self.upper is not None
        size, low, high = abs(self.difference), self.lower, self.upper
        if direction == "worse":
            low, high = -self.upper, -self.lower
        return f"candidate {direction} on {self.outcome} by {_span(size, low, high, self.unit)}"


def rate_comparison(outcome: str, k_agreed: int, n_agreed: int, k_disagreed: int,
                    n_disagreed: int) -> Comparison:
    """A rate outcome (higher is better) from its counts on each side."""
    result = newcombe_difference(k_agreed, n_agreed, k_disagreed, n_disagreed)
    d, lo, hi = result if result is not None else (None, None, None)
    return Comparison(
        outcome=outcome, unit="rate",
        agreed=k_agreed / n_agreed if n_agreed else None,
        disagreed=k_disagreed / n_disagreed if n_disagreed else None,
        n_agreed=n_agreed, n_disagreed=n_disagreed, difference=d, lower=lo, upper=hi,
    )


def median_comparison(outcome: str, agreed: np.ndarray, disagreed: np.ndarray) -> Comparison:
    """A minutes outcome (lower is better): disagreed p50 minus agreed p50, minutes saved."""
    result = bootstrap_median_difference(disagreed, agreed)
    d, lo, hi = result if result is not None else (None, None, None)
    return Comparison(
        outcome=outcome, unit="minutes",
        agreed=float(np.median(agreed)) if len(agreed) else None,
        disagreed=float(np.median(disagreed)) if len(disagreed) else None,
        n_agreed=len(agreed), n_disagreed=len(disagreed), difference=d, lower=lo, upper=hi,
    )


def overall_verdict(comparisons: Sequence[Comparison], compared: int) -> str:
    """The shown differences joined ("candidate better on …; candidate worse on …"), or
    "uplift not shown yet (n = <compared leads>)"."""
    shown = [c.verdict for c in comparisons if c.shown is not None]
    return "; ".join(shown) if shown else MSG_NOT_YET.format(n=compared)


def _span(value: float, low: float, high: float, unit: str) -> str:
    """"6.2 points [1.0, 11.4]"; "12 min [4, 20]" (the bounds' unit said once when all three
    are in the same unit, else each with its own)."""
    if unit == "rate":
        return f"{value * 100:.1f} points [{low * 100:.1f}, {high * 100:.1f}]"
    texts = [format_minutes(v) for v in (value, low, high)]
    units = {text.rpartition(" ")[2] for text in texts}
    if len(units) == 1:
        bounds = [text.rpartition(" ")[0] for text in texts[1:]]
        return f"{texts[0]} [{bounds[0]}, {bounds[1]}]"
    return f"{texts[0]} [{texts[1]}, {texts[2]}]"
