"""The engine's facts read from the stored ``LeadFact`` rows (issue 18 item 4).

``compute_metrics`` stores every lead's facts as of ``MetricsState.as_of`` (T₀), with
``next_change_at``, the first instant a fact would change with time alone. For a later
``as_of`` (T), a lead's facts are the stored ones unless it is *dirty*: the leads an
incremental run would recompute (data synced since the run, an event in (T₀, T], a
time-driven change due by T: ``service.dirty_lead_ids``), plus those whose stored facts
hold something the run fixed that may have moved without a sync mark:

- a failure reason naming an owner (``fallback: <name>``, ``unrouted: <name>``): the name is
  the owner's current one, and users are renamed;
- a queued lead that is converted (its ConvertedDate decides, by T's local day).

Dirty leads are computed from their raw rows as of T; the others are the stored rows with the
columns that depend on T alone (``age_minutes``, ``age_business_minutes``,
``queue_age_hours``) derived. The result equals ``lead_facts`` of the same leads' raw rows
(``tests/export/test_export_from_stored_facts.py`` compares them).

The stored rows cannot serve — and the caller reads the raw rows — when there are none
(``MetricsState`` missing), when they were computed with other parameters (fingerprint), when
T is before T₀, or when a compute committed while they were read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
from django.db import connection, transaction

from routing_health.config.model import DataQuality
from routing_health.facts.frames import ID_CHUNK, load_frames, read_rows, read_table
from routing_health.lib.sql import sql_datetime
from routing_health.metrics import MetricParams, lead_facts_of
from routing_health.metrics._arrays import NAT, NS_PER_HOUR, NS_PER_MINUTE, utc_ns
from routing_health.metrics.business_facts import signed_open_minutes
from routing_health.metrics.columns import FACT_COLUMNS, LEAD_COLUMNS, OUTCOMES
from routing_health.models import LeadFact, MetricsState
from routing_health.rollups.service import dirty_lead_ids

log = logging.getLogger(__name__)

TEXT = ("region", "tier", "initial_owner", "routed_owner", "outcome", "failure_reason",
        "failed_node", "first_rep", "rejection_reason", "queue_owner", "business_calendar")
"""Stored as text ('' for none); categoricals in the engine's facts (null for none)."""
TIMES = ("created_at", "routed_at", "rep_assigned_at", "first_touch_at", "bounced_at",
         "queue_entered_at")
FLOATS = ("tta_minutes", "first_touch_minutes", "tta_business_minutes",
          "first_touch_business_minutes")
FLAGS = ("bounced", "accepted", "acceptance_pending", "rejected", "queued",
         "assign_sla_applicable", "assign_sla_met", "touch_sla_applicable", "touch_sla_met",
         "assign_sla_applicable_business", "assign_sla_met_business",
         "touch_sla_applicable_business", "touch_sla_met_business")
STORED = ("lead_id", "created_day", *TEXT, *TIMES, *FLOATS, *FLAGS)
"""The ``LeadFact`` columns read: with the ages derived, every one of ``FACT_COLUMNS``."""
PACKED = "flags"
"""The ``FLAGS`` are read as one integer (bit i: ``FLAGS[i]``): one value per row for the
database driver to convert instead of thirteen."""
READ = ("lead_id", "created_day", *TEXT, *TIMES, *FLOATS, PACKED)
NAMED_REASONS = ("fallback: ", "unrouted: ")
READ_CHUNK = 25_000  # rows fetched as Python values at a time on SQLite, then typed
BY_RANGE = 20_000  # more Ids than this: read the facts by creation time, then keep the Ids


def stored_state(fingerprint: str, as_of: datetime) -> MetricsState | None:
    """The state whose stored facts can serve ``as_of``, or None."""
    state = MetricsState.objects.filter(pk=1).first()
    if (state is None or state.as_of is None or state.config_fingerprint != fingerprint
            or as_of < state.as_of):
        return None
    return state


