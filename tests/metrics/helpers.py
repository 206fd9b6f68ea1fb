"""A tiny org for hand-computed unit tests of the metric engine."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import pandas as pd

from routing_health.metrics import FACT_COLUMNS, MetricParams, lead_facts
from tests.metrics.frames import (
    activities_frame,
    at,
    leads_frame,
    owner_changes_frame,
    sfid,
    status_changes_frame,
)

LEAD = sfid("00Q", 1)
INTEGRATION_USER = sfid("005", "INTEGRATION")
HOLDING_QUEUE = sfid("00G", "HOLDING")
TRIAGE = sfid("00G", "TRIAGE")
REP_A = sfid("005", "ANN")
REP_B = sfid("005", "BOB")
WORKING_QUEUE = sfid("00G", "EMEA")
NAMES = {
    INTEGRATION_USER: "Integration User",
    HOLDING_QUEUE: "Holding Queue",
    TRIAGE: "Triage",
    REP_A: "Ann",
    REP_B: "Bob",
    WORKING_QUEUE: "EMEA Queue",
}
PARAMS = MetricParams(
    holding=frozenset({INTEGRATION_USER, HOLDING_QUEUE}),
    fallback=frozenset({TRIAGE}),
    accepted_statuses=frozenset({"Working - Contacted"}),
    rejected_statuses=frozenset({"Closed - Not Converted"}),
    closed_statuses=frozenset({"Closed - Converted", "Closed - Not Converted"}),
    routing_grace_minutes=60,
    bounce_hours=168,
    accept_hours=24,
    queue_age_limit_hours=24,
    tier_sla={"hot": (5, 15), "standard": (240, 1440)},
    default_tier_sla=(240, 1440),
    report_timezone="UTC",
)
CREATED = "2026-01-05 10:00:00"


def params(**changes: Any) -> MetricParams:
    return replace(PARAMS, **changes)


def owner_change(
    when: str, old: str, new: str, number: int | str = 1, lead: str = LEAD
) -> dict[str, Any]:
    return {
        "id": sfid("017", number),
        "lead_id": lead,
        "created_at": at(when),
        "old_owner_id": old,
        "new_owner_id": new,
    }


def status_change(
    when: str, old: str, new: str, number: int | str = 1, lead: str = LEAD
) -> dict[str, Any]:
    return {
        "id": sfid("017", f"S{number}"),
        "lead_id": lead,
        "created_at": at(when),
        "old_status": old,
        "new_status": new,
    }


def activity(
    when: str, owner: str = REP_A, number: int = 1, lead: str = LEAD, deleted: bool = False
) -> dict[str, Any]:
    return {
        "id": sfid("00T", number),
        "lead_id": lead,
        "owner_id": owner,
        "created_at": at(when),
        "is_deleted": deleted,
    }


def facts(
    as_of: str,
    leads: Sequence[Mapping[str, Any]] = (),
    owner_changes: Sequence[Mapping[str, Any]] = (),
    status_changes: Sequence[Mapping[str, Any]] = (),
    activities: Sequence[Mapping[str, Any]] = (),
    metric_params: MetricParams = PARAMS,
) -> pd.DataFrame:
    return lead_facts(
        leads_frame(leads),
        owner_changes_frame(owner_changes),
        status_changes_frame(status_changes),
        activities_frame(activities),
        NAMES,
        metric_params,
        pd.Timestamp(at(as_of)),
    )


def one_lead(
    as_of: str,
    owner: str = HOLDING_QUEUE,
    created: str = CREATED,
    lead: Mapping[str, Any] | None = None,
    **events: Any,
) -> dict[str, Any]:
    """The facts of a single lead created at ``created`` (UTC), as a plain dict."""
    record = {"id": LEAD, "created_at": at(created), "owner_id": owner, **(lead or {})}
    frame = facts(as_of, [record], **events)
    assert len(frame) == 1
    return {key: plain(value) for key, value in frame.iloc[0].items()}


def plain(value: Any) -> Any:
    """An engine cell as a plain Python value (None for NaN/NaT/NA, datetime, int, ...)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def utc(text: str) -> datetime:
    return at(text)


def same(engine: Any, reference: Any) -> bool:
    """Equal, floats within 1e-9 (relative or absolute); None only equals None."""
    if isinstance(engine, float) or isinstance(reference, float):
        if engine is None or reference is None:
            return engine is reference
        return math.isclose(engine, reference, rel_tol=1e-9, abs_tol=1e-9)
    return engine == reference


def assert_facts_agree(facts: pd.DataFrame, expected: list[dict[str, Any]]) -> None:
    """Every reference fact equals the engine's, lead by lead (extra columns aside)."""
    got = {row["lead_id"]: row for row in facts.to_dict("records")}
    assert sorted(got) == sorted(f["lead_id"] for f in expected)
    for fact in expected:
        row = got[fact["lead_id"]]
        for column, value in fact.items():
            if column in FACT_COLUMNS:
                assert same(plain(row[column]), value), (column, row, fact)


def assert_rows_agree(engine: list[dict[str, Any]], reference: list[dict[str, Any]]) -> None:
    """Same rows in the same order, same keys in the same order, values that agree."""
    assert len(engine) == len(reference), (engine, reference)
    for got, expected in zip(engine, reference, strict=True):
        assert list(got) == list(expected)
        for key, value in expected.items():
            assert same(got[key], value), (key, got[key], value, got, expected)
