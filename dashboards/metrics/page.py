"""What every metric page shares: the page state (filters, rollups, clock) and CSV responses.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from dashboards.csv_export import csv_cell
from dashboards.filters import Filters
from dashboards.leads.queries import has_leads
from dashboards.metrics.data import clock_metrics, merge
from dashboards.metrics.specs import Clock, parse_clock
from dashboards.navigation import PAGES_BY_NAME
from dashboards.rendering import PageState, page_state, render_page
from dashboards.rollup_cache import cached
from routing_health.config import RoutingConfig
from routing_health.models import MetricsState

BLANK = "(none)"


@dataclass
class MetricPage:
    """What every metric page starts from: filters, configuration, the metrics' as-of time."""

    request: HttpRequest
    name: str
    state: PageState
    config: RoutingConfig
    metrics_state: MetricsState | None
    params: dict[str, str] = field(default_factory=dict)  # page parameters links keep
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def as_of(self) -> datetime | None:
        return self.metrics_state.as_of if self.metrics_state else None

    def numbers(self, part: str, compute: Callable[[], Any], *key: object) -> Any:
        """``compute()`` — merged rollup numbers — cached until the next ``compute_metrics``
        (``rollup_cache``)."""
        return cached(self.metrics_state, self.filters, (self.name, part, *key), compute)

    @property
    def filters(self) -> Filters:
        return self.state.filters

    def qs(self, **overrides: object) -> str:
        """A query string keeping the filters and the page parameters, with ``overrides``."""
        return self.filters.querystring(**{**self.params, **overrides})

    def url(self, name: str, **overrides: object) -> str:
        """Another page, with the filters (and ``overrides``), without this page's params."""
        return reverse(name) + self.filters.querystring(**overrides)

    def render(self) -> HttpResponse:
        return render_page(
            self.request, f"dashboards/{self.name}.html", self.state, page=self.name,
            context=self.context,
        )

    def set_clock(self, clock: Clock) -> None:
        if clock.is_business:
            self.params["clock"] = "business"
        self.context["clock"] = clock
        self.context["clock_links"] = {
            "wall": self.qs(clock=None),
            "business": self.qs(clock="business"),
        }


def _begin(request: HttpRequest, name: str) -> MetricPage:
    state = page_state(request)
    page = MetricPage(
        request, name, state, state.report.config or RoutingConfig(),
        state.metrics_state,
    )
    page.context.update(
        {
            "has_metrics": page.as_of is not None,
            # Before the first compute_metrics: "no data yet" or "will show" (leads exist).
            "has_data": page.as_of is not None or has_leads(),
            "metrics_as_of": page.as_of,
        }
    )
    return page


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def _clock(page: MetricPage) -> Clock:
    """The clock asked for, when the rollups have it (the merge of nothing lists the names)."""
    clock = parse_clock(page.request.GET.get("clock"), merge((), page.as_of))
    page.set_clock(clock)
    return clock


def _shown(request: HttpRequest, clock: Clock) -> set[str] | None:
    """The metrics whose values a page must load: those of its clock; all for an export."""
    return None if _wants_csv(request) else clock_metrics(clock)


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A CSV download; text cells are protected against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if v is None else v if isinstance(v, int | float) else csv_cell(v) for v in row]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_name(page: MetricPage, table: str) -> str:
    f = page.filters
    return f"{page.name}_{table}_{f.start.isoformat()}_{f.end.isoformat()}.csv"


def _label(value: str | None) -> str:
    return BLANK if value is None else value


def _segment_link(
    page: MetricPage, name: str, region: str | None, tier: str | None, **extra: str
) -> str:
    overrides: dict[str, object] = {}
    if region is not None:
        overrides["region"] = region
    if tier is not None:
        overrides["tier"] = tier
    return page.url(name, **overrides, **extra)


def _page_label(name: str) -> str:
    return PAGES_BY_NAME[name].label
