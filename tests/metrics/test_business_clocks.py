"""Business-hours SLA clocks in the engine (spec section 10), against hand-computed numbers.

Times in the records are UTC; comments give the local time of the lead's calendar.
"""

from __future__ import annotations

from datetime import date

import pytest

from routing_health.config import parse_config
from routing_health.facts.params import params_from_config
from routing_health.lib.calendar import WHOLE_DAY, Calendar
from routing_health.metrics import total_metrics
from tests.metrics.frames import sfid
from tests.metrics.helpers import (
    HOLDING_QUEUE,
    REP_A,
    activity,
    facts,
    one_lead,
    owner_change,
    params,
)

WEEKDAYS_9_TO_18 = (((540, 1080),),) * 5 + ((), ())
SINGAPORE = Calendar("apac", "Asia/Singapore", WEEKDAYS_9_TO_18)
APAC = params(
    tier_sla={"hot": (15, 60)},
    calendars={"apac": SINGAPORE},
    region_calendars={"APAC": "apac"},
)
IN_APAC = {"region": "APAC", "tier": "hot"}


def assigned_at(when: str, number: int = 1) -> dict:
    return owner_change(when, HOLDING_QUEUE, REP_A, number)


def test_the_singapore_example_counts_five_business_minutes_and_meets_the_sla() -> None:
    # Mon 2026-01-05 23:00 SGT (15:00 UTC) -> assigned Tue 09:05 SGT (01:05 UTC).
    fact = one_lead(
        "2026-01-06 02:00:00",
        created="2026-01-05 15:00:00",
        lead=IN_APAC,
        owner_changes=[assigned_at("2026-01-06 01:05:00")],
        metric_params=APAC,
    )
    assert fact["business_calendar"] == "apac"
    assert fact["tta_minutes"] == 605.0
    assert fact["tta_business_minutes"] == 5.0
    assert (fact["assign_sla_applicable"], fact["assign_sla_met"]) == (True, False)
    assert (fact["assign_sla_applicable_business"], fact["assign_sla_met_business"]) == (
        True,
        True,
    )


def test_the_singapore_example_shows_in_the_wall_and_business_metrics() -> None:
    frame = facts(
        "2026-01-06 02:00:00",
        [{"id": sfid("00Q", 1), "created_at": "2026-01-05 15:00:00", **IN_APAC,
          "owner_id": HOLDING_QUEUE}],
        owner_changes=[assigned_at("2026-01-06 01:05:00")],
        metric_params=APAC,
    )
    total = total_metrics(frame, APAC)
    assert (total["tta_p50_minutes"], total["tta_p50_business_minutes"]) == (605.0, 5.0)
    assert (total["assign_sla_met_rate"], total["assign_sla_met_rate_business"]) == (0.0, 1.0)


def test_a_lead_of_a_region_without_a_calendar_keeps_wall_clock_minutes() -> None:
    fact = one_lead(
        "2026-01-06 02:00:00",
        created="2026-01-05 15:00:00",
        lead={"region": "EMEA"},
        owner_changes=[assigned_at("2026-01-06 01:05:00")],
        activities=[activity("2026-01-06 01:30:00")],
        metric_params=APAC,
    )
    assert fact["business_calendar"] is None
    assert fact["tta_business_minutes"] == fact["tta_minutes"] == 605.0
    assert fact["first_touch_business_minutes"] == fact["first_touch_minutes"] == 630.0
    assert fact["age_business_minutes"] == fact["age_minutes"] == 660.0
    assert fact["assign_sla_met_business"] is False


def test_a_region_mapped_to_a_missing_calendar_keeps_wall_clock_minutes() -> None:
    fact = one_lead(
        "2026-01-06 02:00:00",
        created="2026-01-05 15:00:00",
        lead=IN_APAC,
        owner_changes=[assigned_at("2026-01-06 01:05:00")],
        metric_params=params(region_calendars={"APAC": "gone"}),
    )
    assert fact["business_calendar"] is None
    assert fact["tta_business_minutes"] == 605.0


