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

from routing_health.models import MetricsState

CACHE_SECONDS = 6 * 3600  # an upper bound: a new compute_metrics changes every key anyway

T = TypeVar("T")


def cached(state: MetricsState | None, parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()``, cached under ``parts`` (values with a stable ``repr``: strings, numbers,
    dates, tuples) and the version of the rollups that ``state`` stands for."""
    version = (
        (state.as_of, state.sync_mark, state.computed_seconds, state.config_fingerprint)
        if state
        else None
    )
    digest = hashlib.sha256(repr((version, *parts)).encode()).hexdigest()[:32]
    return cache.get_or_set(f"rollups:{digest}", compute, CACHE_SECONDS)


def current_state() -> MetricsState | None:
    """The ``MetricsState`` row (``None`` before the first ``compute_metrics``)."""
    return MetricsState.objects.filter(pk=1).first()
