"""Stored rollups: what ``compute_metrics`` writes so dashboard pages never scan raw leads.

The tables:

- ``LeadFact``: the engine's per-lead facts as of the last run, plus ``next_change_at``: the
  earliest instant at which a fact would change by the passage of time alone (a pending
  outcome turning failed, an acceptance window closing, an SLA clock running out, a queued
  lead crossing the age limit). An incremental run recomputes only the leads whose data
  changed since the last run and those whose ``next_change_at`` has come.
- ``DailyRollup``: per local creation day × region × tier × lead source, the counts behind
  every metric and the sorted TTA / first-touch values, wall-clock and business-hours (for
  exact percentiles over any range). An incremental run moves only the recomputed leads'
  contributions (``routing_health.rollups.delta``).
- ``RepRollup``, ``FailureRollup`` and ``QueueRollup``: what the Reps, Failures and Queues
  pages show, per day (``routing_health.rollups.ops``).

A run with a different configuration (business-hours calendars resolved against the synced
Salesforce BusinessHours/Holiday records included), an earlier ``as_of`` or ``--full``
recomputes everything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from django.db import transaction
from django.db.models import Max

from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.facts.frames import load_frames
from routing_health.lib.columnar_upsert import insert_frame
from routing_health.lib.env import envint
from routing_health.lib.sfid import CONTACT_PREFIX
from routing_health.lib.upsert import bulk_load
from routing_health.metrics import MetricParams, lead_facts_of
from routing_health.metrics.business_hours import business_deadline
from routing_health.models import (
    Activity,
    DailyRollup,
    Lead,
    LeadFact,
    MetricsState,
    OwnerChange,
    RepRollup,
    StatusChange,
)
from routing_health.rollups.delta import apply_delta
from routing_health.rollups.ops import (
    OPS_INPUT,
    move_rep_rollups,
    refresh_failure_days,
    write_failure_rollups,
    write_queue_rollups,
    write_rep_rollups,
)
from routing_health.rollups.partitions import (
    PARTITION_LEADS,
    compute_partition,
    lead_partitions,
    run_partition_tasks,
)
from routing_health.rollups.rows import (
    BUSINESS_FLAGS,
    ROLLUP_INPUT,
    rollup_rows,
)

log = logging.getLogger(__name__)

ID_CHUNK = 5_000
SOURCE_FIELD = "LeadSource"
FACT_INPUT = (*ROLLUP_INPUT, *OPS_INPUT)
"""The stored fact columns every rollup is built from."""


@dataclass(frozen=True)
class ComputeOutcome:
    """What one ``compute_metrics`` run did (its typed result)."""

    mode: str  # full | incremental
    as_of: datetime
    leads_recomputed: int
    rollup_rows_written: int
    seconds: float

    def summary(self) -> str:
        return (
            f"compute_metrics {self.mode}: {self.leads_recomputed} leads recomputed, "
            f"{self.rollup_rows_written} rollup row(s) written as of "
            f"{self.as_of.isoformat()} in {self.seconds:.2f}s"
        )


def config_fingerprint(config: RoutingConfig, params: MetricParams | None = None) -> str:
    """Changes whenever the metric parameters do, resolved calendars included, and only then:
    sets and mappings are sorted, so the same parameters give the same fingerprint in every
    process (``repr`` of a ``frozenset`` follows the per-process string hash seed, which made
    each new process see a changed configuration and recompute everything)."""
    params = resolved_params(config) if params is None else params
    text = json.dumps(_canonical(params), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _canonical(value: object) -> object:
    """``value`` as JSON-ready lists and strings, independent of set and dict order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__] + [
            [f.name, _canonical(getattr(value, f.name))] for f in dataclasses.fields(value)
        ]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(item) for item in value), key=repr)
    if isinstance(value, Mapping):
        return sorted(([_canonical(k), _canonical(v)] for k, v in value.items()), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    return repr(value)


def compute_metrics(
    *,
    config: RoutingConfig,
    as_of: datetime,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
    partition_leads: int | None = None,
    tasks: bool = False,
) -> ComputeOutcome:
    """Refresh ``LeadFact`` and ``DailyRollup`` as of ``as_of``.

    A full run computes the leads in partitions of about ``partition_leads`` (default
    ``COMPUTE_PARTITION_LEADS``, ``rollups.partitions``): in this process, or with ``tasks`` as
    django-q2 tasks shared by the cluster's workers."""
    say = progress or (lambda _m: None)
    started = time.monotonic()
    params = resolved_params(config)
    fingerprint = config_fingerprint(config, params)
    state = MetricsState.objects.filter(pk=1).first()
    sync_mark = _sync_mark()
    mode = "incremental"
    if (
        full
        or state is None
        or state.config_fingerprint != fingerprint
        or state.as_of is None
        or as_of < state.as_of
    ):
        mode = "full"
        lead_ids: list[str] | None = None
    else:
        lead_ids = dirty_lead_ids(state.sync_mark, state.as_of, as_of)
    say(f"compute_metrics: {mode} run as of {as_of.isoformat()}")
    extra, source = _extra_fields(config)
    if lead_ids is None:
        computed, rewritten = _full_run(
            params, as_of, extra=extra, source=source, say=say,
            partition_leads=partition_leads, tasks=tasks, fingerprint=fingerprint,
            done=lambda: _save_state(as_of, fingerprint, sync_mark, started),
        )
    else:
        frames = load_frames(lead_ids=lead_ids, extra=extra)
        facts = lead_facts_of(frames, params, as_of)
        say(f"compute_metrics: {len(facts)} lead facts computed")
        frame = fact_frame(facts, params, as_of, source=source)
        new = frame[list(FACT_INPUT)] if len(frame) else pd.DataFrame(columns=list(FACT_INPUT))
        computed = len(frame)
        with transaction.atomic():
            # Contributions move: the old facts' out of their rows (a recomputed lead may
            # change day, or leave when deleted), the new ones' in.
            old = _replace_facts(lead_ids, frame)
            rewritten = apply_delta(old, new)
            rewritten += move_rep_rollups(old, new)
            rewritten += refresh_failure_days(old, new)
            rewritten += write_queue_rollups(as_of, params.queue_age_limit_hours)
            _save_state(as_of, fingerprint, sync_mark, started)
    outcome = ComputeOutcome(mode, as_of, computed, rewritten, time.monotonic() - started)
    say(outcome.summary())
    return outcome


def _extra_fields(config: RoutingConfig) -> tuple[list[str], str | None]:
    """The extra Lead fields the facts need (the lead source, when configured) and the
    source column's name."""
    if SOURCE_FIELD in config.lead_fields.extra:
        return [SOURCE_FIELD], SOURCE_FIELD
    return [], None


def partition_inputs(config: RoutingConfig) -> tuple[MetricParams, list[str], str | None]:
    """What a partition task computes with: the resolved parameters, the extra fields, the
    source column (``rollups.partitions.run_partition_task``)."""
    return (resolved_params(config), *_extra_fields(config))


def _save_state(
    as_of: datetime, fingerprint: str, sync_mark: datetime | None, started: float
) -> None:
    MetricsState.objects.update_or_create(
        pk=1,
        defaults={
            "as_of": as_of,
            "config_fingerprint": fingerprint,
            "sync_mark": sync_mark,
            "computed_seconds": time.monotonic() - started,
        },
    )


def _full_run(
    params: MetricParams,
    as_of: datetime,
    *,
    extra: list[str],
    source: str | None,
    say: Callable[[str], None],
    partition_leads: int | None,
    tasks: bool,
    fingerprint: str,
    done: Callable[[], None],
) -> tuple[int, int]:
    """Every lead's facts and every rollup, partition by partition; ``done`` runs in the
    transaction of the last write. Returns (facts, rollup rows) written."""
    size = partition_leads or envint("COMPUTE_PARTITION_LEADS", PARTITION_LEADS)
    parts = lead_partitions(params.report_timezone, size)
    say(f"compute_metrics: {len(parts)} partition(s) of about {size:,} leads"
        + (", as django-q2 tasks" if tasks else ""))
    if tasks:
        computed, written = run_partition_tasks(parts, as_of, fingerprint, say)
        with transaction.atomic():
            written += write_failure_rollups()
            written += write_queue_rollups(as_of, params.queue_age_limit_hours)
            done()
        return computed, written
    computed = written = 0
    with transaction.atomic():
        for model in (LeadFact, DailyRollup, RepRollup):
            model.objects.all().delete()
        with bulk_load(LeadFact):
            for part in parts:
                facts, rows = compute_partition(
                    part, params, as_of, extra=extra, source=source, replace=False
                )
                computed += facts
                written += rows
                say(f"compute_metrics: {part.describe()}: {facts:,} lead facts")
        written += write_failure_rollups()
        written += write_queue_rollups(as_of, params.queue_age_limit_hours)
        done()
    return computed, written


def write_rollups(facts: pd.DataFrame) -> int:
    """Replace the daily, rep and failure rollups with those of ``facts`` (every stored fact,
    ``FACT_INPUT`` columns, already stored: the failure rollup is aggregated in SQL); the
    queue rollup follows with ``write_queue_rollups``."""
    DailyRollup.objects.all().delete()
    daily = rollup_rows(facts)
    DailyRollup.objects.bulk_create(daily, batch_size=2_000)
    return len(daily) + write_rep_rollups(facts) + write_failure_rollups()


def _sync_mark() -> datetime | None:
    marks = [
        model.objects.aggregate(m=Max("synced_at"))["m"]
        for model in (Lead, OwnerChange, StatusChange, Activity)
    ]
    marks = [m for m in marks if m is not None]
    return max(marks) if marks else None


def dirty_lead_ids(since: datetime | None, previous: datetime, as_of: datetime) -> list[str]:
    """Leads whose facts may differ from those computed as of ``previous``.

    Those whose stored data changed after the sync mark ``since``; those with an event (their
    creation, an owner or status change, an activity) in ``(previous, as_of]``, which the
    previous run did not count yet; and those with a time-driven change due by ``as_of``.
    """
    ids: set[str] = set()
    window = {"created_at__gt": previous, "created_at__lte": as_of}
    ids |= set(Lead.objects.filter(**window).values_list("id", flat=True))
    for model in (OwnerChange, StatusChange, Activity):
        ids |= set(model.objects.filter(**window).values_list("lead_id", flat=True))
    if since is None:
        ids |= set(Lead.objects.values_list("id", flat=True))
    else:
        ids |= set(Lead.objects.filter(synced_at__gt=since).values_list("id", flat=True))
        for model in (OwnerChange, StatusChange, Activity):
            ids |= set(
                model.objects.filter(synced_at__gt=since)
                .exclude(lead_id="")
                .values_list("lead_id", flat=True)
            )
        # A Contact activity moved between leads converted into its Contact
        # (sync_activities): the lead it left changed too.
        contacts = Activity.objects.filter(
            synced_at__gt=since, who_id__startswith=CONTACT_PREFIX
        ).values("who_id")
        ids |= set(
            Lead.objects.filter(converted_contact_id__in=contacts).values_list("id", flat=True)
        )
    ids |= set(
        LeadFact.objects.filter(next_change_at__lte=as_of).values_list("lead_id", flat=True)
    )
    ids.discard("")
    return sorted(ids)


def _replace_facts(lead_ids: list[str], frame: pd.DataFrame) -> pd.DataFrame:
    """Swap the stored facts of ``lead_ids`` for those of ``frame`` (``fact_frame`` output);
    returns the old ones (rollup input)."""
    old = []
    for i in range(0, len(lead_ids), ID_CHUNK):
        chunk = LeadFact.objects.filter(lead_id__in=lead_ids[i : i + ID_CHUNK])
        old += list(chunk.values_list(*FACT_INPUT))
        chunk.delete()
    store_facts(frame)
    return pd.DataFrame.from_records(old, columns=list(FACT_INPUT))


def _next_change_at(facts: pd.DataFrame, params: MetricParams, as_of: datetime) -> pd.Series:
    """Earliest future instant at which a fact would change with time alone (NaT: none)."""
    created = facts["created_at"]
    minutes = pd.to_timedelta(1, unit="min")
    tiers = facts["tier"].astype("object")
    sla = {tier: params.sla_for(tier) for tier in tiers.dropna().unique()}
    default_assign, default_touch = params.default_tier_sla
    assign_limit = tiers.map({t: a for t, (a, _) in sla.items()}).astype(float)
    assign_limit = assign_limit.fillna(default_assign)
    touch_limit = tiers.map({t: b for t, (_, b) in sla.items()}).astype(float)
    touch_limit = touch_limit.fillna(default_touch)
    # When the acceptance window closes, acceptance_pending flips at that instant
    # (``now < end``); every other fact flips just after its instant (a strict ``>``).
    closes = (facts["rep_assigned_at"].where(facts["acceptance_pending"].astype(bool))
              + params.accept_hours * 60 * minutes)
    candidates = [
        created.where(facts["outcome"].astype("object") == "pending")
        + params.routing_grace_minutes * minutes,
        (created + assign_limit * minutes).where(
            facts["rep_assigned_at"].isna() & ~facts["assign_sla_applicable"].astype(bool)
        ),
        (created + touch_limit * minutes).where(
            facts["first_touch_at"].isna() & ~facts["touch_sla_applicable"].astype(bool)
        ),
        (facts["queue_entered_at"] + params.queue_age_limit_hours * 60 * minutes).where(
            facts["queued"].astype(bool)
        ),
        *_business_deadlines(facts, params, assign_limit, touch_limit),
    ]
    stacked = pd.concat(candidates, axis=1)
    now = pd.Timestamp(as_of)
    # A breach is strict (> limit): the fact flips just after the limit instant, so a limit
    # at ``as_of`` itself is still to come (it was missed when only later ones counted).
    after = stacked.where(stacked >= now).min(axis=1) + pd.to_timedelta(1, unit="us")
    at = closes.where(closes > now)
    return pd.concat([after, at], axis=1).min(axis=1)


def _business_deadlines(
    facts: pd.DataFrame, params: MetricParams, assign_limit: pd.Series, touch_limit: pd.Series
) -> list[pd.Series]:
    """When an unassigned (untouched) lead's business clock passes its tier limit.

    Only leads with a calendar: without one the business flags equal the wall-clock ones,
    whose instants are candidates already.
    """
    calendar = facts["business_calendar"].astype("object")
    calendar = calendar.where(calendar.notna() & (calendar != ""), None)
    out = []
    for done, applicable, limit in (
        ("rep_assigned_at", "assign_sla_applicable_business", assign_limit),
        ("first_touch_at", "touch_sla_applicable_business", touch_limit),
    ):
        waiting = facts[done].isna() & ~facts[applicable].astype(bool) & calendar.notna()
        if not waiting.any():
            continue
        names = calendar.where(waiting, None).to_numpy(dtype=object)
        at = business_deadline(facts["created_at"], limit.to_numpy(), names, params.calendars)
        out.append(pd.Series(at, index=facts.index).dt.tz_localize("UTC"))
    return out


def fact_frame(
    facts: pd.DataFrame, params: MetricParams, as_of: datetime, *, source: str | None
) -> pd.DataFrame:
    """The ``LeadFact`` columns of ``facts`` (for ``store_facts`` and the rollups)."""
    if facts.empty:
        return pd.DataFrame(columns=list(FACT_INPUT))
    queued = facts["queued"].astype(bool)
    over_limit = queued & (facts["queue_age_hours"] > params.queue_age_limit_hours)
    next_change = _next_change_at(facts, params, as_of)
    frame = pd.DataFrame(
        {
            "lead_id": facts["lead_id"].astype(str),
            "created_at": facts["created_at"],
            "created_day": pd.to_datetime(facts["created_day"].astype(str)).dt.date,
            "region": _text(facts["region"]),
            "tier": _text(facts["tier"]),
            "source": _text(facts[source]) if source else "",
            "outcome": _text(facts["outcome"]),
            "failure_reason": _text(facts["failure_reason"]),
            "routed_owner": _text(facts["routed_owner"]),
            "first_rep": _text(facts["first_rep"]),
            "rep_assigned_at": facts["rep_assigned_at"],
            "tta_minutes": facts["tta_minutes"],
            "first_touch_minutes": facts["first_touch_minutes"],
            "bounced": facts["bounced"].astype(bool),
            "accepted": facts["accepted"].astype(bool),
            "acceptance_pending": facts["acceptance_pending"].astype(bool),
            "rejected": facts["rejected"].astype(bool),
            "rejection_reason": _text(facts["rejection_reason"]),
            "queued": queued,
            "queued_over_limit": over_limit.astype(bool),
            "queue_owner": _text(facts["queue_owner"]),
            "queue_entered_at": facts["queue_entered_at"],
            "assign_sla_applicable": facts["assign_sla_applicable"].astype(bool),
            "assign_sla_met": facts["assign_sla_met"].astype(bool),
            "touch_sla_applicable": facts["touch_sla_applicable"].astype(bool),
            "touch_sla_met": facts["touch_sla_met"].astype(bool),
            "next_change_at": next_change,
            "business_calendar": _text(facts["business_calendar"]),
            "tta_business_minutes": facts["tta_business_minutes"],
            "first_touch_business_minutes": facts["first_touch_business_minutes"],
            **{flag: facts[flag].astype(bool) for flag in BUSINESS_FLAGS},
            "initial_owner": _text(facts["initial_owner"]),
            "routed_at": facts["routed_at"],
            "failed_node": _text(facts["failed_node"]),
            "first_touch_at": facts["first_touch_at"],
            "bounced_at": facts["bounced_at"],
        }
    )
    return frame


def store_facts(frame: pd.DataFrame) -> int:
    """Insert the ``LeadFact`` rows of ``fact_frame`` output (none of them may be stored):
    column by column (``lib.columnar_upsert.insert_frame``), no Python object per lead."""
    return insert_frame(LeadFact, frame)


def _text(series: pd.Series) -> pd.Series:
    return series.astype("object").where(series.notna(), "").astype(str)


__all__ = ["ComputeOutcome", "compute_metrics", "fact_frame", "store_facts", "write_rollups"]
