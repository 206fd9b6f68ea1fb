from __future__ import annotations

from django.apps import AppConfig


class RoutingHealthConfig(AppConfig):
    name = "routing_health"
    verbose_name = "Routing Health"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks (routing_health.E001, ...); no schedules or queries here.
        from routing_health import system_checks  # noqa: F401

        # Connects the kill switch's change signal (the engine's memo of its ON intervals).
        from routing_health.facts import kill_switch  # noqa: F401