def stored_lead_facts(
    leads: pd.DataFrame,
    params: MetricParams,
    as_of: datetime,
    fingerprint: str,
    *,
    extra: Sequence[str] = (),
    data_quality: DataQuality | None = None,
    drop: Sequence[str] = (),
) -> pd.DataFrame | None:
    """``lead_facts`` as of ``as_of`` of the leads of ``leads`` (the ``facts.frames.load_leads``
    frame; its columns past ``LEAD_COLUMNS`` but ``drop`` are passed through like extra lead
    columns), from the stored facts; None when they cannot serve (see the module doc).
    ``extra`` and ``data_quality`` are those ``leads`` was loaded with (dirty leads are
    reloaded with them)."""
    with transaction.atomic():
        state = stored_state(fingerprint, as_of)
        if state is None:
            return None
        now = int(pd.Timestamp(as_of).as_unit("ns").value)
        created = utc_ns(leads["created_at"])
        in_scope = ~leads["is_deleted"].to_numpy(dtype=bool) & (created != NAT) & (created <= now)
        all_ids = leads["id"].to_numpy(dtype=object)
        ids = pd.Index(all_ids[in_scope], dtype=object)
        stored = _read_facts(ids, created[in_scope])
        stored_ids = pd.Index(stored["lead_id"].to_numpy(dtype=object), dtype=object)
        stored = stored[stored_ids.isin(ids)]
        stored_ids = pd.Index(stored["lead_id"].to_numpy(dtype=object), dtype=object)
        dirty = set(dirty_lead_ids(state.sync_mark, state.as_of, as_of))
        reason = pd.Categorical(stored["failure_reason"])  # '' for none, never null
        per_reason = np.asarray([str(r).startswith(NAMED_REASONS) for r in reason.categories],
                                dtype=bool)
        named = per_reason[reason.codes] if len(per_reason) else np.zeros(len(reason), bool)
        converted = all_ids[leads["is_converted"].to_numpy(dtype=bool)]
        moved = stored["queued"].to_numpy(dtype=bool) & stored_ids.isin(converted)
        flagged = named | moved
        dirty |= set(stored_ids[flagged])
        dirty |= set(ids.difference(stored_ids))
        is_dirty = stored_ids.isin(list(dirty))
        clean = stored[~is_dirty]
        recompute = list(ids[ids.isin(list(dirty))])
        if _changed(state):
            log.info("stored facts: a compute committed while they were read; raw rows instead")
            return None
    log.info("stored facts as of %s: %d stored, %d recomputed as of %s",
             state.as_of.isoformat(), len(clean), len(recompute), as_of.isoformat())
    passed = [c for c in leads.columns if c not in LEAD_COLUMNS and c not in drop]
    parts = [_from_stored(clean, leads, passed, params, now)]
    if recompute:
        frames = load_frames(lead_ids=recompute, as_of=as_of, extra=extra,
                             data_quality=data_quality)
        lean = frames.leads.drop(columns=[c for c in drop if c in frames.leads.columns])
        parts.append(lead_facts_of(replace(frames, leads=lean), params, as_of))
    return _in_order(parts, leads, passed)


MATCH_COLUMNS = ("lead_id", "created_at", "first_rep")
"""What duplicate matching reads of a lead's facts (``metrics.duplicates.attach``)."""


