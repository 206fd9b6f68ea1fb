"""Loader: the synced users' state as the fairness engine reads it (``REP_STATE_COLUMNS``)."""

from __future__ import annotations

import pandas as pd

from routing_health.config import RoutingConfig
from routing_health.metrics.fairness import REP_STATE_COLUMNS, default_pool_skips
from routing_health.models import SalesforceUser


def load_rep_states() -> pd.DataFrame:
    """One row per synced user: Id, name, IsActive, the out-of-office checkbox (False unless
    ``[fairness] out_of_office_field`` is synced), SystemModstamp (UTC)."""
    rows = list(SalesforceUser.objects.order_by("id").values_list(
        "id", "name", "is_active", "out_of_office", "system_modstamp"))
    frame = pd.DataFrame(rows, columns=list(REP_STATE_COLUMNS))
    frame["is_active"] = frame["is_active"].astype(bool)
    frame["out_of_office"] = frame["out_of_office"].astype(bool)
    frame["modified_at"] = pd.to_datetime(frame["modified_at"], utc=True)
    return frame


def skips_of(config: RoutingConfig) -> tuple[str, ...]:
    """The regions that form no default fairness pool (``metrics.fairness.default_pool_skips``):
    the configured default region, unless a country maps to it."""
    return default_pool_skips(config.regions.default, tuple(config.regions.by_country.values()))
