"""The dashboard's filters (date range, region, tier, lead source), read from the query string.

``parse_filters(request.GET)`` validates the parameters into a frozen ``Filters``; a bad value
is dropped (its default used) and explained in ``Filters.errors``, never a 500. Filters live in
the URL, so links carry them: ``filters.querystring(page=2)`` → ``"?region=EMEA&page=2"``.

Dates are ISO ``YYYY-MM-DD`` days in the report timezone, both ends inclusive (the spec's
cohort). Without ``start``/``end`` the range is the last 7 complete days; those defaults are
not written into links, so a bookmarked page keeps meaning "the last 7 days".

The report timezone comes from the routing configuration (``[report] timezone``). When the file
is missing or invalid the dashboard still works in UTC and ``ReportSettings.problem`` says why
(shown as a banner).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q
from django.utils import timezone

from routing_health.config import ConfigError, RoutingConfig
from routing_health.facts.frames import local_days_utc
from routing_health.salesforce import runtime

FILTER_PARAMS = ("start", "end", "region", "tier", "source")
TEXT_PARAMS = ("region", "tier", "source")
DEFAULT_DAYS = 7
MAX_TEXT_LENGTH = 255
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2999, 12, 31)
# The Lead field behind the "source" filter, as kept in ``Lead.raw_fields`` (configure it in
# ``[lead_fields] extra`` to have it synced).
SOURCE_FIELD = "LeadSource"

MSG_BAD_DATE = "{name}={value!r} is not a date (YYYY-MM-DD): the default is used"
MSG_DATE_RANGE = "{name}={value!r} is out of range: the default is used"
MSG_SWAPPED = "start was after end: the two were swapped"
MSG_TOO_LONG = "{name} is longer than {limit} characters: ignored"
MSG_CONFIG_FALLBACK = "Routing configuration not loaded, so times are shown in UTC: {reason}"

LABELS = {"region": "Region", "tier": "Tier", "source": "Source"}


@dataclass(frozen=True)
class ReportSettings:
    """What the dashboard needs from the routing configuration, with a UTC fallback."""

    timezone_name: str
    zone: ZoneInfo
    config: RoutingConfig | None = None
    problem: str | None = None

    def tier_names(self) -> list[str]:
        if self.config is None:
            return []
        tiers = self.config.tiers
        return sorted({tiers.default, *tiers.by_value.values(), *tiers.sla.keys()})


_report_cache: dict[tuple[str, int, int], ReportSettings] = {}


def report_settings() -> ReportSettings:
    """The report timezone and configuration, re-read when the file changes."""
    path = runtime.config_path()
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    key = (str(path), stat.st_mtime_ns, stat.st_size) if stat else None
    if key is not None and key in _report_cache:
        return _report_cache[key]
    result = _load_report_settings()
    if key is not None:
        _report_cache.clear()
        _report_cache[key] = result
    return result


def _load_report_settings() -> ReportSettings:
    utc = ZoneInfo("UTC")
    try:
        config = runtime.routing_config()
    except ConfigError as exc:
        first = exc.problems[0].format(exc.source) if exc.problems else str(exc)
        return ReportSettings("UTC", utc, None, MSG_CONFIG_FALLBACK.format(reason=first))
    try:
        zone = ZoneInfo(config.report.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        reason = f"unknown timezone {config.report.timezone!r}"
        return ReportSettings("UTC", utc, config, MSG_CONFIG_FALLBACK.format(reason=reason))
    return ReportSettings(config.report.timezone, zone, config)


@dataclass(frozen=True)
class FilterChip:
    label: str
    removable: bool
    remove_querystring: str


MSG_UNKNOWN = "No {label} {value!r} in the data"
MSG_CLOSEST = " — did you mean {closest!r}?"


@dataclass(frozen=True)
class UnknownValue:
    """A region, tier or source filter naming no value in the data, and the closest that is."""

    name: str
    value: str
    closest: str = ""
    closest_querystring: str = ""  # the page's filters with the closest value instead
    remove_querystring: str = ""  # the page's filters without this one

    @property
    def message(self) -> str:
        text = MSG_UNKNOWN.format(label=LABELS[self.name].lower(), value=self.value)
        return text + (MSG_CLOSEST.format(closest=self.closest) if self.closest else ".")


@dataclass(frozen=True)
class Filters:
    """Validated filters. ``explicit`` names the parameters the URL set (and links repeat)."""

    start: date
    end: date
    region: str = ""
    tier: str = ""
    source: str = ""
    timezone: str = "UTC"
    explicit: frozenset[str] = field(default_factory=frozenset)
    errors: tuple[str, ...] = ()
    # Text filters naming no value in the data (see ``dashboards.filter_choices.resolve``): a
    # page shows a warning in their place, never an empty or healthy state.
    unknown: tuple[UnknownValue, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_default_range(self) -> bool:
        return not ({"start", "end"} & self.explicit)

    def params(self) -> dict[str, str]:
        """The explicitly set filters, as query parameters (in ``FILTER_PARAMS`` order)."""
        values = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "region": self.region,
            "tier": self.tier,
            "source": self.source,
        }
        return {name: values[name] for name in FILTER_PARAMS if name in self.explicit}

    def segment(self) -> dict[str, str]:
        """The region, tier and source filters that are set (as ``field=value`` equalities for
        a rollup or fact query: ``qs.filter(**filters.segment())``)."""
        return {name: getattr(self, name) for name in TEXT_PARAMS if getattr(self, name)}

    def querystring(self, **overrides: object) -> str:
        """``"?..."`` for a link keeping these filters, with ``overrides`` applied (``None`` or
        ``""`` removes a parameter; dates may be ``date`` s); ``""`` when nothing is left."""
        params: dict[str, str] = self.params()
        for name, value in overrides.items():
            if value is None or value == "":
                params.pop(name, None)
            else:
                params[name] = value.isoformat() if isinstance(value, date) else str(value)
        return f"?{urlencode(params)}" if params else ""

    def created_between(self) -> tuple[datetime, datetime]:
        """The UTC instants ``[from, to)`` of the local days ``start`` … ``end``."""
        return local_days_utc(self.start, self.end, self.zone)

    def lead_q(self) -> Q:
        """The filters as a ``Q`` over ``routing_health.models.Lead``."""
        begin, stop = self.created_between()
        q = Q(created_at__gte=begin, created_at__lt=stop)
        if self.region:
            q &= Q(region=self.region)
        if self.tier:
            q &= Q(tier=self.tier)
        if self.source:
            q &= Q(**{f"raw_fields__{SOURCE_FIELD}": self.source})
        return q

    def range_label(self) -> str:
        same_year = self.start.year == self.end.year
        first = f"{self.start:%b} {self.start.day}" + ("" if same_year else f", {self.start.year}")
        last = f"{self.end:%b} {self.end.day}, {self.end.year}"
        return first if self.start == self.end and same_year else f"{first} – {last}"

    def chips(self) -> list[FilterChip]:
        """The active filters, each with the query string that removes it."""
        label = self.range_label()
        if self.is_default_range:
            label = f"{label} (last {DEFAULT_DAYS} days)"
        chips = [
            FilterChip(
                label, not self.is_default_range, self.querystring(start=None, end=None)
            )
        ]
        for name, value in self.segment().items():
            chips.append(
                FilterChip(f"{LABELS[name]}: {value}", True, self.querystring(**{name: None}))
            )
        return chips

    @property
    def has_text_filters(self) -> bool:
        return bool(self.segment())


def default_range(today: date) -> tuple[date, date]:
    """The last ``DEFAULT_DAYS`` complete days before ``today``."""
    end = today - timedelta(days=1)
    return end - timedelta(days=DEFAULT_DAYS - 1), end


def _parse_date(name: str, raw: str, errors: list[str]) -> date | None:
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors.append(MSG_BAD_DATE.format(name=name, value=raw))
        return None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        errors.append(MSG_DATE_RANGE.format(name=name, value=raw))
        return None
    return value


def parse_filters(
    query: Mapping[str, str],
    *,
    report: ReportSettings | None = None,
    now: datetime | None = None,
) -> Filters:
    """Validate the filter parameters of ``query`` (e.g. ``request.GET``).

    ``now`` (aware; default: the current time) fixes "today" in the report timezone.
    """
    report = report or report_settings()
    today = (now or timezone.now()).astimezone(report.zone).date()
    start, end = default_range(today)
    errors: list[str] = []
    explicit: set[str] = set()

    for name in ("start", "end"):
        raw = str(query.get(name) or "").strip()
        if raw:
            parsed = _parse_date(name, raw, errors)
            if parsed is not None:
                explicit.add(name)
                if name == "start":
                    start = parsed
                else:
                    end = parsed
    if start > end:
        start, end = end, start
        errors.append(MSG_SWAPPED)
        explicit |= {"start", "end"}

    texts: dict[str, str] = {}
    for name in TEXT_PARAMS:
        raw = str(query.get(name) or "").strip()
        if len(raw) > MAX_TEXT_LENGTH:
            errors.append(MSG_TOO_LONG.format(name=name, limit=MAX_TEXT_LENGTH))
        elif raw:
            texts[name] = raw
            explicit.add(name)

    return Filters(
        start=start,
        end=end,
        timezone=report.timezone_name,
        explicit=frozenset(explicit),
        errors=tuple(errors),
        **texts,
    )
