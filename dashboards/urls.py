from __future__ import annotations

from django.urls import path

from dashboards import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", views.overview, name="overview"),
]
