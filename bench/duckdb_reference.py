"""A DuckDB SQL reference of the routing metrics (spec sections 4 and 5), for the benchmark.

Written from the spec's definitions (section 4 "Precise semantics" included), sharing no code
with the pandas engine beyond the column lists and ``MetricParams``: the engine's input frames
are registered as DuckDB views and every per-lead fact and grouped metric is SQL (a window over
each lead's owner changes ordered by (CreatedDate, history Id) for the timeline,
``arg_min``/``arg_max`` for first/last events, ``quantile_cont`` for the linearly interpolated
percentiles). DuckDB is a dev/bench dependency only; nothing in ``routing_health`` imports this.

Readings where the spec leaves room (the same as the engine's documented ones):

- a null or empty OldValue on the earliest owner change falls back to the current OwnerId; a
  null Status OldValue is the status (it is in no status list);
- ``ConvertedDate`` is a date: a lead counts as converted by T when it is on or before T's date
  in the report timezone;
- an activity whose owner is null is not automation; a null Id or status reads as '';
- a tier missing from the SLA table (or empty) uses the default SLA; an owner without a name
  is named by its Id.

Times are read as int64 nanoseconds since the epoch (UTC), like the engine, so durations are
exact before the one float division; DuckDB's own ``TIMESTAMPTZ`` would truncate to µs.

Entry points:

- ``reference_metrics(con_or_frames, params, as_of, by)``: the grouped metrics of section 5
  (``METRICS``), then their business-hours variants of section 10 (``BUSINESS_VARIANTS``) when
  no region has a business-hours calendar, where the spec makes them equal to the wall-clock
  ones; calendars themselves are not implemented here.
- ``reference_lead_facts(con_or_frames, params, as_of)``: the per-lead facts.
- ``compute_reference(con_or_frames, params, as_of, groupings)``: facts once, several groupings
  (what the benchmark times).
- ``compare_metrics`` / ``compare_facts``: agreement checks against the engine's output.

``con_or_frames`` is either a DuckDB connection on which ``register_frames`` has been called, or
anything with the frames as attributes or keys: ``leads``, ``owner_changes``,
``status_changes``, ``activities``, ``owner_names`` (``routing_health.facts.frames.Frames`` and the
``SyntheticOrg`` of ``bench.frames`` both fit).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from routing_health.metrics.columns import (
    ACTIVITY_COLUMNS,
    LEAD_COLUMNS,
    OWNER_CHANGE_COLUMNS,
    STATUS_CHANGE_COLUMNS,
)
from routing_health.metrics.params import MetricParams

NS_PER_MINUTE = 60_000_000_000
NS_PER_HOUR = 3_600_000_000_000
NAT = np.iinfo(np.int64).min
FRAME_NAMES = ("leads", "owner_changes", "status_changes", "activities", "owner_names")
VIEW = "rh_{}"
"""Frames are registered as views ``rh_leads``, ``rh_owner_changes``, ..."""

# Owner classes (spec section 4).
HOLDING, FALLBACK, REP, WORKING_QUEUE, OTHER = range(5)
FACT_KEYS = {
    "region": "region",
    "tier": "tier",
    "day": "created_day",
    "week": "created_week",
    "first_rep": "first_rep",
    "routed_owner": "routed_owner",
    "failure_reason": "failure_reason",
}
"""Group key (spec section 5) -> column of ``rh_facts``; extra lead columns group by name."""
METRICS: tuple[str, ...] = (
    "leads",
    "succeeded",
    "failed",
    "pending",
    "assignment_success_rate",
    "assigned",
    "tta_p50_minutes",
    "tta_p95_minutes",
    "assign_sla_met_rate",
    "bounced",
    "bounce_rate",
    "accepted",
    "acceptance_rate",
    "touched",
    "first_touch_p50_minutes",
    "first_touch_p95_minutes",
    "touch_sla_met_rate",
    "rejected",
    "rejection_rate",
    "queued",
    "queued_over_limit",
    "oldest_queue_age_hours",
)
"""The metrics of spec section 5, in the table's order."""
COUNTS = frozenset(
    {
        "leads",
        "succeeded",
        "failed",
        "pending",
        "assigned",
        "bounced",
        "accepted",
        "touched",
        "rejected",
        "queued",
        "queued_over_limit",
    }
)
BUSINESS_VARIANTS: Mapping[str, str] = {
    "tta_p50_business_minutes": "tta_p50_minutes",
    "tta_p95_business_minutes": "tta_p95_minutes",
    "first_touch_p50_business_minutes": "first_touch_p50_minutes",
    "first_touch_p95_business_minutes": "first_touch_p95_minutes",
    "assign_sla_met_rate_business": "assign_sla_met_rate",
    "touch_sla_met_rate_business": "touch_sla_met_rate",
}
"""Section 10 business-minutes variant -> its wall-clock metric (equal without a calendar)."""

