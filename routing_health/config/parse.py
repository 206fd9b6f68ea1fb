"""The routing configuration file (TOML, spec section 2.2) → typed, immutable objects.

``load_config(path)`` / ``parse_config(text)`` validate the whole file and raise one
``ConfigError`` listing every problem (``file:line: dotted.key: message``), or return a frozen
``RoutingConfig``. Mappings are read-only ``MappingProxyType`` s in file order; Id lists are
frozensets of 18-character Ids. No Django here: importable without settings.

Choices where the spec is silent:

- An empty file is valid and gives every default. When ``[tiers.sla]`` is empty or missing, the
  default tier gets a built-in SLA of 240 assign / 1440 touch minutes (``DEFAULT_TIER_SLA``);
  once any SLA is configured, every tier in use (the default and each ``by_value`` tier) needs
  its own.
- ``by_country`` and ``by_value`` keys match Lead values ignoring case and surrounding
  whitespace (as Salesforce compares strings); two keys that differ only that way are an error.
  A blank or non-string Lead value counts as empty.
- ``clock`` is ``None`` when not set; the consumer chooses (wall-clock, per spec section 10, when
  the region has no calendar).
- A status cannot be both ``accepted`` and ``rejected``. An owner cannot be both holding and
  fallback, and must be a User (005) or queue (00G).
- Lead field names must look like API names (``Region__c``): a letter, then letters, digits, ``_``.
  An empty string is an error (leave the key out instead).
- Without ``lead_fields.region`` the only regions are ``regions.default`` and the values of
  ``by_country``, so ``regions.calendars`` keys and override regions must be among them.
- Windows are numbers ≥ 0; ``reminder_hours``, SLA minutes and rule ``window_hours`` > 0;
  ``min_sample`` an integer ≥ 0; the thresholds of ``assignment_success`` and ``rejection_rate``
  are rates in [0, 1], other thresholds ≥ 0. An override must set something, must not repeat
  another's (rule, region, tier), and ``sync_stale`` cannot be overridden per segment.
- Calendars: touching intervals are merged; an overnight interval must be split over two days;
  a holiday is a "YYYY-MM-DD" string, a bare TOML date, or ``{ date, closed = [...] }`` (without
  ``closed`` the whole day is closed; ``closed = []`` is an error); a date listed twice is an
  error. A calendar must have some open hours or ``salesforce_business_hours``. Salesforce
  references are kept in ``RoutingConfig.calendar_salesforce`` (``Calendar`` has no field for
  them), for the sync to resolve.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from pathlib import Path
from types import MappingProxyType

from routing_health.config.alerts import ALERTS_KEYS, MSG_UNKNOWN_REGION, parse_alerts
from routing_health.config.calendars import parse_calendars
from routing_health.config.change_safety import CHANGE_SAFETY_KEYS, parse_change_safety
from routing_health.config.data_quality import DATA_QUALITY_KEYS, parse_data_quality
from routing_health.config.duplicates import DUPLICATES_KEYS, parse_duplicates
from routing_health.config.fairness import FAIRNESS_KEYS, parse_fairness
from routing_health.config.model import (
    ALERT_RULE_NAMES,
    DEFAULT_TIER_SLA,
    AlertsConfig,
    CalendarSalesforceRefs,
    ChangeSafety,
    Clock,
    ConfigError,
    ConfigProblem,
    DuplicatesConfig,
    FairnessConfig,
    FairnessPool,
    KillSwitch,
    LeadFields,
    Owners,
    Regions,
    ReportConfig,
    RoutingConfig,
    RuleConfig,
    RuleOverride,
    Shadow,
    Statuses,
    Tiers,
    TierSla,
    Windows,
    segment_key,
)
from routing_health.config.reader import Problems, SourceIndex, Table
from routing_health.config.shadow import SHADOW_KEYS, parse_shadow
from routing_health.lib.sfid import QUEUE_PREFIX, USER_PREFIX, id_problem, to_18

__all__ = [
    "ALERT_RULE_NAMES",
    "DEFAULT_TIER_SLA",
    "AlertsConfig",
    "CalendarSalesforceRefs",
    "ChangeSafety",
    "Clock",
    "ConfigError",
    "ConfigProblem",
    "DuplicatesConfig",
    "FairnessConfig",
    "FairnessPool",
    "KillSwitch",
    "LeadFields",
    "Owners",
    "Regions",
    "ReportConfig",
    "RoutingConfig",
    "RuleConfig",
    "RuleOverride",
    "Shadow",
    "Statuses",
    "TierSla",
    "Tiers",
    "Windows",
    "load_config",
    "parse_config",
]

TOP_KEYS = (
    "report",
    "lead_fields",
    "owners",
    "statuses",
    "regions",
    "tiers",
    "windows",
    "alerts",
    "calendars",
    "change_safety",
    "shadow",
    "fairness",
    "data_quality",
    "duplicates",
)
LEAD_FIELD_KEYS = ("region", "country", "tier", "failed_node", "rejection_reason", "extra")
WINDOW_KEYS = ("routing_grace_minutes", "bounce_hours", "accept_hours", "queue_age_limit_hours")

MSG_FILE_NOT_FOUND = "configuration file not found: {path}"
MSG_FILE_UNREADABLE = "cannot read configuration file {path}: {reason}"
MSG_NOT_UTF8 = "not UTF-8 text (byte {offset})"
MSG_SYNTAX = "invalid TOML: {message}"
MSG_BAD_FIELD_NAME = "{value!r} is not a Salesforce field API name (e.g. 'Region__c')"
MSG_BAD_OWNER_PREFIX = "{value!r} is neither a User (005...) nor a queue (00G...) Id"
MSG_HOLDING_AND_FALLBACK = "{value!r} is also in owners.holding (an owner is one or the other)"
MSG_ACCEPTED_AND_REJECTED = "{value!r} is also in statuses.accepted"
MSG_CASE_DUPLICATE = "{value!r} repeats {other!r} (values are matched ignoring case and spaces)"
MSG_BLANK_KEY = "an empty value never matches"
MSG_UNKNOWN_CALENDAR = "no calendar named {value!r} (define [calendars.{value}])"
MSG_TIER_WITHOUT_SLA = "tier {value!r} has no SLA (add [tiers.sla.{value}])"
MSG_BAD_CLOCK = 'expected "business" or "wall", got {value!r}'

_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SYNTAX_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def load_config(path: str | Path) -> RoutingConfig:
    """Read and validate the configuration file at ``path``; ``ConfigError`` when it is missing,
    unreadable or invalid."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        problem = ConfigProblem("", MSG_FILE_NOT_FOUND.format(path=source))
        raise ConfigError([problem], source) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        problem = ConfigProblem("", MSG_FILE_UNREADABLE.format(path=source, reason=reason))
        raise ConfigError([problem], source) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = ConfigProblem("", MSG_NOT_UTF8.format(offset=exc.start), line)
        raise ConfigError([problem], source) from None
    return parse_config(text, source=source)


