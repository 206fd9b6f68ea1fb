"""Benchmark: business minutes for 1,000,000 lead intervals on one calendar.

Random starts over two years, durations up to a week, a Europe/Berlin calendar with lunch breaks,
a short Friday, whole-day and partial holidays (so four DST changes are crossed). The timed call is
``business_minutes`` on pandas ``datetime64[ns, UTC]`` Series, including input conversion and the
calendar precomputation (its cache is cleared first).

Usage: ``python -m bench.bench_business_hours`` (prints the JSON record) or ``make bench``.
"""

from __future__ import annotations

import json
import time
from datetime import date

import numpy as np
import pandas as pd

from routing_health.lib.calendar import WHOLE_DAY, Calendar
from routing_health.metrics import business_hours
from routing_health.metrics.business_hours import business_minutes

ROWS = {"full": 1_000_000, "small": 100_000}
TARGET_SECONDS = 5.0
NS_PER_WEEK = 7 * 86_400 * 10**9

CALENDAR = Calendar(
    "emea",
    "Europe/Berlin",
    (
        ((540, 720), (780, 1050)),
        ((540, 720), (780, 1050)),
        ((540, 720), (780, 1050)),
        ((540, 720), (780, 1050)),
        ((540, 720), (780, 960)),
        (),
        (),
    ),
    (
        (date(2025, 4, 18), WHOLE_DAY),
        (date(2025, 12, 24), ((720, 1440),)),
        (date(2025, 12, 25), WHOLE_DAY),
        (date(2025, 12, 26), WHOLE_DAY),
        (date(2026, 4, 3), WHOLE_DAY),
        (date(2026, 12, 24), ((720, 1440),)),
        (date(2026, 12, 25), WHOLE_DAY),
    ),
)


def intervals(rows: int, seed: int = 20260101) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    first = pd.Timestamp("2025-01-01T00:00Z").value
    last = pd.Timestamp("2027-01-01T00:00Z").value
    starts = rng.integers(first, last, size=rows)
    ends = starts + rng.integers(0, NS_PER_WEEK, size=rows)
    return (
        pd.Series(pd.to_datetime(starts, unit="ns", utc=True)),
        pd.Series(pd.to_datetime(ends, unit="ns", utc=True)),
    )


def run(scale: str = "full") -> dict:
    rows = ROWS[scale]
    start, end = intervals(rows)
    business_hours._cached_open_table.cache_clear()
    began = time.perf_counter()
    result = business_minutes(start, end, CALENDAR)
    seconds = time.perf_counter() - began
    wall = (end - start).dt.total_seconds().to_numpy() / 60
    return {
        "name": "business_minutes_1m" if scale == "full" else f"business_minutes_{rows}",
        "seconds": round(seconds, 4),
        "rows": rows,
        "target_seconds": TARGET_SECONDS,
        "verdict": "met" if seconds <= TARGET_SECONDS else "MISSED",
        "detail": {
            "open_share_of_wall_clock": round(float(result.sum() / wall.sum()), 4),
            "calendar": CALENDAR.name,
            "timezone": CALENDAR.timezone,
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