def stored_match_rows(
    params: MetricParams,
    as_of: datetime,
    fingerprint: str,
    *,
    created_from: datetime,
    lead_ids: Sequence[str] | None = None,
) -> pd.DataFrame | None:
    """``MATCH_COLUMNS`` as of ``as_of`` of the leads created in ``[created_from, as_of]``
    (those of ``lead_ids`` only, when given) — the duplicate partners of an evaluation, whose
    other facts nobody reads — from the stored facts, the dirty ones recomputed; None when the
    stored facts cannot serve. The same rows as ``lead_facts``' of those leads (not deleted,
    created by ``as_of``)."""
    with transaction.atomic():
        state = stored_state(fingerprint, as_of)
        if state is None:
            return None
        table = LeadFact._meta.db_table
        created_at = "CAST(created_at AS TEXT)" if connection.vendor == "sqlite" else "created_at"
        columns = ["lead_id", created_at, "first_rep"]
        select = (f"SELECT {', '.join(columns)} FROM {table} WHERE created_at >= %s "
                  "AND created_at <= %s")
        bounds = [sql_datetime(created_from, name="created_from"),
                  sql_datetime(as_of, name="as_of")]
        if lead_ids is None:
            stored = read_rows(select, bounds, list(MATCH_COLUMNS), transform=_match_typed)
        else:
            ids = list(dict.fromkeys(lead_ids))
            stored = pd.concat([
                read_rows(f"{select} AND lead_id IN ({', '.join(['%s'] * len(part))})",
                          [*bounds, *part], list(MATCH_COLUMNS), transform=_match_typed)
                for part in (ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK))
            ] or [_match_typed(pd.DataFrame(columns=list(MATCH_COLUMNS)))], ignore_index=True)
        dirty = set(dirty_lead_ids(state.sync_mark, state.as_of, as_of))
        if lead_ids is not None:
            dirty &= set(lead_ids)
        if _changed(state):
            return None
    clean = stored[~stored["lead_id"].isin(list(dirty))]
    parts = [clean]
    if dirty:
        frames = load_frames(lead_ids=sorted(dirty), created_from=created_from, as_of=as_of)
        again = lead_facts_of(frames, params, as_of)
        parts.append(pd.DataFrame({
            "lead_id": again["lead_id"].to_numpy(dtype=object),
            "created_at": again["created_at"],
            "first_rep": again["first_rep"].astype(object).to_numpy(),
        }))
    log.info("stored match rows as of %s: %d stored, %d recomputed as of %s",
             state.as_of.isoformat(), len(clean), len(parts[-1]) if dirty else 0,
             as_of.isoformat())
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else clean
    rows["first_rep"] = rows["first_rep"].astype(object).where(
        rows["first_rep"].notna() & (rows["first_rep"].astype(object) != ""), None)
    return rows.reset_index(drop=True)


def _match_typed(frame: pd.DataFrame) -> pd.DataFrame:
    created = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    return pd.DataFrame({
        "lead_id": frame["lead_id"].to_numpy(dtype=object),
        "created_at": created.astype("datetime64[ns, UTC]").array,
        "first_rep": pd.Categorical(frame["first_rep"].astype(object)),
    })


def _changed(state: MetricsState) -> bool:
    now = MetricsState.objects.filter(pk=1).values_list(
        "as_of", "config_fingerprint", "sync_mark", "computed_seconds").first()
    return now != (state.as_of, state.config_fingerprint, state.sync_mark,
                   state.computed_seconds)


def _read_facts(ids: pd.Index, created: np.ndarray) -> pd.DataFrame:
    """The stored rows of ``ids`` (``created`` their creation times, int64 ns), typed chunk
    by chunk as they arrive (``_typed``): the rows are never all held as Python values."""
    table = LeadFact._meta.db_table
    packed = " + ".join(f"{1 << i} * CAST({flag} AS INTEGER)" for i, flag in enumerate(FLAGS))
    columns = [_as_read(c) for c in READ if c != PACKED] + [f"({packed})"]
    select = f"SELECT {', '.join(columns)} FROM {table}"
    if len(ids) == 0:
        return _typed(pd.DataFrame(columns=list(READ)))
    if len(ids) > BY_RANGE:
        first = pd.Timestamp(int(created.min()), tz="UTC").to_pydatetime()
        last = pd.Timestamp(int(created.max()), tz="UTC").to_pydatetime()
        wheres = [(f"{select} WHERE created_at >= %s AND created_at <= %s",
                   [sql_datetime(first - timedelta(seconds=1), name="first"),
                    sql_datetime(last + timedelta(seconds=1), name="last")])]
    else:
        parts = [list(ids[i : i + ID_CHUNK]) for i in range(0, len(ids), ID_CHUNK)]
        wheres = [(f"{select} WHERE lead_id IN ({', '.join(['%s'] * len(part))})", part)
                  for part in parts]
    chunks = [_read_typed(sql, params) for sql, params in wheres]
    return _concat_typed(chunks)


