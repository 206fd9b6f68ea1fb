"""A pack run for people (the table) and for CI (JUnit XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from routing_health.lib.format import format_count, format_minutes
from routing_health.routing_tests.judge import CaseResult
from routing_health.routing_tests.service import PackRun

HEADERS = ("case", "expected", "actual", "time to route", "result", "failed node")


def case_verdict(case: CaseResult) -> str:
    """``PASS``, ``TIMEOUT`` (some lead was never routed) or ``FAIL``."""
    if case.passed:
        return "PASS"
    return "TIMEOUT" if case.timed_out else "FAIL"


def time_to_route(case: CaseResult) -> str:
    """The lead's time to route, or a case's ``p95 …`` (with its SLA when checked)."""
    shown = format_minutes(None if case.seconds_to_route is None else case.seconds_to_route / 60)
    if case.leads > 1:
        shown = f"p95 {shown}"
    if case.sla_seconds is not None:
        shown += f" (SLA {format_minutes(case.sla_seconds / 60)})"
    return shown


def _expected(case: CaseResult) -> str:
    return case.expected if case.leads <= 1 else f"{case.expected} ×{format_count(case.leads)}"


def table(run: PackRun) -> str:
    """The run's cases as an aligned text table, then one summary line."""
    rows = [HEADERS] + [
        (c.name, _expected(c), c.actual, time_to_route(c), case_verdict(c),
         c.failed_node if not c.passed else "")
        for c in run.cases
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = sum(not c.passed for c in run.cases)
    summary = (f"{run.pack.name}: {format_count(len(run.cases) - failed)} of "
               f"{format_count(len(run.cases))} case(s) passed, run {run.run_id}")
    if run.error:
        summary += f"; stopped: {run.error}"
    return "\n".join([*lines, "", summary])


def junit_xml(run: PackRun) -> str:
    """JUnit XML: one ``testsuite`` (the pack), one ``testcase`` per case; a mismatch or a
    timeout is a ``failure``, a run that stopped half-way an ``error``."""
    elapsed = ((run.finished_at or run.started_at) - run.started_at).total_seconds()
    failures = sum(not c.passed for c in run.cases)
    suite = ET.Element("testsuite", {
        "name": run.pack.name, "tests": str(max(len(run.cases), 1)),
        "failures": str(failures), "errors": "1" if run.error else "0",
        "timestamp": run.started_at.strftime("%Y-%m-%dT%H:%M:%S"), "time": f"{elapsed:.3f}",
    })
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", run.run_id), ("instance_url", run.instance_url),
                        ("created", str(run.create).lower())):
        ET.SubElement(props, "property", {"name": name, "value": value})
    for case in run.cases:
        element = ET.SubElement(suite, "testcase", {
            "classname": f"routing_test.{run.pack.name}", "name": case.name,
            "time": f"{(case.seconds_to_route or 0.0):.3f}",
        })
        if not case.passed:
            message = f"expected {_expected(case)}, got {case.actual}"
            failure = ET.SubElement(element, "failure", {
                "message": message, "type": case_verdict(case).lower()})
            failure.text = (f"{message}\ntime to route: {time_to_route(case)}\n"
                            f"failed node: {case.failed_node or '—'}\n"
                            f"leads as expected: {case.passed_leads} of {case.leads}")
    if run.error:
        element = ET.SubElement(suite, "testcase", {
            "classname": f"routing_test.{run.pack.name}", "name": "run"})
        ET.SubElement(element, "error", {"message": run.error})
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"
