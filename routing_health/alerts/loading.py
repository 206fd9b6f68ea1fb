"""Loaders: the stored data an alert evaluation needs, as lead facts and a sync status.

One ``lead_facts`` call over the union of
- the leads created in the widest rule window before ``as_of`` (7 days by default);
- for ``volume_anomaly``, the same window-hour in each of the 4 previous weeks;
- for ``queue_aging``, every lead that may be queued at ``as_of``: exactly the leads owned by a
  queue now plus those whose owner changed after ``as_of`` (a lead queued at ``as_of`` and not
  now must have changed owner since), restricted to the tiers the rule may watch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any

import pandas as pd
from django.db.models import Min, Q

from routing_health.alerts.measures import OWNER_INACTIVE, OWNER_NAME, OWNER_SINCE
from routing_health.alerts.rules import BASELINE_WEEKS, largest_window_hours, queue_aging_tiers
from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.facts.duplicates import (
    PARTNERS_BY_ID,
    load_accounts,
    load_contacts,
    partner_ids,
)
from routing_health.facts.frames import (
    concat_frames,
    concat_leads,
    load_frames,
    load_leads,
    owner_names,
)
from routing_health.metrics import lead_facts_of
from routing_health.metrics.duplicates import DUPLICATE_COLUMNS, attach
from routing_health.models import Lead, OwnerChange, SalesforceUser
from routing_health.rollups.service import config_fingerprint
from routing_health.rollups.stored import (
    MATCH_COLUMNS,
    stored_lead_facts,
    stored_match_rows,
    stored_state,
)

QUEUE_PREFIX = "00G"


@dataclass(frozen=True)
class AlertData:
    """Lead facts for an evaluation, with lead labels, queue names and where history starts."""

    facts: pd.DataFrame
    labels: pd.Series
    queue_names: pd.Series
    history_start: datetime | None


def _extra_ids(config: RoutingConfig, as_of: datetime, main_from: datetime) -> list[str]:
    """Leads outside the main window: volume baselines and possibly queued leads."""
    volume = timedelta(hours=largest_window_hours(config, ("volume_anomaly",)))
    slices = [as_of - timedelta(weeks=k) for k in range(1, BASELINE_WEEKS + 1)]
    wanted = reduce(or_, [Q(created_at__gt=end - volume, created_at__lte=end) for end in slices])
    tiers = queue_aging_tiers(config)
    if tiers is None or tiers:
        changed_since = OwnerChange.objects.filter(created_at__gt=as_of).values("lead_id")
        queued = Q(owner_id__startswith=QUEUE_PREFIX) | Q(id__in=changed_since)
        if tiers is not None:
            queued &= Q(tier__in=sorted(tiers))
        wanted |= queued
    leads = Lead.objects.filter(wanted, is_deleted=False, created_at__lte=as_of)
    return list(leads.exclude(created_at__gte=main_from).values_list("id", flat=True))


def _with_owner_state(
    facts: pd.DataFrame, leads: pd.DataFrame, changes: pd.DataFrame
) -> pd.DataFrame:
    """``facts`` plus, for ``inactive_owner``: whether each lead's current owner is a
    deactivated user, that user's name, and when the lead reached that owner (its last owner
    change to them, else its creation). ``changes``: the leads' owner changes (those to a
    deactivated user at least)."""
    inactive = dict(SalesforceUser.objects.filter(is_active=False).values_list("id", "name"))
    leads = leads.drop_duplicates("id", keep="last")
    owner = pd.Series(leads["owner_id"].astype(str).to_numpy(), index=leads["id"].astype(str))
    created = pd.Series(pd.to_datetime(leads["created_at"], utc=True).to_numpy(),
                        index=owner.index)
    lead_ids = facts["lead_id"].astype(str)
    since = lead_ids.map(created)
    if len(changes) and inactive:
        to_inactive = changes[changes["new_owner_id"].astype(str).isin(list(inactive))]
        key = to_inactive["lead_id"].astype(str)
        same = to_inactive["new_owner_id"].astype(str).to_numpy() == key.map(owner).to_numpy()
        reached = (
            pd.to_datetime(to_inactive["created_at"], utc=True)[same]
            .groupby(key[same].to_numpy()).max()
        )
        if len(reached):
            moved = lead_ids.map(reached)
            since = moved.where(moved.notna(), since)
    current = lead_ids.map(owner)
    is_inactive = current.isin(list(inactive))
    return facts.assign(**{
        OWNER_INACTIVE: is_inactive.to_numpy(),
        OWNER_NAME: current.map(inactive).to_numpy(),
        OWNER_SINCE: since.where(is_inactive).to_numpy(),
    })


def _changes_to_inactive(leads: pd.DataFrame) -> pd.DataFrame:
    """The owner changes of ``leads`` to a deactivated user (what ``_with_owner_state`` reads
    of their history), without loading the rest of it."""
    inactive = SalesforceUser.objects.filter(is_active=False).values("id")
    rows = OwnerChange.objects.filter(new_owner_id__in=inactive).values_list(
        "lead_id", "new_owner_id", "created_at")
    changes = pd.DataFrame.from_records(list(rows),
                                        columns=["lead_id", "new_owner_id", "created_at"])
    return changes[changes["lead_id"].isin(set(leads["id"].astype(str)))]


def _watches_duplicates(config: RoutingConfig) -> bool:
    base = config.alerts.rules.get("duplicate_outreach")
    return (base is None or base.enabled is not False) or any(
        o.rule == "duplicate_outreach" and o.enabled for o in config.alerts.overrides
    )


def _with_duplicates(
    facts: pd.DataFrame, config: RoutingConfig, as_of: datetime, since: datetime,
    contacts: pd.DataFrame,
) -> pd.DataFrame:
    """``facts`` plus the duplicates columns, matched over those of its leads created from
    ``since`` (``[duplicates] window_days`` before the widest rule window: a partner may be
    that old) to ``as_of``."""
    created = pd.to_datetime(facts["created_at"], utc=True)
    universe = facts[(created >= pd.Timestamp(since)).to_numpy()]
    matched = attach(universe, contacts, load_accounts(), config.duplicates,
                     as_of).set_index("lead_id")
    ids = facts["lead_id"].astype(str).to_numpy()
    return facts.assign(**{
        column: matched[column].reindex(ids).to_numpy(dtype=object)
        for column in DUPLICATE_COLUMNS
    })


def load_alert_data(config: RoutingConfig, as_of: datetime) -> AlertData:
    """Everything ``evaluate_facts`` needs for ``as_of`` (aware), from the database.

    The leads of the widest rule window, the older ones a rule still watches and, when
    duplicate outreach is watched, the leads of the ``[duplicates] window_days`` before that
    share a domain or a company key with one of them (``facts.duplicates.partner_ids``: the
    only ones matching can need) are loaded and computed in one pass; a lead's facts depend on
    its own records only. Their facts are the stored ones when they can serve
    (``rollups.stored``: the compute before the evaluation, its dirty leads recomputed), else
    computed from the raw rows."""
    params = resolved_params(config)
    main_from = as_of - timedelta(hours=largest_window_hours(config))
    extra = _extra_ids(config, as_of, main_from)
    duplicates = _watches_duplicates(config)
    since = main_from - timedelta(days=config.duplicates.window_days)
    contacts = load_contacts(since, as_of, config.duplicates) if duplicates else None
    fingerprint = config_fingerprint(config, params)

    def select(load: Callable[..., Any], concat: Callable[[list[Any]], Any],
               ids: Callable[[Any], set[str]]) -> tuple[Any, set[str]]:
        """The watched leads and their partners through ``load``, and the watched Ids."""
        loaded = load(created_from=main_from, as_of=as_of)
        watched = ids(loaded) | set(extra)
        partners = partner_ids(contacts, watched, config.duplicates) if duplicates else []
        if len(partners) > PARTNERS_BY_ID:  # most of the window: load it whole, by time
            wide = load(created_from=since, as_of=as_of)
            loaded_ids = ids(wide)
            older = [lead for lead in extra if lead not in loaded_ids]
            return (concat([wide, load(lead_ids=older)]) if older else wide), watched
        if extra or partners:
            return concat([loaded, load(lead_ids=[*extra, *partners])]), watched
        return loaded, watched

    every = None
    if stored_state(fingerprint, as_of) is not None:
        every, leads, watched = _from_stored(config, params, as_of, fingerprint, main_from,
                                             extra, since, contacts)
        queue_names = owner_names()
    if every is None:
        frames, watched = select(load_frames, concat_frames, lambda f: _lead_ids(f.leads))
        leads, queue_names = frames.leads, frames.owner_names
        every = _with_owner_state(lead_facts_of(frames, params, as_of), leads,
                                  frames.owner_changes)
        if duplicates:
            every = _with_duplicates(every, config, as_of, since, contacts)
    facts = every[every["lead_id"].astype(str).isin(watched).to_numpy()].reset_index(drop=True)
    name = leads["name"].astype(str).str.strip()
    company = leads["company"].astype(str).str.strip()
    label = name.where(name != "", company).where(lambda s: s != "", leads["id"].astype(str))
    history_start = Lead.objects.filter(is_deleted=False).aggregate(at=Min("created_at"))["at"]
    return AlertData(
        facts=facts,
        labels=pd.Series(label.to_numpy(), index=leads["id"].astype(str).to_numpy()),
        queue_names=queue_names,
        history_start=history_start,
    )


def _from_stored(
    config: RoutingConfig, params: Any, as_of: datetime, fingerprint: str, main_from: datetime,
    extra: list[str], since: datetime, contacts: pd.DataFrame | None,
) -> tuple[pd.DataFrame | None, pd.DataFrame, set[str]]:
    """``load_alert_data``'s facts (owner state and duplicates columns included), leads and
    watched Ids from the stored facts (``rollups.stored``): the watched leads' whole facts,
    of their duplicate partners only what matching reads (``stored_match_rows``). None for
    the facts when the stored ones cannot serve."""
    leads = load_leads(created_from=main_from, as_of=as_of)
    watched = _lead_ids(leads) | set(extra)
    if extra:
        leads = concat_leads([leads, load_leads(lead_ids=extra)])
    facts = stored_lead_facts(leads, params, as_of, fingerprint)
    if facts is None:
        return None, leads, watched
    every = _with_owner_state(facts, leads, _changes_to_inactive(leads))
    if contacts is None:  # duplicate outreach not watched
        return every, leads, watched
    partners = partner_ids(contacts, watched, config.duplicates)
    by_time = len(partners) > PARTNERS_BY_ID
    rows = stored_match_rows(params, as_of, fingerprint, created_from=since,
                             lead_ids=None if by_time else partners)
    if rows is None:
        return None, leads, watched
    own = every[list(MATCH_COLUMNS)]
    universe = pd.concat([own, rows[~rows["lead_id"].isin(set(own["lead_id"]))]],
                         ignore_index=True)
    matched = _with_duplicates(universe, config, as_of, since, contacts).set_index("lead_id")
    ids = every["lead_id"].astype(str).to_numpy()
    return every.assign(**{
        column: matched[column].reindex(ids).to_numpy(dtype=object)
        for column in DUPLICATE_COLUMNS
    }), leads, watched


def _lead_ids(leads: pd.DataFrame) -> set[str]:
    return set(leads["id"].astype(str))
