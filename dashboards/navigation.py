"""The dashboard's pages, in navigation order, with what each one is for (spec section 8)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    url_name: str
    label: str
    summary: str
    will_show: tuple[str, ...] = ()
    in_nav: bool = True
    produced_by: str = "compute_metrics"  # the command whose output the page will show


PAGES: tuple[Page, ...] = (
    Page(
        "overview",
        "Overview",
        "Is routing healthy right now, per region and SLA tier?",
        (
            "Headline metrics against their targets, coloured by status",
            "Trend sparklines for each headline metric",
            "Every number linked to the leads behind it",
        ),
    ),
    Page(
        "trends",
        "Trends",
        "How routing metrics move day by day and week by week.",
        (
            "Daily and weekly charts of each metric",
            "Flow version activations drawn as annotations",
            "Before / after comparison around a change",
        ),
    ),
    Page(
        "segments",
        "Segments",
        "Where routing is weak: region × tier.",
        ("A region × tier heatmap for each metric", "Cells linked to their leads"),
    ),
    Page(
        "queues",
        "Queues",
        "Leads waiting in queues, oldest first.",
        (
            "Queued leads by age, oldest first, with links",
            "Leads past the queue-age limit highlighted",
        ),
    ),
    Page(
        "failures",
        "Failures",
        "Which routing decisions failed, and since when.",
        (
            "Failed leads by failure reason (the failed decision node)",
            "Failures over time",
        ),
    ),
    Page(
        "reps",
        "Reps",
        "What happens after assignment, rep by rep.",
        (
            "Assignments, acceptance, first touch, bounces and rejections per rep",
            "Each rep's share of the distribution",
        ),
    ),
    Page(
        "shadow",
        "Shadow",
        "A candidate owner (AI or a new rule set) next to routing's: agreement and outcomes.",
        (
            "Coverage and agreement with the routed owner and the first rep",
            "Outcomes of agreed vs disagreed leads with 95 % intervals and a verdict",
            "The bias review: the candidate's share per region, segment and rep",
        ),
    ),
    Page(
        "fairness",
        "Fairness",
        "Who gets the leads of each pool, against their weight.",
        (
            "Each rep's share of the pool against their weight; max/min ratio and Gini",
            "Leads sent to inactive or out-of-office reps",
        ),
    ),
    Page(
        "data-quality",
        "Data quality",
        "Which lead sources send leads without the fields routing needs?",
        (
            "Share of new leads missing each routing-critical field, per lead source and day",
            "How much more often those leads fail routing", "The leads missing a field",
        ),
    ),
    Page(
        "duplicates",
        "Duplicates",
        "Is one company worked by several reps, or routed past its account owner?",
        (
            "Leads matching an Account owned by another rep",
            "Companies whose leads went to different reps within the window, with their leads",
        ),
    ),
    Page(
        "alerts",
        "Alerts",
        "Routing incidents: firing now, history and snoozes.",
        ("Firing alerts with their segment and value", "Alert history", "Snooze controls"),
        produced_by="evaluate_alerts",
    ),
    Page(
        "reports",
        "Reports",
        "The weekly routing review.",
        ("Weekly reviews: week over week, SLA attainment, rejection reasons",),
        produced_by="weekly_report",
    ),
    Page(
        "routing-tests",
        "Routing tests",
        "Does routing send each test lead where it should?",
        ("Routing test pack runs, their cases and the leads behind them",),
        produced_by="routing_test",
    ),
    Page(
        "health",
        "Health",
        "Is the pipeline itself working?",
        ("Sync runs, API usage and notification failures",),
    ),
    Page("leads", "Leads", "The leads behind the numbers.", in_nav=False),
    Page("lead-timeline", "Lead timeline", "Why did this lead go here?", in_nav=False),
)

PAGES_BY_NAME = {page.url_name: page for page in PAGES}
NAV_PAGES = tuple(page for page in PAGES if page.in_nav)
