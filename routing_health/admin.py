from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from routing_health.models import ApiToken
from routing_health.models.tokens import issue


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked")
    fields = ("name", "revoked")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if not change:
            token = issue(obj)
            messages.warning(
                request, f"API token for {obj.name}: {token} — copy it now, it is not shown again."
            )
        super().save_model(request, obj, form, change)
