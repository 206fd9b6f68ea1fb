"""Loads for duplicate matching (issue 17 item 3): the leads' contact fields, the Accounts,
and the export's cohort facts with the duplicates columns (``metrics.duplicates``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from routing_health.config import RoutingConfig
from routing_health.facts.frames import load_frames, local_days_utc, read_rows
from routing_health.lib.sql import sql_datetime
from routing_health.metrics import MetricParams, cohort, lead_facts_of
from routing_health.metrics.duplicates import (
    ACCOUNT_INPUT,
    KEY_COLUMNS,
    MatchSettings,
    attach,
    lead_keys,
    with_lead_keys,
)
from routing_health.models import Account, Lead


def load_accounts() -> pd.DataFrame:
    """Every non-deleted Account: ``ACCOUNT_INPUT`` columns."""
    table = Account._meta.db_table
    frame = read_rows(
        f"SELECT id, owner_id, name, website, domain FROM {table} WHERE is_deleted = %s",
        [False], list(ACCOUNT_INPUT),
    )
    return frame.astype(object)


def load_contacts(
    created_from: datetime | None, as_of: datetime, settings: MatchSettings | None = None
) -> pd.DataFrame:
    """``lead_id``, ``email``, ``website``, ``company`` of the leads created in
    ``[created_from, as_of]``; with ``settings``, their match keys too (``with_lead_keys``:
    computed once for ``partner_ids`` and the matching)."""
    table = Lead._meta.db_table
    where, params = ["created_at <= %s"], [sql_datetime(as_of, name="as_of")]
    if created_from is not None:
        where.append("created_at >= %s")
        params.append(sql_datetime(created_from, name="created_from"))
    keyed = None if settings is None else (lambda rows: with_lead_keys(rows, settings))
    return read_rows(
        f"SELECT id, email, website, company FROM {table} WHERE {' AND '.join(where)}",
        params, ["lead_id", "email", "website", "company"], transform=keyed,
    )


def matched_facts(
    config: RoutingConfig,
    params: MetricParams,
    start: date,
    end: date,
    as_of: datetime,
    extra: tuple[str, ...] | list[str] = (),
) -> pd.DataFrame:
    """The engine's facts, with the duplicates columns, of every lead created from
    ``window_days`` before the local day ``start`` up to ``as_of`` (the cohort of
    ``[start, end]`` and every lead it may be matched with)."""
    created_from, _ = local_days_utc(start, end, ZoneInfo(params.report_timezone))
    since = created_from - timedelta(days=config.duplicates.window_days)
    frames = load_frames(created_from=since, as_of=as_of, extra=extra)
    return match_duplicates(config, lead_facts_of(frames, params, as_of),
                            load_contacts(since, as_of), as_of)


def match_duplicates(
    config: RoutingConfig, facts: pd.DataFrame, contacts: pd.DataFrame, as_of: datetime
) -> pd.DataFrame:
    """``facts`` with the duplicates columns, matched over all of them
    (``metrics.duplicates.attach``); ``contacts`` (``load_contacts``) covers their leads."""
    return attach(facts, contacts, load_accounts(), config.duplicates, as_of)


PARTNERS_BY_ID = 20_000
"""Up to this many partners are loaded by Id (``ID_CHUNK`` at a time); more, and one load of
the whole window by creation time is cheaper (when most leads share a domain with another)."""


def partner_ids(
    contacts: pd.DataFrame, watched: Collection[str], settings: MatchSettings
) -> list[str]:
    """The leads of ``contacts`` outside ``watched`` that share a domain or a company key with
    a watched lead: the only other leads that can change a watched lead's duplicates columns
    (outreach is among leads of one key; account matching reads the lead and the Accounts).
    Matching the watched leads together with these gives them the same columns as matching
    them with every lead of ``contacts``, without loading and computing the others."""
    keys = lead_keys(contacts, settings)
    ids = pd.Index(contacts["lead_id"].to_numpy(dtype=object), dtype=object)
    mine = ids.isin(list(watched))
    shares = np.zeros(len(ids), dtype=bool)
    for column in KEY_COLUMNS:
        values = pd.Index(keys[column].to_numpy(dtype=object), dtype=object)
        shares |= values.isin(values[mine].dropna().unique())
    return [str(lead) for lead in ids[shares & ~mine]]


def duplicate_cohort_facts(
    config: RoutingConfig,
    params: MetricParams,
    start: date,
    end: date,
    as_of: datetime,
    extra: tuple[str, ...] | list[str] = (),
) -> pd.DataFrame:
    """``reports.export.cohort_facts`` with the duplicates columns: the leads created from
    ``window_days`` before the cohort's first local midnight up to ``as_of`` are matched, so a
    cohort lead's partner may lie just outside the cohort on either side."""
    return cohort(matched_facts(config, params, start, end, as_of, extra), start, end)
