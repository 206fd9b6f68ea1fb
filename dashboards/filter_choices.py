"""The values the region, tier and source filters offer, and a URL's values matched to them.

The choices are the values present in the stored rollups (any day), each with its lead count
in the filtered date range ("EMEA (1,204)"), plus the configured tiers; one grouped query over
``DailyRollup``, cached until the next ``compute_metrics`` (``dashboards.rollup_cache``).

``resolve`` matches a URL's value case-insensitively (``?region=emea`` is EMEA, spelled as in the
data from then on) and marks a value the data does not have as unknown, with the closest known
value (``difflib``), so a typo shows a warning instead of an empty, healthy-looking page.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Q, Sum

from dashboards.filters import TEXT_PARAMS, Filters, UnknownValue
from dashboards.rollup_cache import cached
from routing_health.lib.format import format_count
from routing_health.models import DailyRollup, MetricsState


@dataclass(frozen=True)
class Choice:
    """One value a filter offers and its leads created in the filtered range."""

    value: str
    leads: int

    @property
    def label(self) -> str:
        return f"{self.value} ({format_count(self.leads)})"


@dataclass(frozen=True)
class FilterChoices:
    """Per text filter (``region``, ``tier``, ``source``), its choices sorted by value.
    ``known`` is false before the first ``compute_metrics``: then nothing can be called unknown."""

    region: tuple[Choice, ...] = ()
    tier: tuple[Choice, ...] = ()
    source: tuple[Choice, ...] = ()
    known: bool = False

    def of(self, name: str) -> tuple[Choice, ...]:
        return getattr(self, name)


def choice_counts(filters: Filters) -> dict[str, dict[str, int]]:
    """``{filter: {value: leads in the range}}`` over every rollup row (a value seen on any day
    is present, with 0 leads when none fall in the range); blank values left out. One query."""
    in_range = Q(day__gte=filters.start, day__lte=filters.end)
    rows = (
        DailyRollup.objects.order_by()
        .values_list("region", "tier", "source")
        .annotate(in_range=Sum("leads", filter=in_range))
    )
    counts: dict[str, dict[str, int]] = {name: defaultdict(int) for name in TEXT_PARAMS}
    for region, tier, source, leads in rows:
        for name, value in zip(TEXT_PARAMS, (region, tier, source), strict=True):
            if value:
                counts[name][value] += leads or 0
    return {name: dict(values) for name, values in counts.items()}


def build_choices(
    counts: Mapping[str, Mapping[str, int]], tiers: Iterable[str], *, known: bool
) -> FilterChoices:
    """``FilterChoices`` from ``choice_counts``' result and the configured ``tiers``."""
    merged = {name: dict(counts.get(name, {})) for name in TEXT_PARAMS}
    for tier in tiers:
        if tier:
            merged["tier"].setdefault(tier, 0)
    return FilterChoices(
        **{
            name: tuple(Choice(v, n) for v, n in sorted(values.items(), key=lambda i: i[0]))
            for name, values in merged.items()
        },
        known=known,
    )


def load_choices(
    filters: Filters, tiers: Iterable[str], state: MetricsState | None
) -> FilterChoices:
    """The filter choices for ``filters``' date range (its text filters play no part), cached
    until the next ``compute_metrics``; empty and not ``known`` before the first one (no
    counts to show, and no value can be called unknown)."""
    if state is None:
        return FilterChoices()  # nothing computed yet: the filter bar offers text fields
    dates_only = Filters(start=filters.start, end=filters.end, timezone=filters.timezone)
    counts = cached(state, dates_only, ("filter-choices",), lambda: choice_counts(dates_only))
    return build_choices(counts, tiers, known=True)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def closest(value: str, choices: Iterable[Choice]) -> str:
    """The choice most like ``value`` (``difflib`` ratio, case-insensitive); a tie goes to the
    longer common prefix, then to more leads ("Europe": EMEA and AMER score alike, EMEA shares
    the "E"). ``""`` when nothing has a character in common."""
    wanted = value.casefold()
    best, best_key = "", (0.0, 0, 0)
    for choice in choices:
        other = choice.value.casefold()
        ratio = difflib.SequenceMatcher(None, wanted, other).ratio()
        key = (ratio, _common_prefix(wanted, other), choice.leads)
        if ratio > 0 and key > best_key:
            best, best_key = choice.value, key
    return best


def canonical(value: str, choices: Iterable[Choice]) -> str | None:
    """The data's spelling of ``value`` (exact first, else case-insensitive, the value with more
    leads winning); ``None`` when the data has no such value."""
    options = list(choices)
    if any(c.value == value for c in options):
        return value
    folded = [c for c in options if c.value.casefold() == value.casefold()]
    return max(folded, key=lambda c: c.leads).value if folded else None


def resolve(filters: Filters, choices: FilterChoices) -> Filters:
    """``filters`` with each text filter spelled as in the data, and the values the data does
    not have in ``Filters.unknown`` (kept as given, so the URL still says what was asked)."""
    if not choices.known:
        return filters
    spelled: dict[str, str] = {}
    missing: list[tuple[str, str, str]] = []
    for name, value in filters.segment().items():
        found = canonical(value, choices.of(name))
        if found is None:
            missing.append((name, value, closest(value, choices.of(name))))
        else:
            spelled[name] = found
    resolved = dataclasses.replace(filters, **spelled)
    unknown = tuple(
        UnknownValue(
            name,
            value,
            near,
            resolved.querystring(**{name: near}) if near else "",
            resolved.querystring(**{name: None}),
        )
        for name, value, near in missing
    )
    return dataclasses.replace(resolved, unknown=unknown)