Frames = Any
"""An object or mapping holding the five frames (see the module docstring)."""


# --- Registration -----------------------------------------------------------------------------


def _ns(values: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Times as nullable int64 ns since the epoch (UTC): naive values are read as UTC."""
    stamps = pd.to_datetime(values, utc=True)
    ints = stamps.dt.tz_localize(None).dt.as_unit("ns").to_numpy("datetime64[ns]").view("int64")
    missing = ints == NAT
    if not missing.any():
        return ints
    return pd.arrays.IntegerArray(ints, missing)


def _with_ns_times(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A shallow copy of ``frame`` whose datetime ``columns`` are int64 ns."""
    out = frame.copy(deep=False)
    for column in columns:
        out[column] = _ns(frame[column])
    return out


def register_frames(
    con: duckdb.DuckDBPyConnection,
    leads: pd.DataFrame,
    owner_changes: pd.DataFrame,
    status_changes: pd.DataFrame,
    activities: pd.DataFrame,
    owner_names: Mapping[str, str] | pd.Series,
) -> list[str]:
    """Register the engine's input frames as DuckDB views; returns the extra lead columns."""
    names = owner_names.to_dict() if isinstance(owner_names, pd.Series) else dict(owner_names)
    frames = {
        "leads": _with_ns_times(leads, ["created_at"]),
        "owner_changes": _with_ns_times(owner_changes[list(OWNER_CHANGE_COLUMNS)], ["created_at"]),
        "status_changes": _with_ns_times(
            status_changes[list(STATUS_CHANGE_COLUMNS)], ["created_at"]
        ),
        "activities": _with_ns_times(activities[list(ACTIVITY_COLUMNS)], ["created_at"]),
        "owner_names": pd.DataFrame(
            {
                "id": pd.array([str(k) for k in names], dtype=object),
                "name": pd.array(
                    [
                        None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                        for v in names.values()
                    ],
                    dtype=object,
                ),
            }
        ),
    }
    for name, frame in frames.items():
        con.register(VIEW.format(name), frame)
    return [c for c in leads.columns if c not in LEAD_COLUMNS]


def _connect(con_or_frames: duckdb.DuckDBPyConnection | Frames) -> duckdb.DuckDBPyConnection:
    if isinstance(con_or_frames, duckdb.DuckDBPyConnection):
        return con_or_frames
    con = duckdb.connect()

    def get(name: str) -> Any:
        if isinstance(con_or_frames, Mapping):
            return con_or_frames[name]
        return getattr(con_or_frames, name)

    register_frames(con, *(get(name) for name in FRAME_NAMES))
    return con


def _extras(con: duckdb.DuckDBPyConnection) -> list[str]:
    columns = [row[0] for row in con.execute(f"DESCRIBE {VIEW.format('leads')}").fetchall()]
    return [c for c in columns if c not in LEAD_COLUMNS]


# --- SQL helpers -----------------------------------------------------------------------------


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _in(expr: str, values: Iterable[str]) -> str:
    """``expr IN (...)`` as a never-NULL boolean; FALSE for an empty set."""
    items = sorted(values)
    if not items:
        return "FALSE"
    return f"coalesce({expr} IN ({', '.join(_lit(v) for v in items)}), FALSE)"


def _owner_class(expr: str, params: MetricParams) -> str:
    """Holding and fallback from the config (holding wins), else 005 = rep, 00G = queue."""
    return (
        f"(CASE WHEN {_in(expr, params.holding)} THEN {HOLDING} "
        f"WHEN {_in(expr, params.fallback)} THEN {FALLBACK} "
        f"WHEN starts_with({expr}, '005') THEN {REP} "
        f"WHEN starts_with({expr}, '00G') THEN {WORKING_QUEUE} ELSE {OTHER} END)"
    )


def _minutes(later: str, earlier: str) -> str:
    return f"(CAST(({later}) - ({earlier}) AS DOUBLE) / CAST({NS_PER_MINUTE} AS DOUBLE))"


def _text(column: str) -> str:
    """A text column with null read as ''."""
    return f"coalesce(CAST({column} AS VARCHAR), '')"


def _as_of_ns(as_of: datetime | pd.Timestamp) -> int:
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    return int(stamp.tz_convert("UTC").as_unit("ns").value)


def _converted_date_sql(con: duckdb.DuckDBPyConnection, tz: str) -> str:
    """``converted_date`` as a local DATE: a date stays, an aware datetime is read in ``tz``."""
    kinds = {row[0]: row[1] for row in con.execute(f"DESCRIBE {VIEW.format('leads')}").fetchall()}
    kind = str(kinds.get("converted_date", "DATE")).upper()
    if "WITH TIME ZONE" in kind:
        return f"CAST(timezone({_lit(tz)}, l.converted_date) AS DATE)"
    if kind in {"INTEGER", "BIGINT", '"NULL"', "NULL"}:  # an all-null column
        return "CAST(NULL AS DATE)"
    return "CAST(l.converted_date AS DATE)"


# --- Facts -----------------------------------------------------------------------------------


def build_facts(
    con: duckdb.DuckDBPyConnection, params: MetricParams, as_of: datetime | pd.Timestamp
) -> list[str]:
    """Create the temp table ``rh_facts`` (one row per lead in scope); returns the extras."""
    t = _as_of_ns(as_of)
    tz = params.report_timezone
    extras = _extras(con)
    local_today = pd.Timestamp(t, tz="UTC").tz_convert(tz).date().isoformat()
    bounce_ns = round(params.bounce_hours * NS_PER_HOUR)
    accept_ns = round(params.accept_hours * NS_PER_HOUR)
    sla_rows = ", ".join(
        f"({_lit(tier)}, CAST({a!r} AS DOUBLE), CAST({b!r} AS DOUBLE))"
        for tier, (a, b) in params.tier_sla.items()
    )
    sla_values = f", {sla_rows}" if sla_rows else ""
    default_assign, default_touch = params.default_tier_sla
    extra_select = "".join(f', l."{c}" AS "{c}"' for c in extras)
    none = np.iinfo(np.int64).max

    con.execute("SET TimeZone = 'UTC'")
    # Leads in scope: not deleted (now), created at or before T; ``lk`` is an integer key.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rh_l AS
        SELECT row_number() OVER () AS lk, CAST(l.id AS VARCHAR) AS lead_id, l.created_at AS c,
               {_text("l.owner_id")} AS cur_owner, {_text("l.status")} AS cur_status,
               coalesce(l.is_converted, FALSE)
                   AND coalesce({_converted_date_sql(con, tz)} <= DATE {_lit(local_today)}, FALSE)
                   AS converted_by_t,
               nullif({_text("l.region")}, '') AS region, nullif({_text("l.tier")}, '') AS tier,
               nullif({_text("l.failed_node")}, '') AS failed_node
               {extra_select}
        FROM {VIEW.format("leads")} l
        WHERE NOT coalesce(l.is_deleted, FALSE) AND l.created_at IS NOT NULL
          AND l.created_at <= {t}
        """
    )
    # Owner timeline: the changes of each lead ordered by (CreatedDate, history Id), all
    # history (the initial owner is the OldValue of the earliest change, even after T).
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rh_oc AS
        SELECT l.lk, o.created_at AS t,
               {_text("o.old_owner_id")} AS old, {_text("o.new_owner_id")} AS new,
               {_owner_class(_text("o.new_owner_id"), params)} AS cls,
               row_number() OVER w AS rn,
               lead(o.created_at) OVER w AS next_t
        FROM {VIEW.format("owner_changes")} o JOIN rh_l l ON l.lead_id = CAST(o.lead_id AS VARCHAR)
        WHERE o.created_at IS NOT NULL
        WINDOW w AS (PARTITION BY l.lk ORDER BY o.created_at, CAST(o.id AS VARCHAR))
        """
    )
    # Then only changes at or before T count. They are a prefix of each lead's order, so
    # ``next_t`` (the change ordered next) counts when it is ≤ T too.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rh_own AS
        WITH agg AS (
            SELECT lk,
                   arg_min(old, rn) AS earliest_old,
                   count(*) FILTER (WHERE t <= {t}) AS n,
                   min(t) FILTER (WHERE t <= {t}) AS first_t,
                   arg_max(new, rn) FILTER (WHERE t <= {t}) AS last_new,
                   max(t) FILTER (WHERE t <= {t}) AS last_t,
                   arg_min(new, rn) FILTER (WHERE t <= {t} AND cls <> {HOLDING}) AS routed_new,
                   min(t) FILTER (WHERE t <= {t} AND cls <> {HOLDING}) AS routed_t,
                   arg_min(new, rn) FILTER (WHERE t <= {t} AND cls = {REP}) AS rep_new,
                   min(t) FILTER (WHERE t <= {t} AND cls = {REP}) AS rep_t,
                   arg_min(CASE WHEN next_t <= {t} THEN next_t ELSE {none} END, rn)
                       FILTER (WHERE t <= {t} AND cls = {REP}) AS rep_next_t
            FROM rh_oc GROUP BY lk
        ),
        timeline AS (
            SELECT l.lk, l.c,
                   CASE WHEN a.earliest_old IS NOT NULL AND a.earliest_old <> ''
                        THEN a.earliest_old ELSE l.cur_owner END AS initial,
                   coalesce(a.n, 0) AS n, a.first_t, a.last_new, a.last_t, a.routed_new,
                   a.routed_t, a.rep_new, a.rep_t, nullif(a.rep_next_t, {none}) AS rep_next_t
            FROM rh_l l LEFT JOIN agg a USING (lk)
        ),
        resolved AS (
            SELECT lk, c, initial, n, last_new, last_t,
                   {_owner_class("initial", params)} AS init_cls,
                   CASE WHEN init_cls <> {HOLDING} THEN initial ELSE routed_new END AS routed_owner,
                   CASE WHEN init_cls <> {HOLDING} THEN c ELSE routed_t END AS routed_at,
                   CASE WHEN init_cls = {REP} THEN initial ELSE rep_new END AS first_rep,
                   CASE WHEN init_cls = {REP} THEN c ELSE rep_t END AS rep_at,
                   -- the first change (≤ T) ordered after the rep assignment
                   CASE WHEN init_cls = {REP} THEN first_t ELSE rep_next_t END AS after_rep_t
            FROM timeline
        )
        SELECT lk, initial, routed_owner, routed_at, first_rep, rep_at,
               CASE WHEN rep_at IS NOT NULL AND after_rep_t IS NOT NULL
                         AND after_rep_t <= rep_at + {bounce_ns} THEN after_rep_t END AS bounced_at,
               CASE WHEN rep_at IS NOT NULL THEN rep_at + {accept_ns} END AS accept_end,
               CASE WHEN n > 0 THEN last_new ELSE initial END AS owner_at_t,
               CASE WHEN n > 0 THEN last_t ELSE c END AS owner_since
        FROM resolved
        """
    )
    # The acceptance window [rep_at, min(rep_at + accept_hours, bounced_at)].
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE rh_win AS
        SELECT o.lk, l.lead_id, o.rep_at,
               CASE WHEN o.bounced_at IS NOT NULL THEN least(o.accept_end, o.bounced_at)
                    ELSE o.accept_end END AS window_end
        FROM rh_own o JOIN rh_l l USING (lk) WHERE o.rep_at IS NOT NULL
        """
    )
    # Status: the status at T, acceptance by status change, rejection.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rh_st AS
        WITH sc AS (
            SELECT l.lk, s.created_at AS t, CAST(s.id AS VARCHAR) AS id,
                   {_text("s.old_status")} AS old, {_text("s.new_status")} AS new
            FROM {VIEW.format("status_changes")} s
                 JOIN rh_l l ON l.lead_id = CAST(s.lead_id AS VARCHAR)
            WHERE s.created_at IS NOT NULL
        )
        SELECT sc.lk,
               arg_min(old, (t, id)) AS first_old,
               arg_max(new, (t, id)) FILTER (WHERE t <= {t}) AS last_new,
               coalesce(bool_or(t <= {t} AND {_in("new", params.accepted_statuses)}
                                AND t >= w.rep_at AND t <= w.window_end), FALSE) AS accepted,
               coalesce(bool_or(t <= {t} AND {_in("new", params.rejected_statuses)}
                                AND t >= w.rep_at), FALSE) AS rejected
        FROM sc LEFT JOIN rh_win w USING (lk)
        GROUP BY sc.lk
        """
    )
    # Touches: activities not deleted, not owned by a holding owner, at or before T.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rh_touch AS
        SELECT l.lk, min(a.created_at) AS first_touch_at,
               coalesce(bool_or(a.created_at >= w.rep_at AND a.created_at <= w.window_end),
                        FALSE) AS accepted
        FROM {VIEW.format("activities")} a
             JOIN rh_l l ON l.lead_id = CAST(a.lead_id AS VARCHAR)
             LEFT JOIN rh_win w ON w.lk = l.lk
        WHERE a.created_at IS NOT NULL AND a.created_at <= {t}
          AND NOT coalesce(a.is_deleted, FALSE)
          AND NOT {_in(_text("a.owner_id"), params.holding)}
        GROUP BY l.lk
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rh_facts AS
        WITH sla AS (
            SELECT * FROM (VALUES ('', 0.0::DOUBLE, 0.0::DOUBLE){sla_values})
                   v(tier, assign_minutes, touch_minutes)
            WHERE tier <> ''
        ),
        base AS (
            SELECT l.*, o.initial, o.routed_owner, o.routed_at, o.first_rep, o.rep_at,
                   o.bounced_at, o.accept_end, o.owner_at_t, o.owner_since,
                   {_minutes(str(t), "l.c")} AS age_minutes,
                   CASE WHEN s.last_new IS NOT NULL THEN s.last_new
                        WHEN s.first_old IS NOT NULL THEN s.first_old
                        ELSE l.cur_status END AS status_at_t,
                   coalesce(s.accepted, FALSE) OR coalesce(tc.accepted, FALSE) AS accepted,
                   coalesce(s.rejected, FALSE) AS rejected,
                   tc.first_touch_at,
                   coalesce(sla.assign_minutes, CAST({default_assign!r} AS DOUBLE)) AS assign_limit,
                   coalesce(sla.touch_minutes, CAST({default_touch!r} AS DOUBLE)) AS touch_limit
            FROM rh_l l JOIN rh_own o USING (lk)
                 LEFT JOIN rh_st s USING (lk) LEFT JOIN rh_touch tc USING (lk)
                 LEFT JOIN sla ON sla.tier = l.tier
        ),
        judged AS (
            SELECT *,
                   failed_node IS NOT NULL AS node_set,
                   routed_owner IS NOT NULL
                       AND {_owner_class("routed_owner", params)} = {FALLBACK} AS to_fallback,
                   routed_owner IS NULL
                       AND age_minutes > CAST({params.routing_grace_minutes!r} AS DOUBLE)
                       AS overdue,
                   starts_with(owner_at_t, '00G')
                       AND NOT {_in("status_at_t", params.closed_statuses)}
                       AND NOT converted_by_t AS queued
            FROM base
        )
        SELECT j.lead_id, j.c AS created_at,
               strftime(timezone({_lit(tz)}, make_timestamp(j.c // 1000)::TIMESTAMPTZ),
                        '%Y-%m-%d') AS created_day,
               strftime(timezone({_lit(tz)}, make_timestamp(j.c // 1000)::TIMESTAMPTZ),
                        '%G-W%V') AS created_week,
               j.region, j.tier, nullif(j.initial, '') AS initial_owner,
               j.routed_at, j.routed_owner,
               CASE WHEN node_set OR to_fallback OR overdue THEN 'failed'
                    WHEN routed_owner IS NOT NULL THEN 'succeeded' ELSE 'pending' END AS outcome,
               CASE WHEN node_set THEN failed_node
                    WHEN to_fallback
                        THEN 'fallback: ' || coalesce(nullif(nm.name, ''), routed_owner)
                    WHEN overdue
                        THEN 'unrouted: ' || coalesce(nullif(nm.name, ''), owner_at_t)
               END AS failure_reason,
               j.failed_node, j.rep_at AS rep_assigned_at, j.first_rep,
               CASE WHEN rep_at IS NOT NULL THEN {_minutes("rep_at", "c")} END AS tta_minutes,
               j.first_touch_at,
               CASE WHEN first_touch_at IS NOT NULL THEN {_minutes("first_touch_at", "c")} END
                   AS first_touch_minutes,
               bounced_at IS NOT NULL AS bounced, j.bounced_at, j.accepted,
               rep_at IS NOT NULL AND NOT accepted AND bounced_at IS NULL
                   AND {t} < accept_end AS acceptance_pending,
               j.rejected, j.queued,
               CASE WHEN queued THEN owner_at_t END AS queue_owner,
               CASE WHEN queued THEN owner_since END AS queue_entered_at,
               CASE WHEN queued
                    THEN CAST({t} - owner_since AS DOUBLE) / CAST({NS_PER_HOUR} AS DOUBLE)
               END AS queue_age_hours,
               rep_at IS NOT NULL OR age_minutes > assign_limit AS assign_sla_applicable,
               rep_at IS NOT NULL AND {_minutes("rep_at", "c")} <= assign_limit AS assign_sla_met,
               first_touch_at IS NOT NULL OR age_minutes > touch_limit AS touch_sla_applicable,
               first_touch_at IS NOT NULL AND {_minutes("first_touch_at", "c")} <= touch_limit
                   AS touch_sla_met,
               j.age_minutes
               {"".join(f', j."{c}"' for c in extras)}
        FROM judged j LEFT JOIN {VIEW.format("owner_names")} nm
             ON (j.to_fallback OR j.overdue) AND NOT j.node_set
                AND nm.id = CASE WHEN j.to_fallback THEN j.routed_owner ELSE j.owner_at_t END
        """
    )
    return extras


