"""The outcome ``triaged`` (spec section 10, kill switch): a lead routed to a triage owner while
the switch was ON is not a routing failure. Expected values are counted by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from routing_health.metrics import total_metrics
from tests.metrics.frames import at, sfid
from tests.metrics.helpers import HOLDING_QUEUE, REP_A, TRIAGE, facts, owner_change, params

DEFAULT_OWNER = sfid("005", "DEFAULT")
AS_OF = "2026-01-05 13:00:00"
ON = (datetime(2026, 1, 5, 10, 0, tzinfo=UTC), datetime(2026, 1, 5, 11, 0, tzinfo=UTC))


def lead(n: int, created: str, **fields: object) -> dict[str, object]:
    return {"id": sfid("00Q", n), "created_at": at(created), "owner_id": HOLDING_QUEUE, **fields}


def org(metric_params):
    """Six leads, each routed once from the holding queue:
    1 to the triage queue at 10:05 (inside ON)             -> triaged
    2 to the triage queue at 11:00 (ON ends at 11:00, open) -> failed, "fallback: Triage"
    3 to the triage queue at 10:10 but with a failed node   -> failed, the node
    4 to a rep at 10:20                                     -> succeeded
    5 to the default owner (fallback, not a triage owner) at 10:30 -> failed
    6 created at 09:50, routed to triage at 10:00 (ON starts at 10:00, closed) -> triaged
    """
    return facts(
        AS_OF,
        leads=[
            lead(1, "2026-01-05 10:00:00"),
            lead(2, "2026-01-05 10:59:00"),
            lead(3, "2026-01-05 10:09:00", failed_node="Decision: Territory"),
            lead(4, "2026-01-05 10:19:00"),
            lead(5, "2026-01-05 10:29:00"),
            lead(6, "2026-01-05 09:50:00"),
        ],
        owner_changes=[
            owner_change("2026-01-05 10:05:00", HOLDING_QUEUE, TRIAGE, 1, sfid("00Q", 1)),
            owner_change("2026-01-05 11:00:00", HOLDING_QUEUE, TRIAGE, 2, sfid("00Q", 2)),
            owner_change("2026-01-05 10:10:00", HOLDING_QUEUE, TRIAGE, 3, sfid("00Q", 3)),
            owner_change("2026-01-05 10:20:00", HOLDING_QUEUE, REP_A, 4, sfid("00Q", 4)),
            owner_change("2026-01-05 10:30:00", HOLDING_QUEUE, DEFAULT_OWNER, 5, sfid("00Q", 5)),
            owner_change("2026-01-05 10:00:00", HOLDING_QUEUE, TRIAGE, 6, sfid("00Q", 6)),
        ],
        metric_params=metric_params,
    )


SWITCHED = params(fallback=frozenset({TRIAGE, DEFAULT_OWNER}), kill_switch_on=(ON,),
                  triage_owners=frozenset({TRIAGE}))


def test_leads_sent_to_triage_while_the_switch_was_on_are_triaged_not_failed() -> None:
    frame = org(SWITCHED).set_index("lead_id")
    outcome = {lead_id[-1]: str(v) for lead_id, v in frame["outcome"].items()}
    assert outcome == {"1": "triaged", "2": "failed", "3": "failed", "4": "succeeded",
                       "5": "failed", "6": "triaged"}
    reasons = frame["failure_reason"]
    assert reasons.isna()[sfid("00Q", 1)] and reasons.isna()[sfid("00Q", 6)]
    assert reasons[sfid("00Q", 2)] == "fallback: Triage"
    assert reasons[sfid("00Q", 3)] == "Decision: Territory"

    total = total_metrics(org(SWITCHED), SWITCHED)
    # 1 succeeded, 3 failed, 2 triaged: success = 1 / (1 + 3); triaged leave the denominator.
    assert (total["succeeded"], total["failed"], total["pending"], total["triaged"]) == (1, 3, 0, 2)
    assert total["assignment_success_rate"] == pytest.approx(0.25)


def test_without_a_kill_switch_the_same_leads_are_routing_failures() -> None:
    plain = params(fallback=frozenset({TRIAGE, DEFAULT_OWNER}))
    total = total_metrics(org(plain), plain)
    assert (total["succeeded"], total["failed"], total["triaged"]) == (1, 5, 0)
    assert total["assignment_success_rate"] == pytest.approx(1 / 6)


def test_still_on_and_every_fallback_owner_by_default() -> None:
    still_on = params(fallback=frozenset({TRIAGE, DEFAULT_OWNER}),
                      kill_switch_on=((ON[0], None),))
    total = total_metrics(org(still_on), still_on)
    # No triage_owners: every fallback owner triages; lead 2 (11:00) and 5 (default owner) too.
    assert (total["succeeded"], total["failed"], total["triaged"]) == (1, 1, 4)


def test_naive_intervals_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        params(kill_switch_on=((datetime(2026, 1, 5, 10), None),))
