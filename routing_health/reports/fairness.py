"""The monthly fairness review (issue 17): how each pool's leads were shared in one month, by
region and by segment (tier), week by week, and the leads that reached reps who could not work
them. Built from the same engine as ``export_metrics`` (``metrics.fairness``), stored for the
Reports page (``FairnessReview``), written as one self-contained HTML file.

- **Pools** (``[[fairness.pools]]``, else each region's reps): the month's leads per member
  against its weight, the max/min share-per-weight ratio and the Gini index (``docs/metrics.md``,
  "Fairness and capacity"); a pool is flagged as ``metrics.fairness.imbalanced`` judges it with
  ``[fairness]`` (the rule ``distribution_imbalance``'s test, over a month).
- **By segment**: the same per pool × tier.
- **Weeks**: the indices per pool × ISO week of the month's leads.
- **Capacity**: per region, the leads sent to inactive and to out-of-office reps and the open
  leads owned by an inactive user (the export's counts over the month's cohort), and each
  unavailable rep who received leads.
"""

from __future__ import annotations

import calendar
import gzip
import html
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.facts.reps import load_rep_states, skips_of
from routing_health.lib.format import float_or_none, format_count, format_rate, format_time
from routing_health.metrics import cohort, lead_facts_of
from routing_health.metrics.aggregate import group_numbers
from routing_health.metrics.catalog import AVAILABILITY_METRICS
from routing_health.metrics.fairness import (
    NO_REGION,
    availability_members,
    availability_values,
    pool_indices,
    pool_shares,
    pools_of,
    unavailable_reps,
)
from routing_health.models import FairnessReview
from routing_health.reports.export import cohort_frames

MSG_BAD_MONTH = "month must look like 2026-11, got {value!r}"
MSG_FUTURE_MONTH = "month {month} has not started yet in {timezone}"
MONTH = "month"


class MonthError(ValueError):
    """A month that cannot be reviewed; the message says why."""


@dataclass(frozen=True)
class PoolRow:
    pool: str
    period: str  # the month, or an ISO week
    tier: str | None  # None: every tier
    leads: int
    reps: int
    reps_without_leads: int
    max_min_ratio: float | None
    gini: float | None
    p_value: float | None  # Pearson's chi-square against the weights
    flagged: bool


@dataclass(frozen=True)
class RepShare:
    pool: str
    rep_id: str
    name: str
    leads: int
    weight: float
    share: float | None
    weight_share: float
    ratio: float | None


@dataclass(frozen=True)
class CapacityRow:
    region: str | None
    leads: int
    leads_to_inactive_rep: int
    leads_to_out_of_office_rep: int
    open_with_inactive_owner: int


@dataclass(frozen=True)
class UnavailableRep:
    rep_id: str
    name: str
    state: str  # "inactive" | "out of office"
    since: datetime
    leads: int  # leads of the month sent to them after ``since``


