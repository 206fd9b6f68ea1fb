from __future__ import annotations

from django.urls import include, path

from dashboards.leads import views as lead_views
from dashboards.metrics import segments, trends
from dashboards.metrics import views as metric_views
from dashboards.ops import (
    alert_views,
    data_quality,
    duplicates,
    report_views,
    routing_tests,
    slack_interactions,
)
from dashboards.ops import fairness as fairness_views
from dashboards.ops import health as views
from dashboards.ops import shadow as shadow_views
from dashboards.ops import views as ops_views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", include("dashboards.api_urls")),
    path("", metric_views.overview, name="overview"),
    path("trends", trends.trends, name="trends"),
    path("segments", segments.segments, name="segments"),
    path("queues", ops_views.queues, name="queues"),
    path("failures", ops_views.failures, name="failures"),
    path("reps", ops_views.reps, name="reps"),
    path("shadow", shadow_views.shadow, name="shadow"),
    path("fairness", fairness_views.fairness, name="fairness"),
    path("data-quality", data_quality.data_quality, name="data-quality"),
    path("duplicates", duplicates.duplicates, name="duplicates"),
    path("leads", lead_views.lead_list, name="leads"),
    path("leads/<str:lead_id>", lead_views.lead_timeline, name="lead-timeline"),
    path("alerts", alert_views.alerts, name="alerts"),
    path("alerts/<int:incident_id>/snooze", alert_views.alert_snooze, name="alert-snooze"),
    path(
        "alerts/<int:incident_id>/acknowledge",
        alert_views.alert_acknowledge,
        name="alert-acknowledge",
    ),
    path(
        "slack/interactions",
        slack_interactions.slack_interactions,
        name="slack-interactions",
    ),
    path("reports", report_views.reports, name="reports"),
    path("reports/fairness/<str:month>", report_views.fairness_report, name="fairness-report"),
    path("reports/<str:week>", report_views.report, name="report"),
    path("reports/<str:week>/download", report_views.report_download, name="report-download"),
    path("routing-tests", routing_tests.routing_tests, name="routing-tests"),
    path("routing-tests/<int:run_pk>", routing_tests.routing_test_run, name="routing-test-run"),
    path(
        "routing-tests/<int:run_pk>/cases/<int:position>",
        routing_tests.routing_test_case,
        name="routing-test-case",
    ),
    path("health", views.health, name="health"),
    path(
        "health/notifications.csv",
        alert_views.notification_problems_csv,
        name="notification-problems",
    ),
]
