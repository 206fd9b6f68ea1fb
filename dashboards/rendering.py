"""Rendering a dashboard page: the report timezone, the filters and the shell's context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dashboards.filters import Filters, ReportSettings, parse_filters, report_settings
from dashboards.navigation import PAGES_BY_NAME, Page


@dataclass(frozen=True)
class PageState:
    report: ReportSettings
    filters: Filters


def page_state(request: HttpRequest) -> PageState:
    report = report_settings()
    return PageState(report, parse_filters(request.GET, report=report))


def render_page(
    request: HttpRequest,
    template: str,
    state: PageState,
    *,
    page: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``template`` with the shell context (``filters``, ``report``, ``page``), every
    datetime shown in the report timezone."""
    current: Page = PAGES_BY_NAME[page]
    full = {"filters": state.filters, "report": state.report, "page": current}
    full.update(context or {})
    with timezone.override(state.report.zone):
        return render(request, template, full, status=status)
