"""The routing configuration's typed, immutable shape (parsed by ``routing_health.config``).

Import these names from ``routing_health.config``; this module only keeps that one small.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from routing_health.lib.calendar import Calendar

if TYPE_CHECKING:
    import pandas as pd

ALERT_RULE_NAMES = (
    "assignment_success",
    "routing_failures",
    "tta_p95",
    "touch_p95",
    "queue_aging",
    "rejection_rate",
    "volume_anomaly",
    "inactive_owner",
    "flow_regression",
    "kill_switch",
    "distribution_imbalance",
    "duplicate_outreach",
    "input_missing",
    "sync_stale",
)
SEVERITIES = ("critical", "warning", "info")
"""Alert severities, worst first (spec section 6); ``info`` goes only to the daily digest."""
Severity = Literal["critical", "warning", "info"]
GROUP_LABELS = ("region", "tier", "rule", "severity")
"""What ``[alerts] group_by`` and ``[[alerts.inhibit]] equal`` may name."""

Clock = Literal["business", "wall"]


def _frozen_map() -> Mapping:
    return MappingProxyType({})


def segment_key(value: str) -> str:
    """How a Salesforce field value is matched against ``by_country`` / ``by_value`` keys.

    Salesforce compares strings ignoring case (SOQL ``=``, picklists), so we do too, and ignore
    surrounding whitespace.
    """
    return value.strip().casefold()


def _text(value: object) -> str | None:
    """A field value as stripped text; ``None`` for missing, blank and non-string values."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the configuration: the dotted key, what is wrong, the file line."""

    key: str
    message: str
    line: int | None = None

    def format(self, source: str) -> str:
        where = source if self.line is None else f"{source}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists everything found, in file order."""

    def __init__(self, problems: list[ConfigProblem], source: str = "<string>") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(problem.format(self.source) for problem in self.problems)

    def __reduce__(self) -> tuple[type[ConfigError], tuple[list[ConfigProblem], str]]:
        return (ConfigError, (self.problems, self.source))


@dataclass(frozen=True)
class ReportConfig:
    timezone: str = "UTC"


@dataclass(frozen=True)
class LeadFields:
    """Lead API field names. ``region``/``tier`` drive segmentation; ``extra`` is for grouping."""

    region: str | None = None
    country: str = "Country"
    tier: str | None = None
    failed_node: str | None = None
    rejection_reason: str | None = None
    extra: tuple[str, ...] = ()

    def api_names(self) -> tuple[str, ...]:
        """The configured Lead fields to pull, first spelling kept, duplicates (any case) dropped.

        Only the configured fields: the sync adds its own standard fields (Id, OwnerId, ...).
        """
        named = (self.region, self.country, self.tier, self.failed_node, self.rejection_reason)
        seen: set[str] = set()
        names: list[str] = []
        for name in (*named, *self.extra):
            if name is not None and name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
        return tuple(names)


@dataclass(frozen=True)
class Owners:
    """18-character owner Ids meaning "not routed yet" (holding) and "routing failed" (fallback)."""

    holding: frozenset[str] = frozenset()
    fallback: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Statuses:
    accepted: frozenset[str] = frozenset()
    rejected: frozenset[str] = frozenset()
    closed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Regions:
    """``by_country``: country value → region (file order); ``calendars``: region → calendar."""

    default: str = "Unknown"
    by_country: Mapping[str, str] = field(default_factory=_frozen_map)
    calendars: Mapping[str, str] = field(default_factory=_frozen_map)


@dataclass(frozen=True)
class TierSla:
    """Minutes to a rep assignment and to the first touch; ``clock`` ``None`` when not set."""

    assign_minutes: float
    touch_minutes: float
    clock: Clock | None = None


DEFAULT_TIER_SLA = TierSla(assign_minutes=240.0, touch_minutes=1440.0)


