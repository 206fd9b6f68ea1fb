"""``manage.py routing_test run`` against the HTTPS emulator serving the demo org as a sandbox
with the demo router (issue 16 item 3 acceptance).

The demo router (routing_health/sandbox/router.py) faults EMEA + Hot leads at the demo
incident's node, sends a blank region to Lead Triage, each region to the first rep of its
pool and anything else to Lead Triage. The example pack expects the runbook's owners, so by
those rules exactly one case fails: ``emea_territory``.

The org's clock is moved instead of sleeping: the command's wait between polls is replaced
by advancing the org clock by the same seconds.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from routing_health.models import RoutingTestCase, RoutingTestLead, RoutingTestRun
from routing_health.sandbox.org import Org
from tests.conftest import serve_salesforce
from tests.routing_tests.conftest import (
    EXAMPLE_PACK,
    MARKER,
    NOT_A_SANDBOX_START,
    Clock,
    demo_org,
    point_at,
    run_command,
)


def _marked(org: Org) -> list[dict]:
    """Live (not deleted) leads carrying a routing test marker."""
    return [r for r in org.records("Lead") if r.get(MARKER) and not r.get("IsDeleted")]


def _junit_failures(path: Path) -> tuple[ET.Element, set[str]]:
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    failed = {case.get("name") for case in suite.iter("testcase")
              if case.find("failure") is not None}
    return suite, failed


def test_the_example_pack_fails_exactly_the_emea_territory_case_and_leaves_no_lead(
        sandbox: Org, tmp_path: Path) -> None:
    junit = tmp_path / "pack.xml"
    leads_before = len(sandbox.records("Lead"))

    out, error = run_command(str(EXAMPLE_PACK), "--connection", "sandbox", "--create",
                      "--junit", str(junit))

    assert error is not None and str(error) == "1 case(s) failed: emea_territory"
    suite, failed = _junit_failures(junit)
    assert failed == {"emea_territory"}
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("7", "1", "0")
    assert "case  " in out and "expected" in out and "failed node" in out
    emea = next(line for line in out.splitlines() if line.startswith("emea_territory"))
    assert "owner Ruby Sharma" in emea and "FAIL" in emea
    assert "failed: Decision: Assign by Territory" in emea
    hot = next(line for line in out.splitlines() if line.startswith("hot_full_data"))
    assert "PASS" in hot and "5 s" in hot  # routed at CreatedDate + the router's 5 s
    volume = next(line for line in out.splitlines() if line.startswith("volume_500"))
    assert "p95 5 s (SLA 5 min)" in volume and "PASS" in volume  # hot tier: 5 minutes
    # 506 leads inserted and all deleted: nothing carrying a marker is left.
    assert _marked(sandbox) == []
    assert len(sandbox.records("Lead")) == leads_before + 506
    run = RoutingTestRun.objects.get()
    assert (run.status, run.leads_inserted, run.leads_deleted, run.is_sandbox) == (
        "failed", 506, 506, True)
    assert RoutingTestCase.objects.filter(run=run, passed=False).get().name == "emea_territory"
    assert RoutingTestLead.objects.filter(case__run=run).count() == 506


def test_a_production_org_is_refused_before_anything_is_written(
        db: None, clock: Clock, monkeypatch: pytest.MonkeyPatch, settings: Any,
        tmp_path: Path) -> None:
    org, synthetic = demo_org(sandbox=False, clock=clock)
    leads_before = len(org.records("Lead"))
    with serve_salesforce(org, monkeypatch) as emulator:
        point_at(emulator, synthetic, settings, tmp_path)
        _, error = run_command(str(EXAMPLE_PACK), "--connection", "sandbox", "--create")

    assert error is not None and str(error).startswith(NOT_A_SANDBOX_START)
    assert len(org.records("Lead")) == leads_before
    assert org.router.pending == [] and org.router.routed == []
    assert RoutingTestRun.objects.get().status == "refused"


SMALL_PACK = """
[pack]
name = "small"
[defaults]
LastName = "Test {n}"
Company = "Routing Test Co"
[[case]]
name = "amer_hot"
fields = { Region__c = "AMER", Rating = "Hot" }
owner = "Kenji Lee"
count = 2
[[case]]
name = "emea_hot"
fields = { Region__c = "EMEA", Rating = "Hot" }
outcome = "failed"
failure_reason = "Decision: Assign by Territory"
"""


def test_keep_leaves_the_leads_and_a_run_without_create_judges_them_by_run_id(
        sandbox: Org, tmp_path: Path) -> None:
    pack = tmp_path / "small.toml"
    pack.write_text(SMALL_PACK)

    out, error = run_command(str(pack), "--connection", "sandbox", "--create", "--keep",
                      "--run-id", "rt-kept-1")
    assert error is None, out
    assert sorted(r[MARKER] for r in _marked(sandbox)) == [
        "rt-kept-1:amer_hot", "rt-kept-1:amer_hot", "rt-kept-1:emea_hot"]

    out, error = run_command(str(pack), "--connection", "sandbox", "--run-id", "rt-kept-1")
    assert error is None, out
    assert "2 of 2 case(s) passed" in out
    assert len(_marked(sandbox)) == 3  # judging alone never writes
    assert list(RoutingTestRun.objects.values_list("created_leads", "status")) == [
        (False, "passed"), (True, "passed")]


def test_leads_never_routed_time_out_exit_1_and_are_still_deleted(
        sandbox: Org, tmp_path: Path) -> None:
    assert sandbox.router is not None
    # The router would route them an hour after creation; the run gives up at once.
    sandbox.configure_router(replace(sandbox.router.config, delay_seconds=3600))
    pack = tmp_path / "small.toml"
    pack.write_text(SMALL_PACK)
    junit = tmp_path / "pack.xml"

    out, error = run_command(str(pack), "--connection", "sandbox", "--create", "--timeout", "0",
                      "--junit", str(junit))

    assert error is not None and str(error) == "2 case(s) failed: amer_hot, emea_hot"
    assert out.count("TIMEOUT") == 2
    _, failed = _junit_failures(junit)
    assert failed == {"amer_hot", "emea_hot"}
    assert _marked(sandbox) == []


def test_an_owner_name_that_matches_nobody_stops_the_run_before_writing(
        sandbox: Org, tmp_path: Path) -> None:
    pack = tmp_path / "typo.toml"
    pack.write_text(SMALL_PACK.replace("Kenji Lee", "Kenji Leee"))
    leads_before = len(sandbox.records("Lead"))

    _, error = run_command(str(pack), "--connection", "sandbox", "--create")

    assert error is not None and "'Kenji Leee' (no User or Queue has this name)" in str(error)
    assert len(sandbox.records("Lead")) == leads_before


def test_a_run_id_with_a_like_wildcard_is_refused_before_reading_leads(
        sandbox: Org, tmp_path: Path) -> None:
    pack = tmp_path / "small.toml"
    pack.write_text(SMALL_PACK)

    _, error = run_command(str(pack), "--connection", "sandbox", "--run-id", "uat_%")

    assert error is not None
    assert str(error) == ("run id 'uat_%': use letters, digits, '-' and '.' only "
                          "(at most 40 characters)")
