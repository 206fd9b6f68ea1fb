"""The flow regression check on the Trends page (issue 16 item 1): for each watched activation
of a ``[change_safety]`` flow, each segment since it against the same hours whole weeks earlier, as
the ``flow_regression`` alert sees it (``routing_health.alerts.flow_regression``), with
"not enough leads yet" where a side is too small to judge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dashboards.filters import Filters
from routing_health.alerts.flow_loading import checks_by_activation
from routing_health.alerts.flow_regression import (
    MAX_WATCH,
    NOT_ENOUGH_LEADS,
    Activation,
    Side,
    weeks_text,
)
from routing_health.config import RoutingConfig
from routing_health.lib.format import format_count, format_rate

NO_CHANGE = "no clear change"


@dataclass(frozen=True)
class CheckRow:
    segment: str
    after: str
    before: str
    verdict: str  # "worse", "ok" or "waiting"
    text: str


@dataclass(frozen=True)
class FlowCheck:
    activation: Activation
    until: datetime  # the check stops four weeks after the activation
    rows: tuple[CheckRow, ...]
    weeks: int = 1  # the baseline's distance in weeks at the evaluated instant

    @property
    def worse(self) -> bool:
        return any(row.verdict == "worse" for row in self.rows)


def _side(side: Side) -> str:
    return (f"{format_count(side.leads)} leads · {format_rate(side.success)} assigned"
            if side.leads else "no leads")


def flow_checks(config: RoutingConfig, filters: Filters, as_of: datetime) -> list[FlowCheck]:
    """The checks of the activations watched at ``as_of`` in the filters' region and tier."""
    found = []
    need = config.change_safety.min_leads
    for activation, checks in checks_by_activation(config, as_of):
        rows = []
        for check in checks:
            if (filters.region and check.region != filters.region) or (
                    filters.tier and check.tier != filters.tier):
                continue
            if not check.ready:
                verdict, text = "waiting", f"Not compared yet: {check.note}"
            elif check.worse:
                verdict, text = "worse", "Clearly worse: " + ", ".join(check.worse)
            else:
                verdict, text = "ok", NO_CHANGE.capitalize()
            segment = " · ".join(p or "(none)" for p in (check.region, check.tier))
            rows.append(CheckRow(segment, _side(check.after), _side(check.before), verdict,
                                 text))
        if not rows:
            note = NOT_ENOUGH_LEADS.format(after=0, before=0, need=need,
                                           weeks=weeks_text(activation.baseline_weeks(as_of)))
            rows.append(CheckRow("All segments", "no leads", "no leads", "waiting",
                                 f"Not compared yet: {note}"))
        found.append(FlowCheck(activation, activation.at + MAX_WATCH, tuple(rows),
                               activation.baseline_weeks(as_of)))
    return found