@dataclass(frozen=True)
class Tiers:
    """``by_value``: tier field value → tier name (file order); ``sla``: tier name → SLA."""

    default: str = "standard"
    by_value: Mapping[str, str] = field(default_factory=_frozen_map)
    sla: Mapping[str, TierSla] = field(
        default_factory=lambda: MappingProxyType({"standard": DEFAULT_TIER_SLA})
    )

    def names(self) -> frozenset[str]:
        """Every tier name the configuration knows: the default, mapped values and SLA keys."""
        return frozenset({self.default, *self.by_value.values(), *self.sla})


@dataclass(frozen=True)
class Windows:
    routing_grace_minutes: float = 60.0
    bounce_hours: float = 168.0
    accept_hours: float = 24.0
    queue_age_limit_hours: float = 24.0


@dataclass(frozen=True)
class KillSwitch:
    """``[change_safety.kill_switch]`` (spec section 10): the checkbox the routing flow reads
    first. The sync reads ``SELECT Id, <field>, LastModifiedDate FROM <sobject> [WHERE
    <where>]``, which must match exactly one record."""

    sobject: str  # e.g. "Routing_Switch__mdt" (custom metadata), a custom setting or object
    field: str  # the checkbox, e.g. "Kill_Switch__c"
    where: str = ""  # SOQL condition picking the record, e.g. "DeveloperName = 'Lead_Routing'"
    limit_hours: float = 2.0  # the kill_switch alert fires when ON for longer than this
    triage_owners: frozenset[str] = frozenset()  # empty: every [owners] fallback owner


@dataclass(frozen=True)
class ChangeSafety:
    """``[change_safety]`` (spec section 10, issue 16): the routing flows whose activations are
    watched for a regression, and what "clearly worse" means (``alerts.flow_regression``)."""

    flows: tuple[str, ...] = ()  # flow API names (FlowDefinitionView.ApiName)
    min_leads: int = 10  # leads each side (since the activation, the baseline) needs
    window_hours: float = 24.0  # the after side: leads created in the last 24 h since it
    success_drop: float = 0.05  # assignment success down by at least 5 points
    min_failures: int = 3  # a failure reason with at least 3 failures since the activation
    tta_ratio: float = 2.0  # TTA p95 over the tier SLA and at least 2 x the baseline's
    kill_switch: KillSwitch | None = None  # [change_safety.kill_switch]; None: not watched


@dataclass(frozen=True)
class Shadow:
    """``[shadow]`` (issue 17): the Lead field holding a candidate owner (an AI recommendation
    or a candidate rule set) compared with the owner routing chose (``metrics.shadow``)."""

    candidate_field: str  # Lead API name; its value is a User Id (15 or 18 characters)
    explanation_field: str | None = None  # "recommended because ..." on the lead timeline
    priority_field: str | None = None  # pulled and shown next to the candidate
    conversion_days: int = 30  # the "converted within N days" outcome
    bias_threshold: float = 0.10  # a share that moves by more than this is flagged

    def api_names(self) -> tuple[str, ...]:
        """The Lead fields to pull, candidate first."""
        named = (self.candidate_field, self.explanation_field, self.priority_field)
        return tuple(name for name in named if name)


@dataclass(frozen=True)
class FairnessPool:
    """``[[fairness.pools]]``: a named set of reps sharing leads (of ``region`` when given)."""

    name: str
    reps: tuple[str, ...]  # 18-character User Ids
    region: str | None = None