def _read_typed(sql: str, params: list) -> pd.DataFrame:
    if connection.vendor != "postgresql":
        return _concat_typed([read_rows(sql, params, list(READ), transform=_typed,
                                        chunk=READ_CHUNK)])
    # PostgreSQL: times as epoch microseconds and the flags as numbers in Arrow; the texts
    # (few distinct values) straight to categoricals — no Python string per value.
    types = {c: pa.int64() for c in (*TIMES, PACKED)} | {c: pa.float64() for c in FLOATS}
    table = read_table(sql, params, list(READ), types)
    if table is None:
        return _typed(pd.DataFrame(columns=list(READ)))
    for column in TIMES:  # int64 microseconds reinterpreted: no float on the way
        at = table.schema.get_field_index(column)
        table = table.set_column(at, column, table[column].cast(pa.timestamp("us", tz="UTC")))
    return _typed(table.to_pandas(strings_to_categorical=True))


def _as_read(column: str) -> str:
    """A stored column in the SELECT: times and days on SQLite as their text (parsed by
    pandas at once, not by the driver's converters value by value), times on PostgreSQL as
    epoch microseconds (exact: ``EXTRACT`` gives a numeric)."""
    if connection.vendor == "postgresql":
        if column in TIMES:
            return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
        return column
    if column in ("created_day", *TIMES):
        return f"CAST({column} AS TEXT)"
    return column


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Stored values as the engine types them: texts as categoricals ('' for none), times
    (text, or epoch microseconds from PostgreSQL), floats, the unpacked flags."""
    out = pd.DataFrame({"lead_id": frame["lead_id"].to_numpy(dtype=object)})
    out["created_day"] = _category(frame["created_day"])  # 'YYYY-MM-DD' from both
    for column in TEXT:
        out[column] = _category(frame[column])
    for column in TIMES:
        values = frame[column]
        if not isinstance(values.dtype, pd.DatetimeTZDtype):
            values = pd.to_datetime(values, utc=True, format="ISO8601")
        out[column] = values.astype("datetime64[ns, UTC]")
    for column in FLOATS:
        out[column] = pd.to_numeric(frame[column], errors="raise").astype(float)
    packed = pd.to_numeric(frame[PACKED], errors="raise").to_numpy(dtype=np.int64)
    for bit, column in enumerate(FLAGS):
        out[column] = (packed >> bit) & 1 == 1
    return out


def _category(values: pd.Series) -> pd.Categorical:
    """Text values as a categorical of their strings, null as ''."""
    return pd.Categorical(values.astype(object).where(values.notna(), ""))


def _concat_typed(chunks: list[pd.DataFrame]) -> pd.DataFrame:
    """Typed chunks as one frame, their categoricals merged (``union_categoricals``)."""
    chunks = [c for c in chunks if len(c)] or chunks[:1]
    if len(chunks) == 1:
        return chunks[0]
    out = {}
    for column in chunks[0].columns:
        parts = [c[column] for c in chunks]
        if isinstance(parts[0].dtype, pd.CategoricalDtype):
            out[column] = pd.api.types.union_categoricals(
                [pd.Categorical(p) for p in parts], ignore_order=True)
        else:
            out[column] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(out)


def _from_stored(
    stored: pd.DataFrame, leads: pd.DataFrame, passed: list[str], params: MetricParams,
    now: int,
) -> pd.DataFrame:
    """The engine's fact columns of the stored rows as of ``now`` (ns), then ``passed``."""
    out: dict[str, object] = {}
    for column in FACT_COLUMNS:
        if column in stored.columns and column not in TIMES:
            out[column] = stored[column].array if column in TEXT else stored[column].to_numpy()
    created = utc_ns(stored["created_at"])
    days = pd.Categorical(stored["created_day"])
    out["created_day"] = pd.array(days.to_numpy(dtype=object), dtype="str")
    weeks = np.asarray(_weeks(np.asarray(days.categories, dtype=object)), dtype=object)
    out["created_week"] = pd.array(weeks[days.codes] if len(days) else [], dtype="str")
    queued = stored["queued"].to_numpy(dtype=bool)
    entered = utc_ns(stored["queue_entered_at"])
    queue_age = np.full(len(stored), np.nan)
    queue_age[queued] = (now - entered[queued]) / NS_PER_HOUR
    out["queue_age_hours"] = queue_age
    out["age_minutes"] = (now - created) / NS_PER_MINUTE
    names = stored["business_calendar"].to_numpy(dtype=object)
    table = np.asarray(sorted({"", *names}), dtype=object)
    codes = np.searchsorted(table, names).astype(np.int64) if len(names) else np.zeros(0, int)
    (age,) = signed_open_minutes(created, [np.full(len(created), now, dtype=np.int64)], codes,
                                 table, params.calendars)
    out["age_business_minutes"] = age
    for column in TIMES:
        out[column] = stored[column].reset_index(drop=True)
    facts = pd.DataFrame(out, columns=list(FACT_COLUMNS))
    if passed:
        by_id = leads.drop_duplicates("id").set_index(leads["id"].drop_duplicates().astype(str))
        aligned = by_id[passed].reindex(pd.Index(stored["lead_id"]))
        for column in passed:
            facts[column] = aligned[column].to_numpy()
    return facts


