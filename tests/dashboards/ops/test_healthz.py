from __future__ import annotations

import pytest
from django.utils import timezone

from routing_health.models import SyncRun

pytestmark = pytest.mark.django_db


def test_healthz_is_public_and_reports_freshness(client):
    finished = timezone.now()
    SyncRun.objects.create(
        object_name="Lead", status="succeeded", started_at=finished, finished_at=finished
    )
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["last_success"] == finished.isoformat()


def test_the_overview_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
