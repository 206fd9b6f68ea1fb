"""Every limit of spec sections 4 and 5 at exactly the limit and one second past it.

A duration *meets* a limit when it is <= the limit; it is *older than*, *past* or *over* a limit
when it is strictly greater; "within N hours" is inclusive; the as-of bound is inclusive; the
cohort window is half-open. Each pair below pins one comparison of the engine, so flipping an
operator (``<=`` to ``<``, ``>`` to ``>=``) fails a test here, on every run.

The helpers' org (``tests.metrics.helpers``): lead created 2026-01-05 10:00:00 UTC, tier "hot"
(assign 5 min, touch 15 min), routing grace 60 min, bounce 168 h, accept 24 h, queue limit 24 h.
"""

from __future__ import annotations

from datetime import date

from routing_health.lib.calendar import Calendar
from routing_health.metrics import cohort, total_metrics
from tests.metrics.frames import at, sfid
from tests.metrics.helpers import (
    HOLDING_QUEUE,
    LEAD,
    REP_A,
    REP_B,
    WORKING_QUEUE,
    activity,
    facts,
    one_lead,
    owner_change,
    params,
    status_change,
)

ASSIGNED_AT = "2026-01-05 10:10:00"
ASSIGNED = [owner_change(ASSIGNED_AT, HOLDING_QUEUE, REP_A)]
ACCEPTED = "Working - Contacted"
REJECTED = "Closed - Not Converted"
OPEN = "Open - Not Contacted"


def assigned_at(when: str, number: int = 1) -> dict:
    return owner_change(when, HOLDING_QUEUE, REP_A, number)


# --- assignment SLA (hot: 5 minutes) --------------------------------------------------------


def test_an_assignment_exactly_at_the_sla_meets_it() -> None:
    fact = one_lead("2026-01-05 12:00:00", owner_changes=[assigned_at("2026-01-05 10:05:00")])
    assert fact["tta_minutes"] == 5.0
    assert (fact["assign_sla_applicable"], fact["assign_sla_met"]) == (True, True)


def test_an_assignment_one_second_past_the_sla_misses_it() -> None:
    fact = one_lead("2026-01-05 12:00:00", owner_changes=[assigned_at("2026-01-05 10:05:01")])
    assert (fact["assign_sla_applicable"], fact["assign_sla_met"]) == (True, False)


def test_an_unassigned_lead_exactly_the_sla_old_is_not_in_the_assign_sla_base() -> None:
    fact = one_lead("2026-01-05 10:05:00", owner=WORKING_QUEUE)
    assert fact["assign_sla_applicable"] is False


def test_an_unassigned_lead_one_second_past_the_sla_is_a_miss_in_the_assign_sla_base() -> None:
    fact = one_lead("2026-01-05 10:05:01", owner=WORKING_QUEUE)
    assert (fact["assign_sla_applicable"], fact["assign_sla_met"]) == (True, False)


def test_the_assign_sla_rate_counts_one_met_of_two_around_the_limit() -> None:
    # Lead 1 assigned at exactly 5 min (met), lead 2 at 5 min 1 s (missed): 1 of 2 = 0.5.
    frame = facts(
        "2026-01-05 12:00:00",
        [
            {**_lead(), "id": sfid("00Q", 1)},
            {**_lead(), "id": sfid("00Q", 2)},
        ],
        owner_changes=[
            owner_change("2026-01-05 10:05:00", HOLDING_QUEUE, REP_A, 1, sfid("00Q", 1)),
            owner_change("2026-01-05 10:05:01", HOLDING_QUEUE, REP_A, 2, sfid("00Q", 2)),
        ],
    )
    assert total_metrics(frame, params())["assign_sla_met_rate"] == 0.5


# --- touch SLA (hot: 15 minutes) ------------------------------------------------------------


def test_a_first_touch_exactly_at_the_sla_meets_it() -> None:
    fact = one_lead("2026-01-05 12:00:00", activities=[activity("2026-01-05 10:15:00")])
    assert fact["first_touch_minutes"] == 15.0
    assert (fact["touch_sla_applicable"], fact["touch_sla_met"]) == (True, True)


def test_a_first_touch_one_second_past_the_sla_misses_it() -> None:
    fact = one_lead("2026-01-05 12:00:00", activities=[activity("2026-01-05 10:15:01")])
    assert (fact["touch_sla_applicable"], fact["touch_sla_met"]) == (True, False)


def test_an_untouched_lead_exactly_the_sla_old_is_not_in_the_touch_sla_base() -> None:
    fact = one_lead("2026-01-05 10:15:00", owner=WORKING_QUEUE)
    assert fact["touch_sla_applicable"] is False


