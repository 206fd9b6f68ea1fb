"""The shadow-comparison metrics in ``export_metrics`` and the API (issue 17)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from routing_health.metrics.aggregate import SHADOW_NAMES
from routing_health.models import Lead
from routing_health.models.tokens import create_token
from routing_health.reports.export import EXPORT_NAMES
from tests.conftest import NOW
from tests.export.test_export import command_args, export

PARAMS = {
    "start": "2026-11-01",
    "end": "2026-11-19",
    "by": "region,tier,week",
    "as_of": "2026-11-20T12:00:00Z",
}


@pytest.fixture
def token(db) -> str:
    return create_token("bi-tool")[1]


def test_with_shadow_configured_the_export_adds_the_shadow_columns(synced_shadow_org):
    document = json.loads(export(*command_args(PARAMS)))
    assert list(document["rows"][0]) == ["region", "tier", "week", *EXPORT_NAMES, *SHADOW_NAMES]
    assert list(document["total"]) == [*EXPORT_NAMES, *SHADOW_NAMES]
    total = document["total"]
    assert total["shadow_candidates"] <= total["leads"]
    assert total["shadow_agreed"] + total["shadow_disagreed"] == total["shadow_compared"]
    assert sum(r["shadow_candidates"] for r in document["rows"]) == total["shadow_candidates"]


def test_the_shadow_counts_are_those_of_the_stored_candidate_field(synced_shadow_org):
    # Every lead of the org (its 21 days sit inside the window): the count of leads whose
    # stored candidate is set, straight from the database.
    params = {**PARAMS, "start": "2026-10-01", "end": "2026-11-20", "by": "",
              "as_of": "2026-11-20T12:00:00Z"}
    document = json.loads(export(*command_args(params)))
    field = synced_shadow_org.facts["shadow"]["candidate_field"]
    leads = Lead.objects.filter(is_deleted=False, created_at__lte=NOW)
    stored = [(lead.raw_fields or {}).get(field) for lead in leads]
    assert all(value is None or len(value) == 18 for value in stored)
    assert document["total"]["leads"] == len(stored)
    assert document["total"]["shadow_candidates"] == sum(value is not None for value in stored)


def test_the_command_and_the_api_print_the_same_shadow_bytes(synced_shadow_org, client, token):
    printed = export(*command_args(PARAMS))
    response = client.get("/api/v1/metrics", PARAMS, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.content.decode() == printed
    as_csv = export(*command_args(PARAMS), "--format", "csv")
    api_csv = client.get("/api/v1/metrics.csv", PARAMS,
                         HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_csv.content.decode() == as_csv
    header = next(csv.reader(io.StringIO(as_csv)))
    assert header[-len(SHADOW_NAMES):] == list(SHADOW_NAMES)


def test_an_empty_denominator_is_null_not_zero(synced_shadow_org):
    # A day before the org's window has no leads: every shadow rate is null, counts 0.
    document = json.loads(export(*command_args(
        {**PARAMS, "start": "2020-01-01", "end": "2020-01-02", "by": ""})))
    total = document["total"]
    assert total["shadow_candidates"] == 0
    for name in SHADOW_NAMES:
        if name.endswith(("_rate", "_minutes")):
            assert total[name] is None, name


def test_without_shadow_configured_nothing_changes(synced_org):
    document = json.loads(export(*command_args(PARAMS)))
    assert list(document["total"]) == list(EXPORT_NAMES)
    assert not any(name.startswith("shadow_") for name in document["rows"][0])