# --- Metrics ---------------------------------------------------------------------------------


def _key_sql(key: str, extras: Sequence[str]) -> str:
    if key in FACT_KEYS:
        column = FACT_KEYS[key]
    elif key in extras:
        column = key
    else:
        raise ValueError(f"cannot group by {key!r}")
    return f"nullif(CAST(\"{column}\" AS VARCHAR), '')"


def group_facts(
    con: duckdb.DuckDBPyConnection,
    by: Sequence[str],
    params: MetricParams,
    extras: Sequence[str],
    cohort: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """``METRICS`` per group of ``rh_facts``; keys null/'' form the ``None`` group.

    The ``BUSINESS_VARIANTS`` follow, equal to their wall-clock metrics, when no region has a
    business-hours calendar (``uses_calendars``); otherwise they are left out.

    ``cohort`` ``(start, end)`` keeps the leads whose local creation day lies in it (both
    inclusive); without it every lead of ``rh_facts`` counts.
    """
    by = list(by)
    where = ""
    if cohort is not None:
        start, end = cohort
        where = (
            f"WHERE created_day >= {_lit(start.isoformat())} "
            f"AND created_day <= {_lit(end.isoformat())}"
        )
    if len(set(by)) != len(by):
        raise ValueError("a group key is given twice")
    keys = [f"{_key_sql(k, extras)} AS k{i}" for i, k in enumerate(by)]

    def rate(numerator: str, denominator: str) -> str:
        return (
            f"CASE WHEN ({denominator}) > 0 THEN CAST({numerator} AS DOUBLE) / "
            f"CAST({denominator} AS DOUBLE) END"
        )

    limit = float(params.queue_age_limit_hours)
    counts = f"""
        count(*) AS n_leads,
        count(*) FILTER (WHERE outcome = 'succeeded') AS n_succeeded,
        count(*) FILTER (WHERE outcome = 'failed') AS n_failed,
        count(*) FILTER (WHERE outcome = 'pending') AS n_pending,
        count(*) FILTER (WHERE rep_assigned_at IS NOT NULL) AS n_assigned,
        quantile_cont(tta_minutes, [0.5, 0.95])
            FILTER (WHERE rep_assigned_at IS NOT NULL) AS tta_q,
        count(*) FILTER (WHERE assign_sla_applicable AND assign_sla_met) AS n_assign_met,
        count(*) FILTER (WHERE assign_sla_applicable) AS n_assign_base,
        count(*) FILTER (WHERE bounced) AS n_bounced,
        count(*) FILTER (WHERE accepted) AS n_accepted,
        count(*) FILTER (WHERE rep_assigned_at IS NOT NULL AND NOT acceptance_pending)
            AS n_accept_base,
        count(*) FILTER (WHERE first_touch_at IS NOT NULL) AS n_touched,
        quantile_cont(first_touch_minutes, [0.5, 0.95])
            FILTER (WHERE first_touch_at IS NOT NULL) AS touch_q,
        count(*) FILTER (WHERE touch_sla_applicable AND touch_sla_met) AS n_touch_met,
        count(*) FILTER (WHERE touch_sla_applicable) AS n_touch_base,
        count(*) FILTER (WHERE rejected) AS n_rejected,
        count(*) FILTER (WHERE queued) AS n_queued,
        count(*) FILTER (WHERE queued AND queue_age_hours > CAST({limit!r} AS DOUBLE))
            AS n_over,
        max(queue_age_hours) FILTER (WHERE queued) AS oldest
    """
    key_names = [f"k{i}" for i in range(len(by))]
    group = f"GROUP BY {', '.join(key_names)}" if by else "HAVING count(*) > 0"
    order = f"ORDER BY {', '.join(f'{k} ASC NULLS LAST' for k in key_names)}" if by else ""
    select_keys = "".join(f"{k}, " for k in keys)
    sql = f"""
        WITH g AS (SELECT {select_keys}{counts} FROM rh_facts {where} {group})
        SELECT {"".join(f"{k}, " for k in key_names)}
               n_leads AS leads, n_succeeded AS succeeded, n_failed AS failed,
               n_pending AS pending,
               {rate("n_succeeded", "n_succeeded + n_failed")} AS assignment_success_rate,
               n_assigned AS assigned,
               tta_q[1] AS tta_p50_minutes, tta_q[2] AS tta_p95_minutes,
               {rate("n_assign_met", "n_assign_base")} AS assign_sla_met_rate,
               n_bounced AS bounced, {rate("n_bounced", "n_assigned")} AS bounce_rate,
               n_accepted AS accepted, {rate("n_accepted", "n_accept_base")} AS acceptance_rate,
               n_touched AS touched,
               touch_q[1] AS first_touch_p50_minutes, touch_q[2] AS first_touch_p95_minutes,
               {rate("n_touch_met", "n_touch_base")} AS touch_sla_met_rate,
               n_rejected AS rejected, {rate("n_rejected", "n_assigned")} AS rejection_rate,
               n_queued AS queued, n_over AS queued_over_limit, oldest AS oldest_queue_age_hours
        FROM g {order}
    """
    frame = con.execute(sql).df()
    frame = frame.rename(columns={f"k{i}": key for i, key in enumerate(by)})
    for key in by:
        frame[key] = frame[key].astype(object).where(frame[key].notna(), None)
    for name in METRICS:
        kind = np.int64 if name in COUNTS else np.float64
        frame[name] = frame[name].astype(kind)
    names = list(METRICS)
    if not uses_calendars(params):
        for variant, wall in BUSINESS_VARIANTS.items():
            frame[variant] = frame[wall]
        names += list(BUSINESS_VARIANTS)
    # Spec section 10's "triaged" needs a kill switch; without one no lead is triaged.
    if params.kill_switch_on:
        raise ValueError("the DuckDB reference does not model the kill switch (triaged)")
    frame["triaged"] = np.zeros(len(frame), dtype=np.int64)
    names.append("triaged")
    # Issue 17's routing-input metrics need [data_quality] fields, which the benchmark frames
    # do not carry: no lead is checked, so the count is 0 and the rates null.
    frame["input_missing"] = np.zeros(len(frame), dtype=np.int64)
    for name in ("input_missing_rate", "input_missing_failure_rate",
                 "input_complete_failure_rate"):
        frame[name] = np.full(len(frame), np.nan)
    names += ["input_missing", "input_missing_rate", "input_missing_failure_rate",
              "input_complete_failure_rate"]
    return frame[[*by, *names]].reset_index(drop=True)


def uses_calendars(params: MetricParams) -> bool:
    """Whether some region has a business-hours calendar (section 10, not implemented here)."""
    calendars = getattr(params, "calendars", None) or {}
    regions = getattr(params, "region_calendars", None) or {}
    return any(name in calendars for name in regions.values())


def compute_reference(
    con_or_frames: duckdb.DuckDBPyConnection | Frames,
    params: MetricParams,
    as_of: datetime | pd.Timestamp,
    groupings: Sequence[Sequence[str]],
    cohort: tuple[date, date] | None = None,
) -> list[pd.DataFrame]:
    """Facts once, then ``group_facts`` for each grouping (as the benchmark times it)."""
    con = _connect(con_or_frames)
    extras = build_facts(con, params, as_of)
    return [group_facts(con, by, params, extras, cohort) for by in groupings]


def reference_metrics(
    con_or_frames: duckdb.DuckDBPyConnection | Frames,
    params: MetricParams,
    as_of: datetime | pd.Timestamp,
    by: Sequence[str],
    cohort: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """One row per non-empty group: the keys (named as in ``by``), then the metrics."""
    return compute_reference(con_or_frames, params, as_of, [by], cohort)[0]


REFERENCE_FACT_COLUMNS = (
    "lead_id",
    "created_day",
    "created_week",
    "routed_owner",
    "outcome",
    "failure_reason",
    "first_rep",
    "rep_assigned_at",
    "tta_minutes",
    "first_touch_at",
    "first_touch_minutes",
    "bounced",
    "bounced_at",
    "accepted",
    "acceptance_pending",
    "rejected",
    "queued",
    "queue_owner",
    "queue_entered_at",
    "queue_age_hours",
    "assign_sla_applicable",
    "assign_sla_met",
    "touch_sla_applicable",
    "touch_sla_met",
    "age_minutes",
)
"""The per-lead facts compared with the engine (times as int64 ns, null = none)."""


def reference_lead_facts(
    con_or_frames: duckdb.DuckDBPyConnection | Frames,
    params: MetricParams,
    as_of: datetime | pd.Timestamp,
) -> pd.DataFrame:
    """The per-lead facts of ``REFERENCE_FACT_COLUMNS``, ordered by lead Id."""
    con = _connect(con_or_frames)
    build_facts(con, params, as_of)
    return fetch_facts(con)


def fetch_facts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``rh_facts`` (already built) as a frame of ``REFERENCE_FACT_COLUMNS``."""
    columns = ", ".join(REFERENCE_FACT_COLUMNS)
    return con.execute(f"SELECT {columns} FROM rh_facts ORDER BY lead_id").df()


# --- Agreement -------------------------------------------------------------------------------


def _same_float(a: float, b: float, rel: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def compare_metrics(
    engine: pd.DataFrame, reference: pd.DataFrame, by: Sequence[str], rel: float = 1e-9
) -> list[str]:
    """Differences between two ``group_metrics``-shaped frames: counts exact, floats within
    ``rel`` relative, null only against null; a group present on one side only is reported.

    Every metric column of ``engine`` must be in ``reference`` (see ``compared_metrics``).
    """
    problems: list[str] = []
    names = compared_metrics(engine, reference, by)

    def key_of(row: Mapping[str, Any]) -> tuple:
        return tuple(None if pd.isna(row[k]) else str(row[k]) for k in by)

    left = {key_of(r): r for r in engine.to_dict("records")}
    right = {key_of(r): r for r in reference.to_dict("records")}
    for key in sorted(set(left) ^ set(right), key=str):
        side = "engine" if key in left else "reference"
        problems.append(f"group {key}: only in the {side}")
    for key in sorted(set(left) & set(right), key=str):
        a, b = left[key], right[key]
        for name in names:
            x, y = a[name], b[name]
            if name in COUNTS:
                ok = int(x) == int(y)
            else:
                ok = _same_float(float(x), float(y), rel)
            if not ok:
                problems.append(f"group {key} {name}: engine {x!r} != reference {y!r}")
    return problems


def compared_metrics(engine: pd.DataFrame, reference: pd.DataFrame, by: Sequence[str]) -> list[str]:
    """The metric columns of ``engine``; raises when the reference lacks one of them."""
    names = [c for c in engine.columns if c not in by]
    missing = [c for c in names if c not in reference.columns]
    if missing:
        raise ValueError(f"the reference does not compute {', '.join(missing)}")
    return names


def _engine_ns(values: pd.Series) -> pd.Series:
    ints = _ns(values)
    return pd.Series(pd.array(ints, dtype="Int64") if isinstance(ints, np.ndarray) else ints)


def _labels(values: pd.Series) -> list[str | None]:
    """Text values with null and '' read as None."""
    return [None if v is None or pd.isna(v) or v == "" else str(v) for v in values.astype(object)]


def compare_facts(
    engine_facts: pd.DataFrame, reference: pd.DataFrame, rel: float = 1e-9, limit: int = 20
) -> tuple[int, list[str]]:
    """Per-lead differences between ``lead_facts`` and ``fetch_facts``.

    Returns the number of differing (lead, column) cells and up to ``limit`` descriptions.
    """
    left = engine_facts.sort_values("lead_id", kind="stable").reset_index(drop=True)
    right = reference.sort_values("lead_id", kind="stable").reset_index(drop=True)
    if (
        len(left) != len(right)
        or not (
            left["lead_id"].astype(str).to_numpy() == right["lead_id"].astype(str).to_numpy()
        ).all()
    ):
        only = set(left["lead_id"].astype(str)) ^ set(right["lead_id"].astype(str))
        return len(only) or 1, [f"the lead sets differ, e.g. {sorted(only)[:5]}"]
    count = 0
    notes: list[str] = []
    for column in REFERENCE_FACT_COLUMNS[1:]:
        a, b = left[column], right[column]
        if column.endswith("_at"):
            x = _engine_ns(a)
            y = pd.Series(b).astype("Int64")
            differ = ~((x == y).fillna(False) | (x.isna() & y.isna())).to_numpy(dtype=bool)
        elif a.dtype == bool or column in {
            "bounced",
            "accepted",
            "acceptance_pending",
            "rejected",
            "queued",
            "assign_sla_applicable",
            "assign_sla_met",
            "touch_sla_applicable",
            "touch_sla_met",
        }:
            differ = a.to_numpy(dtype=bool) != b.fillna(False).to_numpy(dtype=bool)
        elif column in {"tta_minutes", "first_touch_minutes", "queue_age_hours", "age_minutes"}:
            x = a.to_numpy(dtype=float)
            y = b.to_numpy(dtype=float, na_value=np.nan)
            both_nan = np.isnan(x) & np.isnan(y)
            close = np.abs(x - y) <= rel * np.maximum(np.abs(x), np.abs(y))
            differ = ~(both_nan | (x == y) | np.nan_to_num(close, nan=False).astype(bool))
        else:
            x, y = _labels(a), _labels(b)
            differ = np.asarray([u != v for u, v in zip(x, y, strict=True)], dtype=bool)
        n = int(differ.sum())
        count += n
        for i in np.flatnonzero(differ)[: max(0, limit - len(notes))]:
            notes.append(
                f"lead {left['lead_id'].iloc[i]} {column}: engine {a.iloc[i]!r} "
                f"!= reference {b.iloc[i]!r}"
            )
    return count, notes