def test_an_untouched_lead_one_second_past_the_sla_is_a_miss_in_the_touch_sla_base() -> None:
    fact = one_lead("2026-01-05 10:15:01", owner=WORKING_QUEUE)
    assert (fact["touch_sla_applicable"], fact["touch_sla_met"]) == (True, False)


# --- routing grace (60 minutes) -------------------------------------------------------------


def test_an_unrouted_lead_exactly_the_grace_old_is_pending() -> None:
    fact = one_lead("2026-01-05 11:00:00")
    assert (fact["outcome"], fact["failure_reason"]) == ("pending", None)


def test_an_unrouted_lead_one_second_past_the_grace_has_failed() -> None:
    fact = one_lead("2026-01-05 11:00:01")
    assert (fact["outcome"], fact["failure_reason"]) == ("failed", "unrouted: Holding Queue")


# --- queue age limit (24 hours) -------------------------------------------------------------


def test_a_lead_queued_exactly_the_limit_is_not_over_the_queue_limit() -> None:
    frame = facts(
        "2026-01-06 10:00:00",
        [{"id": LEAD, "created_at": at("2026-01-05 10:00:00"), "owner_id": WORKING_QUEUE}],
    )
    total = total_metrics(frame, params())
    assert (total["queued"], total["queued_over_limit"]) == (1, 0)
    assert total["oldest_queue_age_hours"] == 24.0


def test_a_lead_queued_one_second_past_the_limit_is_over_the_queue_limit() -> None:
    frame = facts(
        "2026-01-06 10:00:01",
        [{"id": LEAD, "created_at": at("2026-01-05 10:00:00"), "owner_id": WORKING_QUEUE}],
    )
    total = total_metrics(frame, params())
    assert (total["queued"], total["queued_over_limit"]) == (1, 1)


# --- bounce window (168 hours, inclusive) ---------------------------------------------------


def test_an_owner_change_exactly_bounce_hours_after_the_assignment_is_a_bounce() -> None:
    fact = one_lead(
        "2026-01-20 00:00:00",
        owner_changes=[
            assigned_at(ASSIGNED_AT, 1),
            owner_change("2026-01-12 10:10:00", REP_A, REP_B, 2),  # + 168 h
        ],
    )
    assert (fact["bounced"], fact["bounced_at"]) == (True, at("2026-01-12 10:10:00"))


def test_an_owner_change_one_second_past_bounce_hours_is_not_a_bounce() -> None:
    fact = one_lead(
        "2026-01-20 00:00:00",
        owner_changes=[
            assigned_at(ASSIGNED_AT, 1),
            owner_change("2026-01-12 10:10:01", REP_A, REP_B, 2),
        ],
    )
    assert (fact["bounced"], fact["bounced_at"]) == (False, None)


def test_a_change_in_the_assignments_second_and_ordered_after_it_is_a_bounce() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner_changes=[
            assigned_at(ASSIGNED_AT, 1),
            owner_change(ASSIGNED_AT, REP_A, REP_B, 2),
        ],
    )
    assert (fact["first_rep"], fact["bounced"]) == (REP_A, True)


# --- acceptance window [rep_assigned_at, min(rep_assigned_at + 24 h, bounced_at)] ------------


def test_a_touch_exactly_at_the_rep_assignment_accepts() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=ASSIGNED,
                    activities=[activity(ASSIGNED_AT)])
    assert fact["accepted"] is True


def test_a_touch_one_second_before_the_rep_assignment_does_not_accept() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=ASSIGNED,
                    activities=[activity("2026-01-05 10:09:59")])
    assert fact["accepted"] is False


def test_a_touch_exactly_accept_hours_after_the_assignment_accepts() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=ASSIGNED,
                    activities=[activity("2026-01-06 10:10:00")])
    assert fact["accepted"] is True


def test_a_touch_one_second_past_accept_hours_does_not_accept() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=ASSIGNED,
                    activities=[activity("2026-01-06 10:10:01")])
    assert fact["accepted"] is False


def test_a_status_change_into_accepted_exactly_accept_hours_after_the_assignment_accepts() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=ASSIGNED,
                    status_changes=[status_change("2026-01-06 10:10:00", OPEN, ACCEPTED)])
    assert fact["accepted"] is True


def test_a_status_change_into_accepted_one_second_past_accept_hours_does_not_accept() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=ASSIGNED,
                    status_changes=[status_change("2026-01-06 10:10:01", OPEN, ACCEPTED)])
    assert fact["accepted"] is False


