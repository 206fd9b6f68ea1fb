"""The JSON/CSV API (``/api/v1/...``), owned by ``dashboards.api``."""

from __future__ import annotations

from django.urls import path

from dashboards import api

urlpatterns = [
    path("metrics", api.metrics_json, name="api-metrics"),
    path("metrics.csv", api.metrics_csv, name="api-metrics-csv"),
]
