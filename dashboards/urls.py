from __future__ import annotations

from django.urls import include, path

from dashboards import lead_views, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", include("dashboards.api_urls")),
    path("", views.overview, name="overview"),
    path("trends", views.trends, name="trends"),
    path("segments", views.segments, name="segments"),
    path("queues", views.queues, name="queues"),
    path("failures", views.failures, name="failures"),
    path("reps", views.reps, name="reps"),
    path("leads", lead_views.lead_list, name="leads"),
    path("leads/<str:lead_id>", lead_views.lead_timeline, name="lead-timeline"),
    path("alerts", views.alerts, name="alerts"),
    path("reports", views.reports, name="reports"),
    path("health", views.health, name="health"),
]