def _weeks(days: np.ndarray) -> list[str]:
    """ISO week 'YYYY-Www' of each 'YYYY-MM-DD' (each distinct day formatted once)."""
    unique, codes = np.unique(days.astype(str), return_inverse=True) if len(days) else ([], [])
    weeks = []
    for day in unique:
        year, week, _ = date.fromisoformat(day).isocalendar()
        weeks.append(f"{year}-W{week:02d}")
    return list(np.asarray(weeks, dtype=object)[codes]) if len(days) else []


def _in_order(parts: list[pd.DataFrame], leads: pd.DataFrame, passed: list[str]) -> pd.DataFrame:
    """The parts as one frame in the order of ``leads`` (the engine's), the engine's types:
    the texts categoricals of their sorted values, null for none (merged as categoricals,
    never as a Python object per lead)."""
    parts = [p for p in parts if len(p)] or parts[:1]
    texts = {column: _engine_category(column, [p[column] for p in parts]) for column in TEXT}
    facts = (pd.concat([p.drop(columns=list(TEXT)) for p in parts], ignore_index=True)
             if len(parts) > 1 else parts[0].drop(columns=list(TEXT)))
    for column, values in texts.items():
        facts[column] = values
    position = pd.Index(leads["id"].astype(str)).get_indexer(facts["lead_id"].astype(str))
    facts = facts.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)
    facts["lead_id"] = facts["lead_id"].astype(leads["id"].dtype)
    for column in ("created_day", "created_week"):
        facts[column] = pd.array(facts[column].astype(object).to_numpy(), dtype="str")
    return facts[[*FACT_COLUMNS, *passed]]


def _engine_category(column: str, parts: list[pd.Series]) -> pd.Categorical:
    """``parts`` of one text column as one categorical like the engine's: '' is null, the
    categories are the values in use, sorted (``outcome``: ``OUTCOMES``)."""
    def as_object(part: pd.Series) -> pd.Categorical:
        values = part.array if isinstance(part.dtype, pd.CategoricalDtype) else pd.Categorical(
            part.astype(object))
        return values.set_categories(values.categories.astype(object), rename=True)

    merged = pd.api.types.union_categoricals([as_object(p) for p in parts], ignore_order=True)
    if "" in merged.categories:
        merged = merged.remove_categories([""])
    merged = merged.remove_unused_categories()
    if column == "outcome":
        categories = pd.Index(OUTCOMES, dtype="str")
    else:
        categories = pd.Index(sorted(str(c) for c in merged.categories), dtype="str")
    codes = categories.get_indexer(merged.categories.astype(str))
    mapped = np.where(merged.codes >= 0, codes[np.maximum(merged.codes, 0)], -1) \
        if len(codes) else np.full(len(merged), -1)
    return pd.Categorical.from_codes(mapped, categories=categories)