def test_a_status_change_into_accepted_one_second_before_the_assignment_does_not_accept() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=ASSIGNED,
                    status_changes=[status_change("2026-01-05 10:09:59", OPEN, ACCEPTED)])
    assert fact["accepted"] is False


BOUNCED = [assigned_at(ASSIGNED_AT, 1), owner_change("2026-01-05 12:00:00", REP_A, REP_B, 2)]


def test_a_touch_exactly_at_the_bounce_accepts() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=BOUNCED,
                    activities=[activity("2026-01-05 12:00:00")])
    assert (fact["bounced"], fact["accepted"]) == (True, True)


def test_a_touch_one_second_after_the_bounce_does_not_accept() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=BOUNCED,
                    activities=[activity("2026-01-05 12:00:01")])
    assert (fact["bounced"], fact["accepted"]) == (True, False)


def test_a_status_change_into_accepted_one_second_after_the_bounce_does_not_accept() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=BOUNCED,
                    status_changes=[status_change("2026-01-05 12:00:01", OPEN, ACCEPTED)])
    assert fact["accepted"] is False


# --- pending acceptance: T < rep_assigned_at + accept_hours ---------------------------------


def test_an_assigned_lead_one_second_before_the_acceptance_deadline_is_pending() -> None:
    fact = one_lead("2026-01-06 10:09:59", owner_changes=ASSIGNED)
    assert fact["acceptance_pending"] is True


def test_an_assigned_lead_exactly_at_the_acceptance_deadline_is_no_longer_pending() -> None:
    fact = one_lead("2026-01-06 10:10:00", owner_changes=ASSIGNED)
    assert fact["acceptance_pending"] is False
    assert total_metrics(facts("2026-01-06 10:10:00", [_lead()], owner_changes=ASSIGNED),
                         params())["acceptance_rate"] == 0.0


# --- rejection at or after rep_assigned_at --------------------------------------------------


def test_a_rejection_exactly_at_the_rep_assignment_counts() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=ASSIGNED,
                    status_changes=[status_change(ASSIGNED_AT, OPEN, REJECTED)])
    assert fact["rejected"] is True


def test_a_rejection_one_second_before_the_rep_assignment_does_not_count() -> None:
    fact = one_lead("2026-01-07 00:00:00", owner_changes=ASSIGNED,
                    status_changes=[status_change("2026-01-05 10:09:59", OPEN, REJECTED)])
    assert fact["rejected"] is False


# --- the as-of bound is inclusive -----------------------------------------------------------


def _lead(created: str = "2026-01-05 10:00:00", owner: str = HOLDING_QUEUE) -> dict:
    return {"id": LEAD, "created_at": at(created), "owner_id": owner}


def test_a_lead_created_exactly_at_t_counts() -> None:
    assert len(facts("2026-01-05 10:00:00", [_lead()])) == 1


def test_a_lead_created_one_second_after_t_does_not_count() -> None:
    assert len(facts("2026-01-05 09:59:59", [_lead()])) == 0


def test_an_owner_change_exactly_at_t_counts() -> None:
    fact = one_lead(ASSIGNED_AT, owner_changes=ASSIGNED)
    assert fact["rep_assigned_at"] == at(ASSIGNED_AT)


def test_an_owner_change_one_second_after_t_does_not_count() -> None:
    fact = one_lead("2026-01-05 10:09:59", owner_changes=ASSIGNED)
    assert fact["rep_assigned_at"] is None


def test_an_activity_exactly_at_t_is_a_touch() -> None:
    fact = one_lead("2026-01-05 10:15:00", activities=[activity("2026-01-05 10:15:00")])
    assert fact["first_touch_at"] == at("2026-01-05 10:15:00")


def test_an_activity_one_second_after_t_is_not_a_touch() -> None:
    fact = one_lead("2026-01-05 10:14:59", activities=[activity("2026-01-05 10:15:00")])
    assert fact["first_touch_at"] is None


def test_a_status_change_exactly_at_t_sets_the_status_at_t() -> None:
    fact = one_lead("2026-01-05 11:00:00", owner=WORKING_QUEUE,
                    status_changes=[status_change("2026-01-05 11:00:00", OPEN, REJECTED)])
    assert fact["queued"] is False


def test_a_status_change_one_second_after_t_does_not_set_the_status_at_t() -> None:
    fact = one_lead("2026-01-05 10:59:59", owner=WORKING_QUEUE,
                    status_changes=[status_change("2026-01-05 11:00:00", OPEN, REJECTED)])
    assert fact["queued"] is True


# --- same-timestamp ties: history Id order (ASCII, so 'B' < 'a') ----------------------------


