"""A deterministic synthetic Salesforce org for tests, the demo and benchmarks.

``generate_org(leads=..., now=...)`` returns a :class:`SyntheticOrg`: one pandas frame per sObject
(columns are Salesforce API field names), the routing configuration TOML that matches it, its custom
fields, and ground-truth ``facts`` (the injected incident, the backlog queue, the inactive rep...).
The same arguments always give identical frames (numpy ``PCG64`` streams spawned from the seed).

Column dtypes (the same for every size):

- Ids and text: pandas ``str`` (pyarrow-backed); a missing value is ``NaN`` in the frame and
  ``None`` from :meth:`SyntheticOrg.records`. Ids are 18-character with the object's key prefix.
- Datetimes: ``datetime64[ns, UTC]``, whole seconds, never after ``now``.
- Dates (``Lead.ConvertedDate``, ``Holiday.ActivityDate``): ``object`` columns holding
  ``datetime.date`` or ``None`` (``ConvertedDate`` is the UTC date of the conversion).
- Booleans: numpy ``bool``; ``Event.DurationInMinutes`` and ``LeadStatus.SortOrder``: ``int64``.

Vectorised throughout (numpy/pyarrow, no per-lead Python loops): a million leads with about four
history rows and 1.2 activities each take about 12 s and 2.4 GB on a 2-core machine. The modules
``synthetic_*.py`` hold the parts: catalog (people, queues, words), clock, timeline (integer
lifecycles), frames, config and column helpers.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routing_health.sandbox.synthetic_arrays import Timeline
from routing_health.sandbox.synthetic_catalog import (
    BACKLOG_REGION,
    CLOSED_STATUSES,
    FLOWS,
    INCIDENT_FAILED_NODE,
    INCIDENT_RATING,
    INCIDENT_REGION,
    LEAD_STATUSES,
    REGION_NAMES,
    REGIONS,
    TIER_BY_RATING,
    WINDOWS,
    Catalog,
    build_catalog,
    holidays,
)
from routing_health.sandbox.synthetic_clock import DAY, HOUR
from routing_health.sandbox.synthetic_columns import datetime_column, id_list, to_seconds
from routing_health.sandbox.synthetic_config import render_config
from routing_health.sandbox.synthetic_duplicates import apply_duplicate_story
from routing_health.sandbox.synthetic_frames import lead_frames
from routing_health.sandbox.synthetic_inputs import apply_input_gap, data_quality_toml
from routing_health.sandbox.synthetic_shadow import CUSTOM_FIELDS as SHADOW_FIELDS
from routing_health.sandbox.synthetic_shadow import shadow_columns, shadow_config
from routing_health.sandbox.synthetic_timeline import (
    NEVER,
    P_INCIDENT,
    Window,
    country_codes,
    generate_timeline,
)

SCENARIOS = ("demo", "plain")
SOBJECTS = ("User", "UserRole", "Group", "Lead", "LeadHistory", "Task", "Event", "Contact",
            "LeadStatus", "FlowDefinitionView", "BusinessHours", "Holiday")
CUSTOM_FIELDS: dict[str, list[tuple[str, str]]] = {
    "Lead": [("Region__c", "picklist"), ("Routing_Failed_Node__c", "string"),
             ("Rejection_Reason__c", "picklist")],
}
EXAMPLE_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
EXAMPLE_PATH = Path(__file__).resolve().parents[2] / "examples" / "routing_health.example.toml"
DEFAULT_SEED = 7
RECORD_CHUNK = 20_000

NOW_NOT_AWARE = "now must be a timezone-aware datetime"
UNKNOWN_SCENARIO = "scenario must be one of: demo, plain"
BAD_LEADS = "leads must be a positive integer"
BAD_DAYS = "days must be a positive integer"


@dataclass
class SyntheticOrg:
    """A generated org: frames per sObject, the matching config, custom fields and ground truth."""

    tables: dict[str, pd.DataFrame]
    config_toml: str
    custom_fields: dict[str, list[tuple[str, str]]]
    facts: dict[str, Any] = field(default_factory=dict)

    def records(self, sobject: str) -> Iterator[dict[str, Any]]:
        """Yield each row of ``sobject`` as a dict of Python values keyed by API field name.

        Values: ``str``, ``bool``, ``int``, aware-UTC ``datetime``, ``datetime.date``, or ``None``.
        """
        frame = self.tables[sobject]
        names = list(frame.columns)
        for start in range(0, len(frame), RECORD_CHUNK):
            chunk = frame.iloc[start : start + RECORD_CHUNK]
            columns = [_python_values(chunk[name]) for name in names]
            for values in zip(*columns, strict=True):
                yield dict(zip(names, values, strict=True))


def _python_values(column: pd.Series) -> list[Any]:
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        missing = column.isna().to_numpy()
        values = column.dt.tz_convert("UTC").dt.to_pydatetime()
        return [None if gone else value for value, gone in zip(values, missing, strict=True)]
    if column.dtype == bool or pd.api.types.is_integer_dtype(column.dtype):
        return column.tolist()
    if column.dtype == object:
        return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v
                for v in column.tolist()]
    return column.to_numpy(dtype=object, na_value=None).tolist()


def generate_org(
    *, leads: int, seed: int = DEFAULT_SEED, now: datetime, days: int = 42, scenario: str = "demo",
    shadow: bool = False,
    input_gap: bool = False,
) -> SyntheticOrg:
    """Generate a synthetic org of ``leads`` leads created over the ``days`` days before ``now``.

    ``scenario="demo"`` injects the spec's demo incident (a Lead_Router version that sends one
    region's Hot leads to the fallback queue, a queue backlog, an inactive rep still receiving
    leads) on a healthy baseline (``synthetic_behaviour.DEMO``); ``"plain"`` has none of these
    but keeps a real org's baseline noise (a few routing failures, bounces, late touches,
    weekend queue waits). Deterministic for equal arguments.

    ``shadow=True`` adds the shadow-routing story (``synthetic_shadow``: a candidate-owner
    field, its reason and priority, and the ``[shadow]`` table in the configuration); without
    it the org is exactly what it was before that story existed.

    ``input_gap=True`` adds the routing-input story
    (``synthetic_inputs``: the web form stops sending Country on the day before ``now``) and
    its ``[data_quality]`` configuration.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(NOW_NOT_AWARE)
    if scenario not in SCENARIOS:
        raise ValueError(UNKNOWN_SCENARIO)
    if not isinstance(leads, int) or leads < 1:
        raise ValueError(BAD_LEADS)
    if not isinstance(days, int) or days < 1:
        raise ValueError(BAD_DAYS)
    streams = [np.random.Generator(np.random.PCG64(s))
               for s in np.random.SeedSequence(seed).spawn(4)]
    catalog_rng, timeline_rng, frames_rng, ids_rng = streams
    cat = build_catalog(catalog_rng)
    now_s = to_seconds(now)
    win = Window(leads=leads, now=now_s, start=now_s - days * DAY, demo=scenario == "demo")
    timeline = generate_timeline(cat, win, timeline_rng)
    holiday_rows = holidays((now - timedelta(days=days)).year, now.year + 1)
    tables = _catalog_frames(cat, win, holiday_rows)
    tables.update(lead_frames(timeline, cat, win, frames_rng, ids_rng))
    tables = {name: tables[name] for name in SOBJECTS}
    config_toml = render_config(cat, holiday_rows)
    # The stories each add their own columns, in this order: duplicates, shadow, input gap.
    duplicates = None
    if win.demo:  # issue 17: unique companies, Accounts and one company across reps
        story_rng = np.random.Generator(np.random.PCG64([seed, 17]))
        tables["Lead"], tables["Account"], duplicates = apply_duplicate_story(
            tables["Lead"], timeline, cat, win, story_rng)
    custom_fields = {k: list(v) for k, v in CUSTOM_FIELDS.items()}
    shadow_truth = None
    if shadow:
        # Its own stream (a fifth child of the seed), so the four streams above are untouched.
        shadow_rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed).spawn(5)[4]))
        columns, shadow_truth = shadow_columns(cat, timeline, shadow_rng)
        tables["Lead"] = tables["Lead"].assign(**columns)
        custom_fields["Lead"] = [*custom_fields["Lead"], *SHADOW_FIELDS]
        config_toml += shadow_config()
    gap: dict[str, Any] | None = None
    if input_gap:
        gap = apply_input_gap(tables, now.astimezone(UTC))
        countries = sorted({name for _, name, _ in country_codes()})
        config_toml += data_quality_toml(countries)
    facts = _facts(cat, win, timeline, tables, seed, scenario, days)
    facts["duplicates"] = duplicates
    if shadow_truth is not None:
        facts["shadow"] = shadow_truth
    facts["input_gap"] = gap
    return SyntheticOrg(
        tables=tables, config_toml=config_toml, custom_fields=custom_fields, facts=facts,
    )