@dataclass(frozen=True)
class FairnessConfig:
    """``[fairness]`` (issue 17): who shares leads with whom, with what weight, and when a
    distribution counts as imbalanced (``metrics.fairness``, rule ``distribution_imbalance``).
    Without ``pools``, each region's reps form one pool."""

    out_of_office_field: str | None = None  # a User checkbox API name; None: IsActive only
    min_leads: int = 20  # pool leads a week needs before its index is judged
    max_ratio: float = 2.0  # max/min share-per-weight ratio judged imbalanced (>=)
    max_gini: float = 0.3  # Gini of weight-normalised counts judged imbalanced (>=)
    max_p_value: float = 0.05  # ... and only when a split so uneven is this unlikely by chance
    weights: Mapping[str, float] = field(default_factory=_frozen_map)  # rep Id -> weight
    pools: tuple[FairnessPool, ...] = ()

    def judge(self, index: Mapping[str, object], *, max_ratio: float | None = None,
              min_leads: int | None = None) -> bool:
        """``metrics.fairness.imbalanced`` of a ``pool_indices`` row with these settings (the
        rule passes its own ``max_ratio`` / ``min_leads`` when its table sets them)."""
        from routing_health.metrics.fairness import imbalanced

        return imbalanced(
            index, min_leads=self.min_leads if min_leads is None else min_leads,
            max_ratio=self.max_ratio if max_ratio is None else max_ratio,
            max_gini=self.max_gini, max_p_value=self.max_p_value)

    def weight(self, rep: str) -> float:
        """The configured weight of ``rep``; 1 when not listed (equal weights)."""
        return self.weights.get(rep, 1.0)


@dataclass(frozen=True)
class FieldRule:
    """One routing-critical Lead field of ``[data_quality]``: a value is *missing* when null
    or blank, *invalid* when ``allowed`` is set and does not hold it (exact, after stripping)
    or ``pattern`` is set and does not match all of it (``re.fullmatch``)."""

    name: str  # Lead API name
    allowed: frozenset[str] | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class DataQuality:
    """``[data_quality]`` (issue 17, item 4): the routing-critical Lead fields, the lead-source
    field that groups them, and when the ``input_missing`` rule fires (``alerts.input_quality``)."""

    fields: tuple[FieldRule, ...] = ()
    source_field: str = "LeadSource"
    window_hours: float = 24.0  # the share now: leads created in the last 24 h
    baseline_days: int = 14  # against the share over the 14 days before that window
    min_leads: int = 10  # leads of the source needed in the window
    min_increase: float = 0.3  # share up by at least 30 points over the baseline ...
    min_ratio: float = 3.0  # ... and at least 3 x the baseline share

    @property
    def enabled(self) -> bool:
        return bool(self.fields)

    def api_names(self) -> tuple[str, ...]:
        """The Lead fields the sync pulls for it: the listed fields, then the source field."""
        if not self.fields:
            return ()
        names = [f.name for f in self.fields]
        if self.source_field.lower() not in {n.lower() for n in names}:
            names.append(self.source_field)
        return tuple(names)


DEFAULT_PUBLIC_DOMAINS: frozenset[str] = frozenset({
    "aol.com", "gmail.com", "gmx.de", "gmx.net", "googlemail.com", "hotmail.com",
    "hotmail.co.uk", "icloud.com", "live.com", "mail.com", "me.com", "msn.com", "outlook.com",
    "proton.me", "protonmail.com", "qq.com", "web.de", "yahoo.co.uk", "yahoo.com", "yahoo.fr",
    "yandex.ru", "zoho.com",
})
"""Public mail domains never matched to a company (``[duplicates] public_domains``)."""


@dataclass(frozen=True)
class DuplicatesConfig:
    """``[duplicates]`` (issue 17 item 3): how leads are matched to Accounts and to each other.

    ``window_days``: two leads of one company count as duplicate outreach when created at most
    this many days apart; ``account_domain_field``: an Account field holding a domain, read
    besides Website; ``public_domains``: e-mail/website domains never used for matching."""

    window_days: float = 30.0
    account_domain_field: str | None = None
    public_domains: frozenset[str] = DEFAULT_PUBLIC_DOMAINS


@dataclass(frozen=True)
class RuleConfig:
    """Settings for one alert rule; ``None`` means "the rule's built-in default"."""

    enabled: bool | None = None
    threshold: float | None = None
    min_sample: int | None = None
    window_hours: float | None = None
    for_minutes: float | None = None
    severity: Severity | None = None
    min_count: int | None = None
    max_age_days: float | None = None