def test_an_unassigned_lead_is_past_the_business_sla_only_once_the_open_minutes_exceed_it() -> None:
    # Fri 2026-01-09 17:50 SGT (09:50 UTC): 10 open minutes that day, then the weekend.
    created = "2026-01-09 09:50:00"
    saturday = one_lead("2026-01-10 04:00:00", created=created, lead=IN_APAC, metric_params=APAC)
    assert saturday["assign_sla_applicable"] is True  # 1090 wall minutes > 15
    assert saturday["age_business_minutes"] == 10.0
    assert saturday["assign_sla_applicable_business"] is False
    # Mon 09:05 SGT: exactly 15 open minutes, not yet past; 09:05:01 is past.
    monday = one_lead("2026-01-12 01:05:00", created=created, lead=IN_APAC, metric_params=APAC)
    assert monday["age_business_minutes"] == 15.0
    assert monday["assign_sla_applicable_business"] is False
    later = one_lead("2026-01-12 01:05:01", created=created, lead=IN_APAC, metric_params=APAC)
    assert later["assign_sla_applicable_business"] is True
    assert later["assign_sla_met_business"] is False


def test_the_touch_clock_counts_open_minutes_to_the_first_touch() -> None:
    # Created Sat 10:00 SGT, touched Mon 09:30 SGT: 30 open minutes, under 60.
    fact = one_lead(
        "2026-01-12 02:00:00",
        created="2026-01-10 02:00:00",
        lead=IN_APAC,
        activities=[activity("2026-01-12 01:30:00")],
        metric_params=APAC,
    )
    assert fact["first_touch_minutes"] == 2850.0
    assert fact["first_touch_business_minutes"] == 30.0
    assert (fact["touch_sla_applicable_business"], fact["touch_sla_met_business"]) == (True, True)
    assert fact["touch_sla_met"] is False


def test_a_touch_logged_before_creation_has_negative_business_minutes() -> None:
    # Created Mon 10:00 SGT; an activity stamped Mon 09:30 SGT (bad data) is the first touch.
    fact = one_lead(
        "2026-01-05 03:00:00",
        created="2026-01-05 02:00:00",
        lead=IN_APAC,
        activities=[activity("2026-01-05 01:30:00")],
        metric_params=APAC,
    )
    assert fact["first_touch_minutes"] == -30.0
    assert fact["first_touch_business_minutes"] == -30.0


def test_a_holiday_stops_the_business_clock() -> None:
    closed = ((date(2026, 1, 6), WHOLE_DAY),)
    holiday = Calendar("apac", "Asia/Singapore", WEEKDAYS_9_TO_18, closed)
    # Mon 17:55 SGT -> Wed 09:10 SGT, Tuesday a holiday: 5 + 10 open minutes.
    fact = one_lead(
        "2026-01-07 02:00:00",
        created="2026-01-05 09:55:00",
        lead=IN_APAC,
        owner_changes=[assigned_at("2026-01-07 01:10:00")],
        metric_params=params(
            tier_sla={"hot": (15, 60)},
            calendars={"apac": holiday},
            region_calendars={"APAC": "apac"},
        ),
    )
    assert fact["tta_business_minutes"] == 15.0
    assert fact["assign_sla_met_business"] is True


WORKED_EXAMPLE = """
[regions.by_country]
DE = "EMEA"
[regions.calendars]
EMEA = "emea"
[tiers]
default = "warm"
[tiers.sla.warm]
assign_minutes = 60
touch_minutes = 240
clock = "business"
[calendars.emea]
timezone = "Europe/Berlin"
monday = ["09:00-17:30"]
tuesday = ["09:00-17:30"]
wednesday = ["09:00-17:30"]
thursday = ["09:00-17:30"]
friday = ["09:00-17:30"]
holidays = ["2026-12-25", "2026-12-26"]
"""


def worked_example_params():
    return params_from_config(parse_config(WORKED_EXAMPLE))