def example_config_toml(*, seed: int = DEFAULT_SEED, now: datetime = EXAMPLE_NOW,
                        days: int = 42) -> str:
    """The config of any org generated with ``seed``/``now``/``days`` (the example file's text)."""
    catalog_seed = np.random.SeedSequence(seed).spawn(4)[0]  # the same stream generate_org uses
    cat = build_catalog(np.random.Generator(np.random.PCG64(catalog_seed)))
    return render_config(cat, holidays((now - timedelta(days=days)).year, now.year + 1))


def _small_frame(rows: list[dict[str, Any]], kinds: dict[str, str]) -> pd.DataFrame:
    """A frame from dict rows; ``kinds`` names non-string columns: datetime, date, bool, int."""
    names = list(rows[0])
    data: dict[str, Any] = {}
    for name in names:
        values = [row[name] for row in rows]
        kind = kinds.get(name, "str")
        if kind == "datetime":
            data[name] = datetime_column(np.array(values, dtype=np.int64))
        elif kind == "date":
            data[name] = pd.Series(values, dtype=object)
        elif kind == "bool":
            data[name] = np.array(values, dtype=bool)
        elif kind == "int":
            data[name] = np.array(values, dtype=np.int64)
        else:
            data[name] = pd.Series(values, dtype="str")
    return pd.DataFrame(data)