@dataclass(frozen=True)
class RuleOverride:
    """Rule settings for one segment (a region, a tier, or both)."""

    rule: str
    region: str | None = None
    tier: str | None = None
    enabled: bool | None = None
    threshold: float | None = None
    min_sample: int | None = None
    window_hours: float | None = None
    for_minutes: float | None = None
    severity: Severity | None = None
    min_count: int | None = None
    max_age_days: float | None = None


@dataclass(frozen=True)
class Route:
    """``[[alerts.routes]]``: groups matching every given matcher (an empty matcher matches
    anything) go to ``slack_channel`` and ``email``; the first matching route wins unless it
    sets ``continue_`` (``continue = true``). No route matched: the default route
    (``SLACK_CHANNEL``)."""

    region: tuple[str, ...] = ()
    tier: tuple[str, ...] = ()
    rule: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    slack_channel: str | None = None
    email: tuple[str, ...] = ()
    continue_: bool = False


@dataclass(frozen=True)
class InhibitRule:
    """``[[alerts.inhibit]]``: while an incident of ``source_rule`` fires, incidents of
    ``target_rules`` (every data-derived rule when empty) whose ``equal`` labels have the same
    values are shown under it instead of being paged."""

    source_rule: str
    target_rules: tuple[str, ...] = ()
    equal: tuple[str, ...] = ()


DEFAULT_INHIBIT_RULES: tuple[InhibitRule, ...] = (
    InhibitRule("sync_stale"),
    InhibitRule("flow_regression", ("assignment_success", "routing_failures", "volume_anomaly"),
                ("region", "tier")),
    InhibitRule("routing_failures", ("assignment_success", "volume_anomaly"), ("region", "tier")),
)
"""Spec section 6's defaults; ``[[alerts.inhibit]]`` rules are added to them."""


@dataclass(frozen=True)
class AlertsConfig:
    """``[alerts]``: the notification policy (spec section 6), rules and overrides."""

    repeat_interval_hours: float = 4.0
    rules: Mapping[str, RuleConfig] = field(default_factory=_frozen_map)
    overrides: tuple[RuleOverride, ...] = ()
    group_by: tuple[str, ...] = ("region",)
    group_wait_seconds: float = 60.0
    group_interval_minutes: float = 5.0
    max_new_groups: int = 5
    resolve_minutes: float = 15.0
    routes: tuple[Route, ...] = ()
    inhibit: tuple[InhibitRule, ...] = DEFAULT_INHIBIT_RULES

    @property
    def reminder_hours(self) -> float:
        """The reminder interval (``repeat_interval_hours``; ``reminder_hours`` is its old name)."""
        return self.repeat_interval_hours


