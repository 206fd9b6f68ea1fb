"""``export_metrics`` and ``/api/v1/metrics``: one document, two doors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from routing_health.models import ApiToken
from routing_health.models.tokens import create_token, hash_token
from routing_health.reports.export import EXPORT_NAMES  # METRIC_NAMES, fairness, duplicates

PARAMS = {
    "start": "2026-11-10",
    "end": "2026-11-19",
    "by": "region,tier",
    "as_of": "2026-11-20T12:00:00Z",
}


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_metrics", *args, stdout=out)
    return out.getvalue()


def command_args(params: dict[str, str]) -> list[str]:
    mapping = {"start": "--start", "end": "--end", "by": "--by", "as_of": "--as-of"}
    return [part for key, value in params.items() for part in (mapping[key], value)]


@pytest.fixture
def token(db) -> str:
    return create_token("bi-tool")[1]


def test_the_command_and_the_api_print_the_same_bytes(synced_org, client, token):
    printed = export(*command_args(PARAMS))
    response = client.get("/api/v1/metrics", PARAMS, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content.decode() == printed


def test_the_document_has_the_shape_of_the_spec(synced_org):
    document = json.loads(export(*command_args(PARAMS)))
    assert list(document) == ["as_of", "start", "end", "timezone", "by", "rows", "total"]
    assert document["as_of"] == "2026-11-20T12:00:00Z"
    assert document["timezone"] == "America/New_York"
    first = document["rows"][0]
    assert list(first) == ["region", "tier", *EXPORT_NAMES]
    assert list(document["total"]) == list(EXPORT_NAMES)
    assert sum(row["leads"] for row in document["rows"]) == document["total"]["leads"] > 0


def test_rows_are_sorted_by_their_keys_with_null_keys_last(synced_org):
    document = json.loads(export(*command_args({**PARAMS, "by": "failure_reason"})))
    keys = [row["failure_reason"] for row in document["rows"]]
    assert keys[-1] is None
    assert keys[:-1] == sorted(keys[:-1])


def test_the_demo_incident_shows_as_failures_of_one_region(synced_org):
    params = {**PARAMS, "start": "2026-11-18", "end": "2026-11-20", "by": "region,tier"}
    document = json.loads(export(*command_args(params)))
    incident = synced_org.facts["incident"]
    broken = [
        r
        for r in document["rows"]
        if r["region"] == incident["region"] and r["tier"] == incident["tier"]
    ]
    assert broken and broken[0]["failed"] > 0
    assert broken[0]["assignment_success_rate"] < 0.995


def test_csv_has_the_same_columns_and_numbers(synced_org, client, token):
    document = json.loads(export(*command_args(PARAMS)))
    response = client.get("/api/v1/metrics.csv", PARAMS, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == ["region", "tier", *EXPORT_NAMES]
    assert [int(r["leads"]) for r in rows] == [r["leads"] for r in document["rows"]]
    assert export(*command_args(PARAMS), "--format", "csv") == response.content.decode()


def test_without_grouping_only_the_total_is_given(synced_org):
    params = {k: v for k, v in PARAMS.items() if k != "by"}
    document = json.loads(export(*command_args(params)))
    assert document["by"] == [] and document["rows"] == []
    assert document["total"]["leads"] > 0


def test_dates_default_to_the_last_seven_complete_days(synced_org):
    document = json.loads(export("--as-of", "2026-11-20T12:00:00Z"))
    assert (document["start"], document["end"]) == ("2026-11-13", "2026-11-19")


def test_an_anonymous_api_request_gets_401_json(db, client):
    response = client.get("/api/v1/metrics")
    assert response.status_code == 401
    assert "authentication required" in response.json()["error"]


def test_a_session_user_may_read_the_api(synced_org, client):
    client.force_login(User.objects.create_user("revops"))
    assert client.get("/api/v1/metrics", PARAMS).status_code == 200


def test_a_revoked_token_is_refused(synced_org, client, token):
    ApiToken.objects.update(revoked=True)
    response = client.get("/api/v1/metrics", PARAMS, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-13-01"}, "start must be a date"),
        ({"by": "region,colour"}, "cannot group by 'colour'"),
        ({"as_of": "yesterday"}, "as_of must be an ISO 8601 instant"),
        ({"limit": "10"}, "unknown parameter(s): limit"),
        ({"start": "2026-11-19", "end": "2026-11-01"}, "is after end"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(synced_org, client, token, params, message):
    response = client.get("/api/v1/metrics", params, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_the_command_names_a_bad_grouping(synced_org):
    with pytest.raises(CommandError, match="cannot group by 'colour'"):
        export("--by", "colour")


def test_create_api_token_prints_the_token_once_and_stores_its_hash(db):
    out = io.StringIO()
    call_command("create_api_token", "looker", stdout=out)
    token = out.getvalue().strip()
    row = ApiToken.objects.get(name="looker")
    assert row.token_hash == hash_token(token)
    assert token not in (row.prefix + row.token_hash)