STAMPS = {"CreatedDate": "datetime", "LastModifiedDate": "datetime", "SystemModstamp": "datetime"}


def _catalog_frames(cat: Catalog, win: Window, holiday_rows: list) -> dict[str, pd.DataFrame]:
    born = (win.start - 400 * DAY) // DAY * DAY + 14 * HOUR  # the org predates the window

    def stamped(row: dict[str, Any], created: int, modified: int | None = None) -> dict[str, Any]:
        modified = created + DAY if modified is None else modified
        return {**row, "CreatedDate": created, "LastModifiedDate": modified,
                "SystemModstamp": modified}

    users = []
    for i, user in enumerate(cat.users):
        created = born + i * 3 * DAY
        modified = {cat.inactive_rep: win.inactive_since,
                    cat.departed_rep: win.start - 30 * DAY}.get(i)
        users.append(stamped(user, created, modified))
    user_kinds = {**STAMPS, "IsActive": "bool"}
    statuses = [
        stamped({"Id": cat.status_ids[i], "ApiName": name, "MasterLabel": name, "SortOrder": i + 1,
                 "IsConverted": converted, "IsDefault": default}, born)
        for i, (name, converted, default) in enumerate(LEAD_STATUSES)
    ]
    hours = []
    for r, region in enumerate(REGIONS):
        row: dict[str, Any] = {"Id": cat.hours_ids[r], "Name": region.hours_name,
                               "IsActive": True, "IsDefault": r == 0,
                               "TimeZoneSidKey": region.timezone}
        for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
            weekday = day not in ("Saturday", "Sunday")
            row[f"{day}StartTime"] = f"{region.open_hhmm}:00.000Z" if weekday else None
            row[f"{day}EndTime"] = f"{region.close_hhmm}:00.000Z" if weekday else None
        hours.append(stamped(row, born))
    holiday_ids = id_list("0C0", cat.holiday_counters[: len(holiday_rows)])
    holiday_table = [
        stamped({"Id": holiday_ids[i], "Name": name,
                 "Description": "Calendars: " + ", ".join(keys), "ActivityDate": day,
                 "IsAllDay": True, "IsRecurrence": False}, born)
        for i, (day, name, keys) in enumerate(holiday_rows)
    ]
    flows = []
    for f, (api, label, versions, trigger, description) in enumerate(_flow_states(win)):
        active, latest, modified = versions
        flows.append({
            "Id": cat.flow_ids[f], "DurableId": cat.flow_ids[f], "ApiName": api, "Label": label,
            "Description": description, "ProcessType": "AutoLaunchedFlow", "TriggerType": trigger,
            "IsActive": active is not None,
            "ActiveVersionId": None if active is None else cat.flow_version_ids[f][active - 1],
            "LatestVersionId": cat.flow_version_ids[f][latest - 1],
            "LastModifiedDate": modified, "LastModifiedBy": cat.owner_names[cat.admin],
        })
    return {
        "User": _small_frame(users, user_kinds),
        "UserRole": _small_frame([stamped(r, born) for r in cat.roles], STAMPS),
        "Group": _small_frame([stamped(g, born) for g in cat.groups], STAMPS),
        "LeadStatus": _small_frame(statuses, {**STAMPS, "SortOrder": "int", "IsConverted": "bool",
                                              "IsDefault": "bool"}),
        "BusinessHours": _small_frame(hours, {**STAMPS, "IsActive": "bool", "IsDefault": "bool"}),
        "Holiday": _small_frame(holiday_table, {**STAMPS, "ActivityDate": "date",
                                                "IsAllDay": "bool", "IsRecurrence": "bool"}),
        "FlowDefinitionView": _small_frame(flows, {"LastModifiedDate": "datetime",
                                                   "IsActive": "bool"}),
    }


