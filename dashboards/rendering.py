"""Rendering a dashboard page: the report timezone, the filters and the shell's context."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from dashboards.filter_choices import FilterChoices, load_choices, resolve
from dashboards.filters import Filters, ReportSettings, parse_filters, report_settings
from dashboards.navigation import PAGES_BY_NAME, Page
from routing_health.models import MetricsState
from routing_health.rollups.selectors import metrics_state


@dataclass
class PageState:
    """The report settings and the filters of a request. The filter choices (and the
    ``MetricsState`` they are cached under) are read once, when first needed."""

    report: ReportSettings
    filters: Filters

    @cached_property
    def metrics_state(self) -> MetricsState | None:
        return metrics_state()

    @cached_property
    def choices(self) -> FilterChoices:
        return load_choices(self.filters, self.report.tier_names(), self.metrics_state)


def page_state(request: HttpRequest) -> PageState:
    """The request's filters; a region, tier or source filter is matched to the data's values
    (case-insensitively, unknown ones marked: ``dashboards.filter_choices.resolve``)."""
    report = report_settings()
    state = PageState(report, parse_filters(request.GET, report=report))
    if state.filters.segment():
        state.filters = resolve(state.filters, state.choices)
    return state


def render_page(
    request: HttpRequest,
    template: str,
    state: PageState,
    *,
    page: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``template`` with the shell context (``filters``, ``report``, ``page`` and the
    lazily read ``filter_choices``), every datetime shown in the report timezone."""
    current: Page = PAGES_BY_NAME[page]
    full = {
        "filters": state.filters,
        "report": state.report,
        "page": current,
        "filter_choices": SimpleLazyObject(lambda: state.choices),
    }
    full.update(context or {})
    with timezone.override(state.report.zone):
        return render(request, template, full, status=status)