@dataclass(frozen=True)
class CalendarSalesforceRefs:
    """Salesforce records a calendar refers to, resolved later against synced data."""

    business_hours: str | None = None
    holidays: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingConfig:
    """The whole routing configuration. ``source`` is the file path (or ``"<string>"``)."""

    report: ReportConfig = field(default_factory=ReportConfig)
    lead_fields: LeadFields = field(default_factory=LeadFields)
    owners: Owners = field(default_factory=Owners)
    statuses: Statuses = field(default_factory=Statuses)
    regions: Regions = field(default_factory=Regions)
    tiers: Tiers = field(default_factory=Tiers)
    windows: Windows = field(default_factory=Windows)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    change_safety: ChangeSafety = field(default_factory=ChangeSafety)
    shadow: Shadow | None = None  # no ``[shadow]`` table: no shadow comparison anywhere
    fairness: FairnessConfig = field(default_factory=FairnessConfig)
    data_quality: DataQuality = field(default_factory=DataQuality)
    duplicates: DuplicatesConfig = field(default_factory=DuplicatesConfig)
    calendars: Mapping[str, Calendar] = field(default_factory=_frozen_map)
    source: str = "<string>"
    calendar_salesforce: Mapping[str, CalendarSalesforceRefs] = field(default_factory=_frozen_map)

    def region_for(self, region_value: str | None, country_value: str | None) -> str:
        """The lead's region: its region field value when non-blank (stripped), else the
        ``by_country`` region of its country value (ignoring case), else the default region."""
        region = _text(region_value)
        if region is not None:
            return region
        country = _text(country_value)
        if country is not None:
            found = self._country_lookup().get(segment_key(country))
            if found is not None:
                return found
        return self.regions.default

    def tier_for(self, tier_value: str | None) -> str:
        """The lead's tier: the ``by_value`` tier of its tier value (ignoring case), else the
        default tier."""
        tier = _text(tier_value)
        if tier is not None:
            found = self._tier_lookup().get(segment_key(tier))
            if found is not None:
                return found
        return self.tiers.default

    def regions_for(self, region: pd.Series, country: pd.Series) -> pd.Series:
        """``region_for`` over aligned Series (same length; the result takes ``region``'s index)."""
        import pandas as pd

        if len(region) != len(country):
            raise ValueError("region and country must have the same length")
        own = _stripped(region)
        country_key = _stripped(country).str.casefold()
        mapped = pd.Series(
            country_key.map(self._country_lookup()).to_numpy(dtype=object), index=own.index
        )
        result = own.where(own.notna(), mapped).fillna(self.regions.default)
        return pd.Series(result.to_numpy(dtype=object), index=region.index, name="region")

    def tiers_for(self, tier: pd.Series) -> pd.Series:
        """``tier_for`` over a Series (same index, named ``tier``)."""
        import pandas as pd

        mapped = _stripped(tier).str.casefold().map(self._tier_lookup())
        result = mapped.fillna(self.tiers.default)
        return pd.Series(result.to_numpy(dtype=object), index=tier.index, name="tier")

    def tier_sla(self, tier: str | None) -> TierSla:
        """THE tier-SLA lookup (alerts, reports, pages and the engine's parameters all use it):
        the tier's ``[tiers.sla.<tier>]``; for no tier or a tier without one (a value the
        config does not know, shown as such), the default tier's, else ``DEFAULT_TIER_SLA``."""
        sla = self.tiers.sla
        if tier is not None and tier in sla:
            return sla[tier]
        return sla.get(self.tiers.default, DEFAULT_TIER_SLA)

    def sla_for(self, tier: str) -> TierSla:
        """The SLA of a configured tier name (as returned by ``tier_for``); ``KeyError`` naming
        an unknown one. For a lookup that falls back to the default tier use ``tier_sla``."""
        if tier not in self.tiers.sla:
            raise KeyError(f"tier {tier!r} has no SLA in the configuration")
        return self.tier_sla(tier)

    def calendar_for(self, region: str) -> Calendar | None:
        """The business-hours calendar of a region; ``None`` means wall-clock time."""
        name = self.regions.calendars.get(region)
        return None if name is None else self.calendars[name]

    # cached_property writes the instance __dict__ directly, which a frozen dataclass allows.
    @cached_property
    def _country_lookup_map(self) -> dict[str, str]:
        return {segment_key(k): v for k, v in self.regions.by_country.items()}

    @cached_property
    def _tier_lookup_map(self) -> dict[str, str]:
        return {segment_key(k): v for k, v in self.tiers.by_value.items()}

    def _country_lookup(self) -> dict[str, str]:
        return self._country_lookup_map

    def _tier_lookup(self) -> dict[str, str]:
        return self._tier_lookup_map


def _stripped(series: pd.Series) -> pd.Series:
    """Object Series of stripped strings; missing, blank and non-string values become ``None``."""
    as_object = series.astype(object)
    # ``.str`` on object data gives NaN for non-strings, matching ``_text`` in the scalar path.
    stripped = as_object.str.strip()
    stripped = stripped.where(stripped.notna() & (stripped != ""), None)
    return stripped.astype(object)
