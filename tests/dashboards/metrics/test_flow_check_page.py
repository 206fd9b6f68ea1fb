"""The flow regression check on the Trends page (issue 16 item 1): too few leads since the
activation says "not enough leads yet"; a clearly worse segment says what is worse."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing_health.config import parse_config
from routing_health.rollups.service import compute_metrics
from tests.alerts.conftest import BASE_TOML, T0, DbOrg
from tests.alerts.test_flow_regression import (
    ACTIVATED,
    CHANGE_SAFETY,
    V12,
    V13,
    activate,
    baseline,
    failed,
)

pytestmark = pytest.mark.django_db
TOML = BASE_TOML + CHANGE_SAFETY
RANGE = {"start": "2026-11-13", "end": "2026-11-20"}


@pytest.fixture
def org(settings, tmp_path) -> DbOrg:
    path = tmp_path / "routing_health.toml"
    path.write_text(TOML)
    settings.ROUTING_HEALTH_CONFIG = str(path)
    org = DbOrg()
    activate(ACTIVATED, V12, V13)
    baseline(org)
    return org


def test_too_few_leads_since_the_activation_says_not_enough_leads_yet(org, signed_in):
    failed(org, 5, ACTIVATED + timedelta(minutes=20))
    compute_metrics(config=parse_config(TOML), as_of=T0)
    response = signed_in.get("/trends", RANGE)
    (check,) = response.context["flow_checks"]
    (row,) = check.rows
    assert (row.segment, row.verdict) == ("EMEA · hot", "waiting")
    text = response.content.decode()
    assert "Flow regression check" in text
    assert ("Not compared yet: not enough leads yet (5 since the activation, 20 in the baseline "
            "a week earlier; the check needs 10 each)") in text
    assert "Lead_Router</strong> v13 activated" in text
    assert "by Ada Admin · previous version: v12" in text


def test_a_clearly_worse_segment_says_what_is_worse(org, signed_in):
    failed(org, 12, ACTIVATED + timedelta(minutes=20))
    compute_metrics(config=parse_config(TOML), as_of=T0)
    response = signed_in.get("/trends", RANGE)
    (row,) = response.context["flow_checks"][0].rows
    assert row.verdict == "worse"
    assert row.text == ("Clearly worse: assignment success 100% → 0% (12 leads), 12 failures "
                        "at Decision: Assign by Territory")
    assert (row.after, row.before) == ("12 leads · 0% assigned", "20 leads · 100% assigned")


def test_without_watched_flows_the_section_is_not_shown(signed_in, settings, tmp_path):
    path = tmp_path / "routing_health.toml"
    path.write_text(BASE_TOML)
    settings.ROUTING_HEALTH_CONFIG = str(path)
    org = DbOrg()
    activate(ACTIVATED, V12, V13)
    baseline(org)
    compute_metrics(config=parse_config(BASE_TOML), as_of=T0)
    response = signed_in.get("/trends", RANGE)
    assert response.context["flow_checks"] == []
    assert "Flow regression check" not in response.content.decode()


def test_the_lead_timeline_shows_the_flow_version_active_when_the_lead_was_routed(org, signed_in):
    failed(org, 1, ACTIVATED + timedelta(minutes=20))
    compute_metrics(config=parse_config(TOML), as_of=T0)
    after, before = org.leads[-1], org.leads[0]  # routed since the activation; a week earlier
    text = signed_in.get(f"/leads/{after}").content.decode()
    assert "<dt>Lead_Router</dt><dd>v13" in text
    assert "active when the lead was routed" in text
    text = signed_in.get(f"/leads/{before}").content.decode()
    assert "<dt>Lead_Router</dt><dd>no activation recorded before routing" in text
