"""Per-lead facts, one behaviour per test, against hand-computed expectations (spec section 4)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from routing_health.metrics import FACT_COLUMNS, lead_facts
from routing_health.metrics.facts import MISSING_COLUMNS, NAIVE_AS_OF
from tests.metrics.frames import (
    activities_frame,
    at,
    leads_frame,
    owner_changes_frame,
    sfid,
    status_changes_frame,
)
from tests.metrics.helpers import (
    CREATED,
    HOLDING_QUEUE,
    INTEGRATION_USER,
    LEAD,
    NAMES,
    PARAMS,
    REP_A,
    REP_B,
    TRIAGE,
    WORKING_QUEUE,
    activity,
    facts,
    one_lead,
    owner_change,
    params,
    status_change,
    utc,
)

# --- owner timeline and routing ------------------------------------------------------------


def test_initial_owner_is_the_old_value_of_the_earliest_owner_change_even_after_t() -> None:
    fact = one_lead(
        "2026-01-05 10:30:00",
        owner=REP_A,  # the current owner says nothing about the owner at creation
        owner_changes=[owner_change("2026-01-06 09:00:00", INTEGRATION_USER, REP_A)],
    )
    assert fact["initial_owner"] == INTEGRATION_USER
    assert fact["routed_at"] is None
    assert fact["outcome"] == "pending"


def test_initial_owner_is_the_current_owner_when_the_lead_has_no_owner_change() -> None:
    fact = one_lead("2026-01-05 10:30:00", owner=WORKING_QUEUE)
    assert fact["initial_owner"] == WORKING_QUEUE
    assert fact["routed_owner"] == WORKING_QUEUE


def test_a_lead_created_owned_by_a_rep_is_assigned_at_creation_with_zero_tta() -> None:
    fact = one_lead("2026-01-05 12:00:00", owner=REP_A)
    assert fact["routed_at"] == fact["rep_assigned_at"] == utc("2026-01-05 10:00:00")
    assert fact["first_rep"] == REP_A
    assert fact["tta_minutes"] == 0.0
    assert fact["outcome"] == "succeeded"
    assert fact["assign_sla_met"] is True


def test_holding_then_working_queue_then_rep_routes_at_the_queue_and_assigns_at_the_rep() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner=REP_A,
        owner_changes=[
            owner_change("2026-01-05 10:02:00", HOLDING_QUEUE, WORKING_QUEUE, 1),
            owner_change("2026-01-05 10:45:30", WORKING_QUEUE, REP_A, 2),
        ],
    )
    assert fact["routed_at"] == utc("2026-01-05 10:02:00")
    assert fact["routed_owner"] == WORKING_QUEUE
    assert fact["rep_assigned_at"] == utc("2026-01-05 10:45:30")
    assert fact["tta_minutes"] == 45.5
    assert fact["outcome"] == "succeeded"
    assert fact["failure_reason"] is None
    assert fact["bounced"] is False


def test_routing_to_a_fallback_owner_fails_even_when_a_rep_takes_the_lead_later() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner_changes=[
            owner_change("2026-01-05 10:01:00", HOLDING_QUEUE, TRIAGE, 1),
            owner_change("2026-01-05 11:00:00", TRIAGE, REP_B, 2),
        ],
    )
    assert fact["outcome"] == "failed"
    assert fact["failure_reason"] == "fallback: Triage"
    assert fact["routed_owner"] == TRIAGE
    assert fact["first_rep"] == REP_B
    assert fact["tta_minutes"] == 60.0


def test_an_unrouted_lead_inside_the_grace_window_is_pending() -> None:
    fact = one_lead("2026-01-05 10:59:59")
    assert fact["outcome"] == "pending"
    assert fact["failure_reason"] is None


def test_an_unrouted_lead_exactly_at_the_grace_limit_is_still_pending() -> None:
    assert one_lead("2026-01-05 11:00:00")["outcome"] == "pending"


def test_an_unrouted_lead_beyond_the_grace_window_fails_as_unrouted_by_its_holding_owner() -> None:
    fact = one_lead(
        "2026-01-05 11:00:01",
        owner_changes=[owner_change("2026-01-05 10:10:00", HOLDING_QUEUE, INTEGRATION_USER)],
    )
    assert fact["outcome"] == "failed"
    assert fact["failure_reason"] == "unrouted: Integration User"


def test_a_failed_node_fails_a_routed_lead_and_is_its_failure_reason() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00", owner=REP_A, lead={"failed_node": "Assign_Lead > Territory"}
    )
    assert fact["outcome"] == "failed"
    assert fact["failure_reason"] == "Assign_Lead > Territory"
    assert fact["failed_node"] == "Assign_Lead > Territory"
    assert fact["first_rep"] == REP_A


def test_an_owner_without_a_known_name_is_named_by_its_id() -> None:
    stranger = sfid("00G", "UNNAMED")
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner_changes=[owner_change("2026-01-05 10:01:00", HOLDING_QUEUE, stranger)],
        metric_params=params(fallback=frozenset({stranger})),
    )
    assert fact["failure_reason"] == f"fallback: {stranger}"


# --- bounces --------------------------------------------------------------------------------


def test_an_owner_change_within_bounce_hours_of_the_rep_assignment_is_a_bounce() -> None:
    fact = one_lead(
        "2026-01-20 00:00:00",
        owner=REP_A,
        owner_changes=[owner_change("2026-01-12 10:00:00", REP_A, REP_B)],  # exactly 168 h
    )
    assert fact["bounced"] is True
    assert fact["bounced_at"] == utc("2026-01-12 10:00:00")


def test_an_owner_change_after_bounce_hours_is_not_a_bounce() -> None:
    fact = one_lead(
        "2026-01-20 00:00:00",
        owner=REP_A,
        owner_changes=[owner_change("2026-01-12 10:00:01", REP_A, REP_B)],
    )
    assert fact["bounced"] is False
    assert fact["bounced_at"] is None


def test_a_move_from_a_rep_to_a_fallback_queue_is_a_bounce_not_a_routing_failure() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner_changes=[
            owner_change("2026-01-05 10:01:00", HOLDING_QUEUE, REP_A, 1),
            owner_change("2026-01-05 11:00:00", REP_A, TRIAGE, 2),
        ],
    )
    assert fact["outcome"] == "succeeded"
    assert fact["bounced"] is True
    assert fact["queue_owner"] == TRIAGE


# --- ties in history timestamps -------------------------------------------------------------


def test_same_second_owner_changes_are_ordered_by_history_id_in_ascii_order() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner_changes=[
            # 'a' sorts after 'B' in ASCII: the change to REP_B is the later one.
            owner_change("2026-01-05 10:05:00", REP_A, REP_B, "a"),
            owner_change("2026-01-05 10:05:00", HOLDING_QUEUE, REP_A, "B"),
        ],
    )
    assert fact["first_rep"] == REP_A
    assert fact["bounced"] is True  # the same-second change ordered after it
    assert fact["bounced_at"] == utc("2026-01-05 10:05:00")


def test_a_same_second_change_ordered_before_the_rep_assignment_is_not_a_bounce() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner_changes=[
            owner_change("2026-01-05 10:05:00", HOLDING_QUEUE, WORKING_QUEUE, "A"),
            owner_change("2026-01-05 10:05:00", WORKING_QUEUE, REP_A, "b"),
        ],
    )
    assert fact["routed_owner"] == WORKING_QUEUE
    assert fact["first_rep"] == REP_A
    assert fact["bounced"] is False


# --- acceptance and rejection ---------------------------------------------------------------

ASSIGNED = [owner_change("2026-01-05 10:10:00", HOLDING_QUEUE, REP_A)]


def test_a_status_change_into_an_accepted_status_inside_the_window_accepts_the_lead() -> None:
    fact = one_lead(
        "2026-01-07 00:00:00",
        owner_changes=ASSIGNED,
        status_changes=[status_change("2026-01-06 10:10:00", "Open", "Working - Contacted")],
    )
    assert fact["accepted"] is True
    assert fact["acceptance_pending"] is False


def test_a_touch_inside_the_window_accepts_the_lead() -> None:
    fact = one_lead(
        "2026-01-07 00:00:00", owner_changes=ASSIGNED, activities=[activity("2026-01-05 10:10:00")]
    )
    assert fact["accepted"] is True
    assert fact["first_touch_minutes"] == 10.0


def test_a_touch_after_the_acceptance_window_does_not_accept() -> None:
    fact = one_lead(
        "2026-01-07 00:00:00", owner_changes=ASSIGNED, activities=[activity("2026-01-06 10:10:01")]
    )
    assert fact["accepted"] is False
    assert fact["acceptance_pending"] is False


def test_a_touch_after_a_bounce_does_not_accept() -> None:
    fact = one_lead(
        "2026-01-07 00:00:00",
        owner_changes=[*ASSIGNED, owner_change("2026-01-05 11:00:00", REP_A, REP_B, 2)],
        activities=[activity("2026-01-05 11:00:01", owner=REP_B)],
    )
    assert fact["bounced"] is True
    assert fact["accepted"] is False
    assert fact["acceptance_pending"] is False


def test_an_assigned_lead_inside_its_acceptance_window_is_pending_acceptance() -> None:
    fact = one_lead("2026-01-06 10:09:59", owner_changes=ASSIGNED)
    assert fact["accepted"] is False
    assert fact["acceptance_pending"] is True
    assert one_lead("2026-01-06 10:10:00", owner_changes=ASSIGNED)["acceptance_pending"] is False


def test_a_touch_before_the_rep_assignment_is_the_first_touch_but_not_an_acceptance() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner_changes=ASSIGNED,
        activities=[activity("2026-01-05 10:05:00", owner=REP_B)],
    )
    assert fact["first_touch_at"] == utc("2026-01-05 10:05:00")
    assert fact["accepted"] is False


def test_a_rejection_at_or_after_the_rep_assignment_counts_and_one_before_does_not() -> None:
    rejected = status_change("2026-01-05 10:10:00", "Open", "Closed - Not Converted")
    assert (
        one_lead("2026-01-05 12:00:00", owner_changes=ASSIGNED, status_changes=[rejected])[
            "rejected"
        ]
        is True
    )
    early = status_change("2026-01-05 10:09:59", "Open", "Closed - Not Converted")
    assert (
        one_lead("2026-01-05 12:00:00", owner_changes=ASSIGNED, status_changes=[early])["rejected"]
        is False
    )


# --- touches ---------------------------------------------------------------------------------


def test_an_activity_owned_by_a_holding_owner_is_not_a_touch() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner=REP_A,
        activities=[activity("2026-01-05 10:00:30", owner=INTEGRATION_USER)],
    )
    assert fact["first_touch_at"] is None
    assert fact["touch_sla_applicable"] is True  # untouched and past the 15-minute SLA
    assert fact["touch_sla_met"] is False


def test_a_deleted_activity_is_not_a_touch() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner=REP_A,
        activities=[activity("2026-01-05 10:01:00", deleted=True)],
    )
    assert fact["first_touch_at"] is None


def test_a_converted_lead_keeps_its_touch_and_is_not_queued() -> None:
    # The loader resolves the activity's WhoId (the new Contact) back to the lead.
    fact = one_lead(
        "2026-01-06 12:00:00",
        owner=WORKING_QUEUE,
        lead={
            "is_converted": True,
            "converted_date": date(2026, 1, 6),
            "converted_contact_id": sfid("003", 1),
        },
        activities=[activity("2026-01-05 10:07:00")],
    )
    assert fact["first_touch_minutes"] == 7.0
    assert fact["queued"] is False


# --- scope: deleted, future, after T ---------------------------------------------------------


def test_deleted_leads_and_leads_created_after_t_are_excluded() -> None:
    frame = facts(
        "2026-01-05 12:00:00",
        leads=[
            {"id": sfid("00Q", 1), "created_at": at("2026-01-05 10:00:00"), "owner_id": REP_A},
            {
                "id": sfid("00Q", 2),
                "created_at": at("2026-01-05 10:00:00"),
                "owner_id": REP_A,
                "is_deleted": True,
            },
            {"id": sfid("00Q", 3), "created_at": at("2026-01-05 12:00:01"), "owner_id": REP_A},
            {"id": sfid("00Q", 4), "created_at": at("2026-01-05 12:00:00"), "owner_id": REP_A},
        ],
    )
    assert list(frame["lead_id"]) == [sfid("00Q", 1), sfid("00Q", 4)]


def test_owner_changes_status_changes_and_activities_after_t_are_ignored() -> None:
    fact = one_lead(
        "2026-01-05 10:30:00",
        owner=REP_A,
        owner_changes=[owner_change("2026-01-05 10:30:01", HOLDING_QUEUE, REP_A)],
        status_changes=[status_change("2026-01-05 10:30:01", "Open", "Working - Contacted")],
        activities=[activity("2026-01-05 10:30:01")],
    )
    assert fact["routed_at"] is None
    assert fact["first_touch_at"] is None
    assert fact["accepted"] is False
    assert fact["queue_owner"] == HOLDING_QUEUE


# --- queues ----------------------------------------------------------------------------------


def test_a_queued_lead_ages_from_its_last_owner_change() -> None:
    fact = one_lead(
        "2026-01-06 12:00:00",
        owner_changes=[owner_change("2026-01-05 10:30:00", HOLDING_QUEUE, WORKING_QUEUE)],
    )
    assert fact["queued"] is True
    assert fact["queue_owner"] == WORKING_QUEUE
    assert fact["queue_entered_at"] == utc("2026-01-05 10:30:00")
    assert fact["queue_age_hours"] == 25.5


def test_a_lead_in_a_queue_since_creation_ages_from_its_creation() -> None:
    fact = one_lead("2026-01-05 16:00:00", owner=HOLDING_QUEUE)
    assert fact["queued"] is True
    assert fact["queue_age_hours"] == 6.0


def test_a_queued_lead_whose_status_at_t_is_closed_is_not_queued() -> None:
    closing = status_change("2026-01-05 11:00:00", "Open", "Closed - Not Converted")
    assert one_lead("2026-01-05 12:00:00", status_changes=[closing])["queued"] is False


def test_status_at_t_is_the_old_value_of_the_first_change_when_all_changes_are_after_t() -> None:
    # The lead is closed now, but it was still open at T.
    fact = one_lead(
        "2026-01-05 12:00:00",
        lead={"status": "Closed - Not Converted"},
        status_changes=[status_change("2026-01-05 13:00:00", "Open", "Closed - Not Converted")],
    )
    assert fact["queued"] is True


def test_a_lead_converted_on_a_later_day_than_t_is_still_queued_at_t() -> None:
    fact = one_lead(
        "2026-01-05 23:59:59",
        owner=WORKING_QUEUE,
        lead={"is_converted": True, "converted_date": date(2026, 1, 6)},
    )
    assert fact["queued"] is True


# --- SLA ------------------------------------------------------------------------------------


def test_the_assignment_sla_is_met_at_exactly_the_tier_limit() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner_changes=[owner_change("2026-01-05 10:05:00", HOLDING_QUEUE, REP_A)],
    )
    assert fact["tta_minutes"] == 5.0
    assert fact["assign_sla_applicable"] is True
    assert fact["assign_sla_met"] is True


def test_an_unassigned_lead_joins_the_sla_base_only_when_strictly_past_the_limit() -> None:
    at_limit = one_lead("2026-01-05 10:05:00", owner=WORKING_QUEUE)
    assert at_limit["assign_sla_applicable"] is False
    past = one_lead("2026-01-05 10:05:01", owner=WORKING_QUEUE)
    assert past["assign_sla_applicable"] is True
    assert past["assign_sla_met"] is False


def test_a_tier_without_an_sla_uses_the_default_sla() -> None:
    fact = one_lead("2026-01-05 14:00:01", owner=WORKING_QUEUE, lead={"tier": "cold"})
    assert fact["assign_sla_applicable"] is True  # 240 minutes, the default
    assert (
        one_lead("2026-01-05 14:00:00", owner=WORKING_QUEUE, lead={"tier": "cold"})[
            "assign_sla_applicable"
        ]
        is False
    )


# --- report timezone -------------------------------------------------------------------------

NEW_YORK = params(report_timezone="America/New_York")


@pytest.mark.parametrize(
    ("created", "day", "week"),
    [
        ("2026-03-08 04:59:59", "2026-03-07", "2026-W10"),  # 23:59:59 EST
        ("2026-03-08 05:00:00", "2026-03-08", "2026-W10"),  # 00:00 EST, clocks spring at 2:00
        ("2026-03-09 03:59:59", "2026-03-08", "2026-W10"),  # 23:59:59 EDT: a 23-hour day
        ("2026-03-09 04:00:00", "2026-03-09", "2026-W11"),
        ("2026-11-01 03:59:59", "2026-10-31", "2026-W44"),  # 23:59:59 EDT
        ("2026-11-01 04:00:00", "2026-11-01", "2026-W44"),  # 00:00 EDT, clocks fall at 2:00
        ("2026-11-02 04:59:59", "2026-11-01", "2026-W44"),  # 23:59:59 EST: a 25-hour day
        ("2026-11-02 05:00:00", "2026-11-02", "2026-W45"),
    ],
)
def test_created_day_and_week_are_local_dates_across_dst_changes(
    created: str, day: str, week: str
) -> None:
    fact = one_lead("2026-12-01 00:00:00", owner=REP_A, created=created, metric_params=NEW_YORK)
    assert (fact["created_day"], fact["created_week"]) == (day, week)


def test_conversion_by_t_compares_the_converted_date_with_t_in_the_report_timezone() -> None:
    # T is 2026-01-06 03:00 UTC = 2026-01-05 22:00 in New York: a conversion dated the 6th
    # has not happened yet at T there.
    fact = one_lead(
        "2026-01-06 03:00:00",
        owner=WORKING_QUEUE,
        metric_params=NEW_YORK,
        lead={"is_converted": True, "converted_date": date(2026, 1, 6)},
    )
    assert fact["queued"] is True


# --- the frame itself ------------------------------------------------------------------------


def test_facts_have_the_declared_columns_then_the_extra_lead_columns() -> None:
    frame = facts(
        "2026-01-05 12:00:00",
        leads=[{"id": LEAD, "created_at": at(CREATED), "owner_id": REP_A, "LeadSource": "Web"}],
    )
    assert list(frame.columns) == [*FACT_COLUMNS, "LeadSource"]
    assert frame["created_at"].dtype == "datetime64[ns, UTC]"
    assert frame.loc[0, "LeadSource"] == "Web"


def test_no_leads_give_an_empty_frame_with_the_declared_columns() -> None:
    frame = facts("2026-01-05 12:00:00")
    assert frame.empty
    assert list(frame.columns) == list(FACT_COLUMNS)


def test_a_missing_input_column_is_a_clear_error() -> None:
    leads = leads_frame([]).drop(columns=["tier"])
    with pytest.raises(ValueError, match="leads is missing columns: tier"):
        lead_facts(
            leads,
            owner_changes_frame([]),
            status_changes_frame([]),
            activities_frame([]),
            NAMES,
            PARAMS,
            pd.Timestamp(at(CREATED)),
        )
    assert MISSING_COLUMNS.startswith("{frame}")


def test_a_naive_as_of_is_refused() -> None:
    with pytest.raises(ValueError, match=NAIVE_AS_OF):
        lead_facts(
            leads_frame([]),
            owner_changes_frame([]),
            status_changes_frame([]),
            activities_frame([]),
            NAMES,
            PARAMS,
            pd.Timestamp("2026-01-05 12:00:00"),
        )


def test_the_worked_example_of_docs_metrics_md_holds() -> None:
    fact = one_lead(
        "2026-03-11 12:00:00",
        owner=REP_B,
        created="2026-03-09 14:00:00",
        owner_changes=[
            owner_change("2026-03-09 14:00:40", INTEGRATION_USER, WORKING_QUEUE, 1),
            owner_change("2026-03-09 14:03:10", WORKING_QUEUE, REP_A, 2),
            owner_change("2026-03-10 09:00:00", REP_A, REP_B, 3),
        ],
        status_changes=[status_change("2026-03-09 14:25:00", "Open", "Working - Contacted")],
        activities=[
            activity("2026-03-09 14:09:00", owner=INTEGRATION_USER, number=1),
            activity("2026-03-09 14:21:00", owner=REP_A, number=2),
        ],
        metric_params=NEW_YORK,
    )
    assert (fact["created_day"], fact["created_week"]) == ("2026-03-09", "2026-W11")
    assert fact["initial_owner"] == INTEGRATION_USER
    assert (fact["routed_at"], fact["routed_owner"]) == (utc("2026-03-09 14:00:40"), WORKING_QUEUE)
    assert (fact["outcome"], fact["failure_reason"]) == ("succeeded", None)
    assert (fact["rep_assigned_at"], fact["first_rep"]) == (utc("2026-03-09 14:03:10"), REP_A)
    assert fact["tta_minutes"] == 190 / 60
    assert fact["first_touch_minutes"] == 21.0
    assert (fact["bounced"], fact["bounced_at"]) == (True, utc("2026-03-10 09:00:00"))
    assert (fact["accepted"], fact["acceptance_pending"], fact["rejected"]) == (True, False, False)
    assert (fact["queued"], fact["queue_age_hours"]) == (False, None)
    assert (fact["assign_sla_applicable"], fact["assign_sla_met"]) == (True, True)
    assert (fact["touch_sla_applicable"], fact["touch_sla_met"]) == (True, False)
    assert fact["age_minutes"] == 46 * 60
