"""Regional wall clocks for the synthetic org: creation times and "when a human would act".

Times are int64 epoch seconds. Each region's UTC offset is looked up per UTC day (taken at noon),
which is exact except for the hour around a DST switch, where an event can land an hour off;
that only blurs the synthetic distribution, it never breaks an invariant (times only move forward).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from routing_health.sandbox.synthetic_catalog import REGIONS

DAY = 86_400
HOUR = 3_600
WEEKEND_WEIGHT = 0.25
BUSINESS_SHARE = 0.8  # share of leads created in a business-hours hump, the rest at any hour


class RegionClock:
    """Local-time arithmetic for the three regions over a range of UTC days."""

    def __init__(self, first_second: int, last_second: int) -> None:
        self.first_day = first_second // DAY - 2
        days = np.arange(self.first_day, last_second // DAY + 3, dtype=np.int64)
        self.offsets = np.empty((len(REGIONS), len(days)), dtype=np.int64)
        for r, region in enumerate(REGIONS):
            zone = ZoneInfo(region.timezone)
            for k, day in enumerate(days):
                noon = datetime.fromtimestamp(int(day) * DAY + 12 * HOUR, UTC).astimezone(zone)
                offset = noon.utcoffset()
                self.offsets[r, k] = int(offset.total_seconds()) if offset else 0
        self.open = np.array([r.open_seconds for r in REGIONS], dtype=np.int64)
        self.close = np.array([r.close_seconds for r in REGIONS], dtype=np.int64)

    def offset(self, region: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        index = np.clip(seconds // DAY - self.first_day, 0, self.offsets.shape[1] - 1)
        return self.offsets[region, index]

    def next_open(self, region: np.ndarray, seconds: np.ndarray, jitter: np.ndarray) -> np.ndarray:
        """The time itself when the region's office is open then, else its next opening + jitter.

        Holidays are ignored here (they only shape the synthetic data, not the metrics).
        """
        local = seconds + self.offset(region, seconds)
        day = local // DAY
        second = local - day * DAY
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        opens, closes = self.open[region], self.close[region]
        workday = weekday < 5
        inside = workday & (second >= opens) & (second < closes)
        later_today = workday & (second < opens)
        skip = np.where(weekday == 4, 3, np.where(weekday == 5, 2, 1))  # Fri/Sat/Sun -> Monday
        skip = np.where(later_today, 0, skip)
        new_local = (day + skip) * DAY + opens + jitter
        moved = new_local - self.offset(region, new_local)
        return np.where(inside, seconds, np.maximum(moved, seconds))

    def creation_times(
        self, rng: np.random.Generator, region: int, count: int, start: int, end: int
    ) -> np.ndarray:
        """``count`` creation times in ``[start, end]``: weekday and business-hours heavy, local."""
        if count == 0:
            return np.empty(0, dtype=np.int64)
        first = (start + int(self.offset(np.array([region]), np.array([start]))[0])) // DAY
        last = (end + int(self.offset(np.array([region]), np.array([end]))[0])) // DAY
        local_days = np.arange(first, last + 1, dtype=np.int64)
        weights = np.where((local_days + 3) % 7 < 5, 1.0, WEEKEND_WEIGHT)
        draws = int(count * 1.25) + 64
        day = rng.choice(local_days, size=draws, p=weights / weights.sum())
        hump = rng.triangular(7.5 * HOUR, 11 * HOUR, 19 * HOUR, size=draws)
        anytime = rng.uniform(0, DAY, size=draws)
        second = np.where(rng.random(draws) < BUSINESS_SHARE, hump, anytime).astype(np.int64)
        local = day * DAY + second
        utc = local - self.offset(np.full(draws, region), local)
        kept = utc[(utc >= start) & (utc <= end)][:count]
        if len(kept) < count:  # a very short window: top up uniformly
            extra = rng.integers(start, end + 1, size=count - len(kept), dtype=np.int64)
            kept = np.concatenate([kept, extra])
        return kept