def parse_config(text: str, *, source: str = "<string>") -> RoutingConfig:
    """Validate TOML text and build the ``RoutingConfig``; ``source`` names it in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(exc)], source) from None
    problems = Problems(SourceIndex(text))
    root = Table(problems, data, (), TOP_KEYS)
    report_table = root.table("report", ("timezone",))
    report = ReportConfig(timezone=report_table.timezone("timezone", "UTC") or "UTC")
    report_table.finish()
    lead_fields = _lead_fields(root.table("lead_fields", LEAD_FIELD_KEYS))
    owners = _owners(root.table("owners", ("holding", "fallback")))
    statuses = _statuses(root.table("statuses", ("accepted", "rejected", "closed")))
    calendars, calendar_refs, calendar_names = parse_calendars(root.table("calendars"))
    tiers, tier_names = _tiers(root.table("tiers", ("default", "by_value", "sla")))
    regions = _regions(
        root.table("regions", ("default", "by_country", "calendars")),
        calendar_names,
        closed_regions=lead_fields.region is None,
    )
    windows = _windows(root.table("windows", WINDOW_KEYS))
    known_regions = None
    if lead_fields.region is None:
        known_regions = {regions.default, *regions.by_country.values()}
    alerts = parse_alerts(root.table("alerts", ALERTS_KEYS), tier_names, known_regions)
    change_safety = parse_change_safety(root.table("change_safety", CHANGE_SAFETY_KEYS),
                                        _owner_ids)
    shadow = parse_shadow(root.table("shadow", SHADOW_KEYS), present=root.has("shadow"))
    fairness = parse_fairness(root.table("fairness", FAIRNESS_KEYS))
    data_quality = parse_data_quality(root.table("data_quality", DATA_QUALITY_KEYS))
    duplicates = parse_duplicates(root.table("duplicates", DUPLICATES_KEYS))
    root.finish()
    if problems.items:
        ordered = sorted(problems.items, key=lambda p: (p.line is None, p.line or 0))
        raise ConfigError(ordered, source)
    return RoutingConfig(
        report=report,
        lead_fields=lead_fields,
        owners=owners,
        statuses=statuses,
        regions=regions,
        tiers=tiers,
        windows=windows,
        alerts=alerts,
        change_safety=change_safety,
        shadow=shadow,
        fairness=fairness,
        data_quality=data_quality,
        duplicates=duplicates,
        calendars=MappingProxyType(calendars),
        source=source,
        calendar_salesforce=MappingProxyType(calendar_refs),
    )


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> ConfigProblem:
    message = str(exc)
    match = _SYNTAX_POSITION.search(message)
    if match is None:
        return ConfigProblem("", MSG_SYNTAX.format(message=message))
    detail = f"{message[: match.start()]} (column {match.group(2)})"
    return ConfigProblem("", MSG_SYNTAX.format(message=detail), int(match.group(1)))


def _field_name(table: Table, key: str, default: str | None = None) -> str | None:
    value = table.string(key)
    if value is not None and not _FIELD_NAME.fullmatch(value):
        table.problems.add((*table.path, key), MSG_BAD_FIELD_NAME.format(value=value))
        return default
    return default if value is None else value


def _lead_fields(table: Table) -> LeadFields:
    extra = []
    for index, name in enumerate(table.array("extra")):
        path = (*table.path, "extra", index)
        if not isinstance(name, str):
            table.problems.wrong_type(path, "a string", name)
        elif not _FIELD_NAME.fullmatch(name):
            table.problems.add(path, MSG_BAD_FIELD_NAME.format(value=name))
        else:
            extra.append(name)
    fields = LeadFields(
        region=_field_name(table, "region"),
        country=_field_name(table, "country", "Country") or "Country",
        tier=_field_name(table, "tier"),
        failed_node=_field_name(table, "failed_node"),
        rejection_reason=_field_name(table, "rejection_reason"),
        extra=tuple(extra),
    )
    table.finish()
    return fields


def _owner_ids(table: Table, key: str) -> dict[str, int]:
    """18-character Ids of an owner list → the index of their first mention."""
    ids: dict[str, int] = {}
    for index, value in enumerate(table.array(key)):
        path = (*table.path, key, index)
        problem = id_problem(value)
        if problem is not None:
            table.problems.add(path, problem)
            continue
        assert isinstance(value, str)
        if value[:3] not in (USER_PREFIX, QUEUE_PREFIX):
            table.problems.add(path, MSG_BAD_OWNER_PREFIX.format(value=value))
            continue
        ids.setdefault(to_18(value), index)
    return ids


def _owners(table: Table) -> Owners:
    holding = _owner_ids(table, "holding")
    fallback = _owner_ids(table, "fallback")
    for owner_id, index in fallback.items():
        if owner_id in holding:
            value = table.data["fallback"][index]
            table.problems.add(
                (*table.path, "fallback", index), MSG_HOLDING_AND_FALLBACK.format(value=value)
            )
    table.finish()
    return Owners(holding=frozenset(holding), fallback=frozenset(fallback))


def _statuses(table: Table) -> Statuses:
    accepted = table.string_list("accepted")
    rejected = table.string_list("rejected")
    raw_rejected = table.raw("rejected")
    for index, status in enumerate(raw_rejected if isinstance(raw_rejected, list) else []):
        if isinstance(status, str) and status in accepted:
            table.problems.add(
                (*table.path, "rejected", index), MSG_ACCEPTED_AND_REJECTED.format(value=status)
            )
    closed = table.string_list("closed")
    table.finish()
    return Statuses(frozenset(accepted), frozenset(rejected), frozenset(closed))


def _value_map(table: Table) -> dict[str, str]:
    """A Lead value → name table (``by_country``, ``by_value``), in file order."""
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    for key in table.data:
        path = (*table.path, key)
        if not key.strip():
            table.problems.add(path, MSG_BLANK_KEY)
        elif segment_key(key) in seen:
            other = seen[segment_key(key)]
            table.problems.add(path, MSG_CASE_DUPLICATE.format(value=key, other=other))
        elif (name := table.string(key)) is not None:
            seen[segment_key(key)] = key
            mapping[key] = name
    return mapping


def _regions(table: Table, calendar_names: Collection[str], *, closed_regions: bool) -> Regions:
    default = table.string("default", "Unknown") or "Unknown"
    by_country = _value_map(table.table("by_country"))
    calendars_table = table.table("calendars")
    region_calendars: dict[str, str] = {}
    known = {default, *by_country.values()}
    for region in calendars_table.data:
        path = (*calendars_table.path, region)
        name = calendars_table.string(region)
        if name is None:
            continue
        if name not in calendar_names:
            table.problems.add(path, MSG_UNKNOWN_CALENDAR.format(value=name))
        elif closed_regions and region not in known:
            table.problems.add(path, MSG_UNKNOWN_REGION.format(value=region))
        else:
            region_calendars[region] = name
    table.finish()
    return Regions(
        default=default,
        by_country=MappingProxyType(by_country),
        calendars=MappingProxyType(region_calendars),
    )


def _tier_sla(table: Table) -> TierSla | None:
    assign = table.number("assign_minutes", required=True, minimum=0, exclusive=True)
    touch = table.number("touch_minutes", required=True, minimum=0, exclusive=True)
    clock = table.raw("clock")
    if clock is not None and clock not in ("business", "wall"):
        if isinstance(clock, str):
            table.problems.add((*table.path, "clock"), MSG_BAD_CLOCK.format(value=clock))
        else:
            table.problems.wrong_type((*table.path, "clock"), '"business" or "wall"', clock)
        clock = None
    table.finish()
    if assign is None or touch is None:
        return None
    return TierSla(assign_minutes=assign, touch_minutes=touch, clock=clock)


def _tiers(table: Table) -> tuple[Tiers, frozenset[str]]:
    """The tiers, and every tier name declared (even in an invalid SLA table)."""
    default = table.string("default", "standard") or "standard"
    by_value_table = table.table("by_value")
    by_value = _value_map(by_value_table)
    sla_table = table.table("sla")
    sla: dict[str, TierSla] = {}
    for tier, value in sla_table.items():
        if not isinstance(value, dict):
            table.problems.wrong_type((*sla_table.path, tier), "a table", value)
            continue
        parsed = _tier_sla(sla_table.table(tier, ("assign_minutes", "touch_minutes", "clock")))
        if parsed is not None:
            sla[tier] = parsed
    if not sla_table.data:
        sla[default] = DEFAULT_TIER_SLA
    elif default not in sla_table.data:
        table.problems.add((*table.path, "default"), MSG_TIER_WITHOUT_SLA.format(value=default))
    reported = {default}
    for key, tier in by_value.items():
        if tier not in sla_table.data and tier not in reported:
            reported.add(tier)
            table.problems.add((*by_value_table.path, key), MSG_TIER_WITHOUT_SLA.format(value=tier))
    table.finish()
    tiers = Tiers(default=default, by_value=MappingProxyType(by_value), sla=MappingProxyType(sla))
    return tiers, frozenset({default, *by_value.values(), *sla_table.data})


def _windows(table: Table) -> Windows:
    defaults = Windows()
    values = {key: table.number(key, getattr(defaults, key), minimum=0) for key in WINDOW_KEYS}
    table.finish()
    return Windows(**values)