def test_a_same_second_tie_is_ordered_by_history_id_in_ascii_not_case_insensitive_order() -> None:
    fact = one_lead(
        "2026-01-05 12:00:00",
        owner_changes=[
            owner_change("2026-01-05 10:05:00", HOLDING_QUEUE, REP_B, "a"),
            owner_change("2026-01-05 10:05:00", HOLDING_QUEUE, REP_A, "B"),
        ],
    )
    assert fact["first_rep"] == REP_A


# --- cohort window: half-open, local midnight starts its day --------------------------------

PARIS = params(report_timezone="Europe/Paris")


def test_a_lead_created_exactly_at_local_midnight_belongs_to_the_day_it_starts() -> None:
    # 2026-01-05 23:00:00 UTC is 2026-01-06 00:00:00 in Paris.
    frame = facts("2026-01-07 00:00:00", [_lead("2026-01-05 23:00:00")], metric_params=PARIS)
    assert len(cohort(frame, date(2026, 1, 6), date(2026, 1, 6))) == 1
    assert len(cohort(frame, date(2026, 1, 5), date(2026, 1, 5))) == 0


def test_a_lead_created_one_second_before_local_midnight_belongs_to_the_day_before() -> None:
    frame = facts("2026-01-07 00:00:00", [_lead("2026-01-05 22:59:59")], metric_params=PARIS)
    assert len(cohort(frame, date(2026, 1, 5), date(2026, 1, 5))) == 1
    assert len(cohort(frame, date(2026, 1, 6), date(2026, 1, 6))) == 0


# --- business-hours variants (Singapore 09:00-18:00 weekdays; hot: 15 / 60 minutes) ---------

SINGAPORE = Calendar("apac", "Asia/Singapore", ((((540, 1080),),) * 5 + ((), ())))
APAC = params(tier_sla={"hot": (15, 60)}, calendars={"apac": SINGAPORE},
              region_calendars={"APAC": "apac"})
IN_APAC = {"region": "APAC", "tier": "hot"}
# Created Mon 2026-01-05 08:00 SGT (00:00 UTC): the clock starts at 09:00 SGT (01:00 UTC).
APAC_CREATED = "2026-01-05 00:00:00"


def apac_lead(as_of: str, **events: object) -> dict:
    return one_lead(as_of, created=APAC_CREATED, lead=IN_APAC, metric_params=APAC, **events)


def test_an_assignment_exactly_at_the_business_sla_meets_it() -> None:
    fact = apac_lead("2026-01-05 03:00:00", owner_changes=[assigned_at("2026-01-05 01:15:00")])
    assert fact["tta_business_minutes"] == 15.0
    assert fact["assign_sla_met_business"] is True


def test_an_assignment_one_second_past_the_business_sla_misses_it() -> None:
    fact = apac_lead("2026-01-05 03:00:00", owner_changes=[assigned_at("2026-01-05 01:15:01")])
    assert (fact["assign_sla_applicable_business"], fact["assign_sla_met_business"]) == (
        True,
        False,
    )


def test_a_first_touch_exactly_at_the_business_sla_meets_it() -> None:
    fact = apac_lead("2026-01-05 03:00:00", activities=[activity("2026-01-05 02:00:00")])
    assert fact["first_touch_business_minutes"] == 60.0
    assert fact["touch_sla_met_business"] is True


def test_a_first_touch_one_second_past_the_business_sla_misses_it() -> None:
    fact = apac_lead("2026-01-05 03:00:00", activities=[activity("2026-01-05 02:00:01")])
    assert (fact["touch_sla_applicable_business"], fact["touch_sla_met_business"]) == (
        True,
        False,
    )


def test_an_unassigned_lead_exactly_the_business_sla_old_is_not_in_the_business_base() -> None:
    fact = apac_lead("2026-01-05 01:15:00")
    assert fact["age_business_minutes"] == 15.0
    assert fact["assign_sla_applicable_business"] is False


def test_an_unassigned_lead_one_second_past_the_business_sla_is_in_the_business_base() -> None:
    fact = apac_lead("2026-01-05 01:15:01")
    assert fact["assign_sla_applicable_business"] is True


def test_an_untouched_lead_exactly_the_business_touch_sla_old_is_not_in_the_base() -> None:
    fact = apac_lead("2026-01-05 02:00:00")
    assert fact["touch_sla_applicable_business"] is False


def test_an_untouched_lead_one_second_past_the_business_touch_sla_is_in_the_base() -> None:
    fact = apac_lead("2026-01-05 02:00:01")
    assert fact["touch_sla_applicable_business"] is True
