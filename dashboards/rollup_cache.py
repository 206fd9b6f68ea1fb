"""Numbers read from the rollups, cached until the next ``compute_metrics``.

The rollups change only when ``compute_metrics`` runs, and every run rewrites ``MetricsState``
(as of, sync mark, duration, configuration fingerprint) in the same transaction: with that row
in the key, a cached value is never stale, and a page's repeat views skip the rollup reads and
merges whose cost grows with the leads in the range (percentiles over the merged values).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

from dashboards.filters import Filters
from routing_health.models import MetricsState

CACHE_SECONDS = 6 * 3600  # an upper bound: a new compute_metrics changes every key anyway

T = TypeVar("T")


def cached(
    state: MetricsState | None,
    filters: Filters,
    parts: tuple[Any, ...],
    compute: Callable[[], T],
) -> T:
    """``compute()`` for the view of ``filters``, cached under the filters (dates, segment,
    time zone), ``parts`` (values with a stable ``repr``: strings, numbers, dates, tuples) and
    the version of the rollups that ``state`` (``rollup_read.metrics_state()``) stands for."""
    version = (
        (state.as_of, state.sync_mark, state.computed_seconds, state.config_fingerprint)
        if state
        else None
    )
    f = filters
    key = (version, f.start, f.end, f.region, f.tier, f.source, f.timezone, *parts)
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
    return cache.get_or_set(f"rollups:{digest}", compute, CACHE_SECONDS)
