from __future__ import annotations

from django.apps import AppConfig


class RoutingHealthConfig(AppConfig):
    name = "routing_health"
    verbose_name = "Routing Health"
    default_auto_field = "django.db.models.BigAutoField"