def _flow_states(win: Window) -> list[tuple[str, str, tuple[int | None, int, int], str, str]]:
    """Per flow: (active version, latest version, LastModifiedDate) in this scenario."""
    states = []
    for api, label, versions, trigger, description in FLOWS:
        if api == "Lead_Router":
            state = ((versions, versions, win.incident_start) if win.demo
                     else (versions - 1, versions - 1, win.start - 30 * DAY))
        elif api == "Lead_Enrichment":
            state = (versions, versions, (win.now - 20 * DAY) // 60 * 60)
        else:  # a draft that was never activated
            state = (None, versions, (win.now - 5 * DAY) // 60 * 60)
        states.append((api, label, state, trigger, description))
    return states


def _when(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


def _facts(cat: Catalog, win: Window, tl: Timeline, tables: dict[str, pd.DataFrame], seed: int,
           scenario: str, days: int) -> dict[str, Any]:
    lead_ids = tables["Lead"]["Id"]
    alive = tl.deleted_at == NEVER
    closed_codes = [i for i, s in enumerate(LEAD_STATUSES) if s[0] in CLOSED_STATUSES]
    open_lead = alive & ~np.isin(tl.final_status, closed_codes) & (tl.converted_at == NEVER)
    queued_over = open_lead & ~cat.owner_is_user[tl.final_owner] & (
        tl.owner_since < win.now - WINDOWS["queue_age_limit_hours"] * HOUR)
    over_by_queue = {
        cat.owner_ids[q]: int((queued_over & (tl.final_owner == q)).sum())
        for q in (cat.holding_queue, *cat.working_queues, cat.fallback_queue)
    }
    flow_facts = []
    for f, (api, label, (active, latest, modified), _, _) in enumerate(_flow_states(win)):
        ids = cat.flow_version_ids[f][:latest]
        flow_facts.append({
            "api_name": api, "label": label, "version_ids": ids,
            "active_version_id": None if active is None else ids[active - 1],
            "latest_version_id": ids[-1], "last_modified": _when(modified),
        })
    moved_in = (tl.change_owner == cat.inactive_rep) & (tl.change_time > win.inactive_since)
    inactive = {
        "id": cat.owner_ids[cat.inactive_rep], "name": cat.owner_names[cat.inactive_rep],
        "deactivated_at": _when(win.inactive_since),
        "assignments_after_deactivation": int((moved_in & (tl.change_time < NEVER)).sum()),
        "open_leads_owned": int((open_lead & (tl.final_owner == cat.inactive_rep)).sum()),
    }
    facts: dict[str, Any] = {
        "scenario": scenario, "seed": seed, "now": _when(win.now), "start": _when(win.start),
        "days": days, "regions": list(REGION_NAMES), "default_region": "Unknown",
        "tier_by_rating": dict(TIER_BY_RATING),
        "owners": {
            "integration_user": cat.owner_ids[cat.integration],
            "admin": cat.owner_ids[cat.admin],
            "holding_queue": cat.owner_ids[cat.holding_queue],
            "fallback_queue": cat.owner_ids[cat.fallback_queue],
            "holding": [cat.owner_ids[cat.integration], cat.owner_ids[cat.holding_queue]],
            "fallback": [cat.owner_ids[cat.fallback_queue]],
            "working_queues": {r: cat.owner_ids[q]
                               for r, q in zip(REGION_NAMES, cat.working_queues, strict=True)},
            "reps": {r: [cat.owner_ids[i] for i in cat.pools[k, : cat.pool_sizes[k]]]
                     for k, r in enumerate(REGION_NAMES)},
        },
        "flows": flow_facts,
        "inactive_rep_id": inactive["id"],
        "inactive_rep": inactive,
        "departed_rep_id": cat.owner_ids[cat.departed_rep],
        "queued_over_limit_by_queue": over_by_queue,
        "nasty_lead_ids": lead_ids[tl.nasty >= 0].tolist(),
        "incident": None,
        "backlog": None,
    }
    if win.demo:
        router = flow_facts[0]
        failed = (tl.path == P_INCIDENT) & (tl.failed_node >= 0) & alive
        facts["incident"] = {
            "region": INCIDENT_REGION, "rating": INCIDENT_RATING,
            "tier": TIER_BY_RATING[INCIDENT_RATING], "failed_node": INCIDENT_FAILED_NODE,
            "start": _when(win.incident_start), "end": _when(win.now),
            "flow": router["api_name"], "from_version_id": router["version_ids"][-2],
            "to_version_id": router["version_ids"][-1],
            "fallback_queue_id": cat.owner_ids[cat.fallback_queue],
            "failed_leads": int(failed.sum()), "failed_lead_ids": lead_ids[failed].tolist(),
        }
        queue = cat.working_queues[REGION_NAMES.index(BACKLOG_REGION)]
        stuck = queued_over & (tl.final_owner == queue)
        facts["backlog"] = {
            "queue_id": cat.owner_ids[queue], "queue_name": cat.owner_names[queue],
            "region": BACKLOG_REGION, "since": _when(win.backlog_since),
            "queued_over_limit": int(stuck.sum()), "lead_ids": lead_ids[stuck].tolist(),
        }
    history = tables["LeadHistory"]
    facts["counts"] = {
        **{name: len(frame) for name, frame in tables.items()},
        "owner_changes": int((tl.change_time < NEVER).sum()),
        "status_changes": int((tl.status_time < NEVER).sum()),
        "history_owner_rows": int((history["Field"] == "Owner").sum()),
        "deleted_leads": int((~alive).sum()),
        "converted_leads": int((tl.converted_at < NEVER).sum()),
        "unrouted_leads": int(((tl.change_time[:, 0] == NEVER) & np.isin(
            tl.initial_owner, [cat.integration, cat.holding_queue])).sum()),
        "assigned_leads": int((tl.rep_assigned < NEVER).sum()),
    }
    return facts


def main(argv: list[str] | None = None) -> int:
    """``python -m routing_health.sandbox.synthetic [--write-example [PATH]] [--leads N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-example", nargs="?", const=str(EXAMPLE_PATH), metavar="PATH",
                        help="write the commented demo configuration (default: %(const)s)")
    parser.add_argument("--leads", type=int, help="generate an org of N leads and print timings")
    parser.add_argument("--scenario", default="demo", choices=SCENARIOS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    if args.write_example:
        Path(args.write_example).write_text(example_config_toml(seed=args.seed), encoding="utf-8")
        print(f"wrote {args.write_example}")
    if args.leads:
        started = time.perf_counter()
        org = generate_org(leads=args.leads, seed=args.seed, now=datetime.now(UTC),
                           scenario=args.scenario)
        took = time.perf_counter() - started
        sizes = ", ".join(f"{name} {len(frame)}" for name, frame in org.tables.items())
        print(f"{args.leads} leads in {took:.1f} s: {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
