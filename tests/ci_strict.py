"""A pytest plugin: under CI (``CI`` set to true/1/yes) a skipped test is a failure.

A test that skips because PostgreSQL, Redis, chromium or ``RUN_SLOW`` is missing proves
nothing, and CI must provide them (``.ci/run``). Locally those tests still skip with their
reason. Loaded by ``tests/conftest.py``; imports nothing of the project.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

SKIPPED_UNDER_CI = "skipped under CI={ci}, where nothing may skip: {reason}"


def ci_value() -> str:
    """The ``CI`` variable when it says true (``1``, ``true``, ``yes``), else ``""``."""
    value = os.environ.get("CI", "")
    return value if value.strip().lower() in {"1", "true", "yes"} else ""


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _fail_skip_under_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    ci = ci_value()
    if ci and report.skipped and not hasattr(report, "wasxfail"):
        report.longrepr = SKIPPED_UNDER_CI.format(ci=ci, reason=_skip_reason(report))
        report.outcome = "failed"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    _fail_skip_under_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, None]:
    outcome = yield
    _fail_skip_under_ci(outcome.get_result())