def test_the_worked_example_of_docs_business_hours_md_holds() -> None:
    # T = Mon 2026-12-28 09:45 CET. Lead A: created Thu 2026-12-24 17:00 CET, the Friday
    # (Christmas) and Saturday are holidays, a weekend; assigned Mon 09:20, touched Mon 09:40.
    # Lead B: created Sat 2026-12-26 11:00 CET, still waiting in a queue (not assigned).
    example = worked_example_params()
    lead_a, lead_b = sfid("00Q", "A"), sfid("00Q", "B")
    frame = facts(
        "2026-12-28 08:45:00",
        [
            {"id": lead_a, "created_at": "2026-12-24 16:00:00", "owner_id": HOLDING_QUEUE,
             "region": "EMEA", "tier": "warm"},
            {"id": lead_b, "created_at": "2026-12-26 10:00:00", "owner_id": HOLDING_QUEUE,
             "region": "EMEA", "tier": "warm"},
        ],
        owner_changes=[owner_change("2026-12-28 08:20:00", HOLDING_QUEUE, REP_A, 1, lead_a)],
        activities=[activity("2026-12-28 08:40:00", lead=lead_a)],
        metric_params=example,
    )
    a, b = (frame.set_index("lead_id").loc[lead].to_dict() for lead in (lead_a, lead_b))
    assert (a["tta_minutes"], a["tta_business_minutes"]) == (5300.0, 50.0)
    assert (a["first_touch_minutes"], a["first_touch_business_minutes"]) == (5320.0, 70.0)
    assert (a["age_minutes"], a["age_business_minutes"]) == (5325.0, 75.0)
    assert (a["assign_sla_met"], a["assign_sla_met_business"]) == (False, True)
    assert (a["touch_sla_met"], a["touch_sla_met_business"]) == (False, True)
    assert (b["age_minutes"], b["age_business_minutes"]) == (2805.0, 45.0)
    assert (b["assign_sla_applicable"], b["assign_sla_applicable_business"]) == (True, False)
    assert (b["touch_sla_applicable"], b["touch_sla_applicable_business"]) == (True, False)
    total = total_metrics(frame, example)
    assert (total["tta_p50_minutes"], total["tta_p50_business_minutes"]) == (5300.0, 50.0)
    assert (total["first_touch_p95_minutes"], total["first_touch_p95_business_minutes"]) == (
        5320.0,
        70.0,
    )
    assert (total["assign_sla_met_rate"], total["assign_sla_met_rate_business"]) == (0.0, 1.0)
    assert (total["touch_sla_met_rate"], total["touch_sla_met_rate_business"]) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("created", "answered", "local"),
    [
        ("2026-12-19 10:00:00", "2026-12-21 08:00:30", "Saturday 11:00 -> Monday 09:00:30"),
        ("2026-12-21 20:00:00", "2026-12-22 08:01:00", "Monday 21:00 -> Tuesday 09:01"),
        ("2026-12-20 22:00:00", "2026-12-21 08:30:00", "Sunday 23:00 -> Monday 09:30"),
        ("2026-12-24 18:00:00", "2026-12-28 08:59:00", "Christmas Eve 19:00 -> Monday 09:59"),
    ],
)
def test_a_business_clock_tier_meets_its_sla_for_leads_arriving_outside_hours_answered_at_opening(
    created: str, answered: str, local: str
) -> None:
    """Spec acceptance: the SLA of a tier with clock = business is met for leads arriving
    outside hours and answered at opening (assigned and touched within the first hour)."""
    example = worked_example_params()
    frame = facts(
        "2026-12-28 12:00:00",
        [{"id": sfid("00Q", 1), "created_at": created, "owner_id": HOLDING_QUEUE,
          "region": "EMEA", "tier": "warm"}],
        owner_changes=[assigned_at(answered)],
        activities=[activity(answered)],
        metric_params=example,
    )
    total = total_metrics(frame, example)
    assert total["assign_sla_met_rate_business"] == 1.0, local
    assert total["touch_sla_met_rate_business"] == 1.0, local
    assert total["assign_sla_met_rate"] == 0.0, local  # the wall clock misses every one