@dataclass(frozen=True)
class FairnessReviewData:
    month: str
    start: date
    end: date
    as_of: datetime
    complete: bool
    generated_at: datetime
    timezone: str
    pools: tuple[PoolRow, ...]
    segments: tuple[PoolRow, ...]
    weeks: tuple[PoolRow, ...]
    reps: tuple[RepShare, ...]
    capacity: tuple[CapacityRow, ...]
    unavailable: tuple[UnavailableRep, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates and times as ISO text, NaN never (``None``)."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def parse_month(value: str) -> tuple[date, date]:
    """``"2026-11"`` -> its first and last day; ``MonthError`` otherwise."""
    try:
        year, month = (int(part) for part in value.split("-"))
        start = date(year, month, 1)
    except ValueError:
        raise MonthError(MSG_BAD_MONTH.format(value=value)) from None
    if len(value) != 7:
        raise MonthError(MSG_BAD_MONTH.format(value=value))
    return start, date(year, month, calendar.monthrange(year, month)[1])


def last_complete_month(as_of: datetime, timezone: str) -> str:
    """The month before ``as_of``'s local month."""
    first = as_of.astimezone(ZoneInfo(timezone)).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _pool_rows(indices: pd.DataFrame, config: RoutingConfig, tier: bool) -> tuple[PoolRow, ...]:
    rows = []
    for r in indices.to_dict("records"):
        rows.append(PoolRow(str(r["pool"]), str(r["period"]), (str(r["tier"]) or None)
                            if tier else None, int(r["leads"]), int(r["reps"]),
                            int(r["reps_without_leads"]), float_or_none(r["max_min_ratio"]),
                            float_or_none(r["gini"]), float_or_none(r["p_value"]),
                            config.fairness.judge(r)))
    return tuple(rows)


def build_fairness_review(
    config: RoutingConfig, month: str, as_of: datetime, *, now: datetime | None = None
) -> FairnessReviewData:
    """The review of ``month`` ("2026-11", local to ``[report] timezone``) as of ``as_of``."""
    start, end = parse_month(month)
    tz = ZoneInfo(config.report.timezone)
    if start > as_of.astimezone(tz).date():
        raise MonthError(MSG_FUTURE_MONTH.format(month=month, timezone=config.report.timezone))
    params = resolved_params(config)
    frames = cohort_frames(params, start, end, as_of, ())
    facts = cohort(lead_facts_of(frames, params, as_of), start, end)
    facts = facts.assign(**{MONTH: month})
    reps = load_rep_states()
    names = dict(zip(reps["id"].astype(str), reps["name"].astype(str), strict=True))
    pools = pools_of(config.fairness.pools)
    kwargs: dict[str, Any] = {"pools": pools, "weights": config.fairness.weights,
                              "skip_regions": skips_of(config)}
    month_shares = pool_shares(facts, reps, period=MONTH, **kwargs)
    tier_shares = pool_shares(facts, reps, period=MONTH, split=("tier",), **kwargs)
    week_shares = pool_shares(facts, reps, period="created_week", **kwargs)
    members = availability_members(facts, frames.leads, reps, params.closed_statuses)
    keys, group, size = group_numbers(facts, ["region"])
    per_region = availability_values(facts, members, ["region"])
    leads_per_region = np.bincount(group, minlength=size)
    capacity = [
        CapacityRow(region, int(n), **{m.name: counts[m.name] for m in AVAILABILITY_METRICS})
        for region, n, counts in zip(keys["region"], leads_per_region, per_region, strict=True)
    ]
    inactive, away = unavailable_reps(reps)
    unavailable = []
    first = facts["first_rep"].astype(object)
    for state, table, flag in (("inactive", inactive, "to_inactive_rep"),
                               ("out of office", away, "to_out_of_office_rep")):
        sent = first[members[flag]].astype(str).value_counts()
        for rep, count in sent.items():
            unavailable.append(UnavailableRep(
                str(rep), names.get(str(rep), str(rep)), state,
                pd.Timestamp(table[str(rep)], tz="UTC").to_pydatetime(), int(count)))
    unavailable.sort(key=lambda u: (-u.leads, u.name))
    local_end = datetime.combine(end + timedelta(days=1), datetime.min.time(), tz)
    return FairnessReviewData(
        month=month, start=start, end=end, as_of=as_of, complete=as_of >= local_end,
        generated_at=now or datetime.now(UTC), timezone=config.report.timezone,
        pools=_pool_rows(pool_indices(month_shares), config, False),
        segments=_pool_rows(pool_indices(tier_shares, split=("tier",)), config, True),
        weeks=_pool_rows(pool_indices(week_shares), config, False),
        reps=tuple(RepShare(str(r["pool"]), str(r["rep"]), names.get(str(r["rep"]), str(r["rep"])),
                            int(r["leads"]), float(r["weight"]), float_or_none(r["share"]),
                            float(r["weight_share"]), float_or_none(r["ratio"]))
                   for r in month_shares.to_dict("records")),
        capacity=tuple(capacity),
        unavailable=tuple(unavailable),
    )


# --- HTML ----------------------------------------------------------------------------------------

_STYLE = """body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:64rem;color:#1d2330}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}th,td{padding:.3rem .6rem;
border-bottom:1px solid #d8dce4;text-align:right}th:first-child,td:first-child{text-align:left}
.flag{color:#a4262c;font-weight:600}.muted{color:#5b6475}h2{margin-top:2rem}"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _ratio(value: float | None) -> str:
    return "no data" if value is None else f"{value:.2f}"


def _p(value: float | None) -> str:
    return "no data" if value is None else f"{value:.3f}"


def _leads_link(base_url: str, data: FairnessReviewData, **extra: str) -> str:
    query = {"start": data.start.isoformat(), "end": data.end.isoformat(), **extra}
    return f"{base_url.rstrip('/')}/leads?{urlencode(query)}"


def render_fairness_review(data: FairnessReviewData, *, base_url: str = "") -> str:
    """The review as one HTML document (every text escaped; links to the dashboard's lead list
    under ``base_url``)."""
    out = [f"<!doctype html><html lang=en><head><meta charset=utf-8>"
           f"<title>Fairness review {_e(data.month)}</title><style>{_STYLE}</style></head><body>",
           f"<h1>Fairness review {_e(data.month)}</h1>",
           f"<p class=muted>Leads created {_e(data.start)} to {_e(data.end)} ({_e(data.timezone)})"
           f", as of {_e(format_time(data.as_of, data.timezone))}"
           f"{'' if data.complete else ' — the month is not over yet'}.</p>"]
    flagged = [p for p in data.pools if p.flagged]
    out.append(f"<p>{len(flagged)} of {len(data.pools)} pools flagged as unevenly shared.</p>")

    def pool_table(rows: tuple[PoolRow, ...], first: str, key: str) -> None:
        out.append(f"<table><tr><th>{_e(first)}</th><th>Leads</th><th>Reps</th>"
                   "<th>Reps without leads</th><th>Max/min ratio</th><th>Gini</th>"
                   "<th>p (by chance)</th></tr>")
        for p in rows:
            label = p.pool + (f" · {p.tier}" if key == "tier" else "") + (
                f" · {p.period}" if key == "week" else "")
            css = " class=flag" if p.flagged else ""
            out.append(f"<tr{css}><td>{_e(label)}</td><td>{format_count(p.leads)}</td>"
                       f"<td>{p.reps}</td><td>{p.reps_without_leads}</td>"
                       f"<td>{_ratio(p.max_min_ratio)}</td><td>{_ratio(p.gini)}</td>"
                       f"<td>{_p(p.p_value)}</td></tr>")
        out.append("</table>")

    out.append("<h2>Pools (by region)</h2>")
    pool_table(data.pools, "Pool", "pool")
    out.append("<h2>Reps: share of the pool against their weight</h2>")
    out.append("<table><tr><th>Pool · rep</th><th>Leads</th><th>Weight</th><th>Share</th>"
               "<th>Due share</th><th>Ratio</th></tr>")
    for r in data.reps:
        region = r.pool if r.pool != NO_REGION else ""
        link = _leads_link(base_url, data, first_rep=r.rep_id,
                           **({"region": region} if region and not _listed(data, r.pool) else {}))
        out.append(f"<tr><td>{_e(r.pool)} · <a href=\"{_e(link)}\">{_e(r.name)}</a></td>"
                   f"<td>{format_count(r.leads)}</td><td>{r.weight:g}</td>"
                   f"<td>{format_rate(r.share)}</td><td>{format_rate(r.weight_share)}</td>"
                   f"<td>{_ratio(r.ratio)}</td></tr>")
    out.append("</table>")
    out.append("<h2>By segment (pool × tier)</h2>")
    pool_table(data.segments, "Pool · tier", "tier")
    out.append("<h2>Week by week</h2>")
    pool_table(data.weeks, "Pool · week", "week")
    out.append("<h2>Capacity: leads that reached reps who could not work them</h2>")
    out.append("<table><tr><th>Region</th><th>Leads</th>" + "".join(
        f"<th>{_e(m.label)}</th>" for m in AVAILABILITY_METRICS) + "</tr>")
    for c in data.capacity:
        out.append(f"<tr><td>{_e(c.region or 'no region')}</td><td>{format_count(c.leads)}</td>"
                   f"<td>{format_count(c.leads_to_inactive_rep)}</td>"
                   f"<td>{format_count(c.leads_to_out_of_office_rep)}</td>"
                   f"<td>{format_count(c.open_with_inactive_owner)}</td></tr>")
    out.append("</table>")
    if data.unavailable:
        out.append("<table><tr><th>Rep</th><th>State</th><th>Since (last change)</th>"
                   "<th>Leads sent after it</th></tr>")
        for u in data.unavailable:
            link = _leads_link(base_url, data, first_rep=u.rep_id)
            out.append(f"<tr><td><a href=\"{_e(link)}\">{_e(u.name)}</a></td><td>{_e(u.state)}"
                       f"</td><td>{_e(format_time(u.since, data.timezone))}</td>"
                       f"<td>{format_count(u.leads)}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>No lead reached an inactive or out-of-office rep.</p>")
    out.append("</body></html>\n")
    return "".join(out)


def _listed(data: FairnessReviewData, pool: str) -> bool:
    """Whether ``pool`` is a configured pool (not a region)."""
    return not any(c.region == pool for c in data.capacity)


def save_fairness_review(data: FairnessReviewData, html_text: str) -> FairnessReview:
    """Store (or replace) the month's review for the Reports page."""
    row, _ = FairnessReview.objects.update_or_create(
        month=data.month,
        defaults={
            "start": data.start, "end": data.end, "as_of": data.as_of,
            "complete": data.complete, "generated_at": data.generated_at,
            "html_gzip": gzip.compress(html_text.encode("utf-8"), compresslevel=6),
            "summary": data.to_dict(),
        },
    )
    return row
