"""Property: the vectorised engine agrees with the literal reference on random small orgs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing_health.lib.calendar import WHOLE_DAY, Calendar, Interval
from routing_health.metrics import (
    METRIC_NAMES,
    MetricParams,
    cohort,
    lead_facts,
    metrics_rows,
    total_metrics,
)
from routing_health.metrics.columns import FACT_COLUMNS
from routing_health.metrics.duplicates import Settings, attach, duplicate_facts
from tests.metrics.frames import (
    activities_frame,
    at,
    leads_frame,
    owner_changes_frame,
    sfid,
    status_changes_frame,
)
from tests.metrics.helpers import assert_facts_agree, assert_rows_agree
from tests.metrics.reference import (
    reference_cohort,
    reference_groups,
    reference_lead_facts,
    reference_metrics,
)
from tests.metrics.reference_duplicates import reference_duplicates

HOLDING_USER = sfid("005", "HOLDUSER")
HOLDING_QUEUE = sfid("00G", "HOLDQ")
FALLBACK_QUEUE = sfid("00G", "TRIAGE")
FALLBACK_USER = sfid("005", "DEFAULTOWNER")
REPS = (sfid("005", "REPa"), sfid("005", "REPB"), sfid("005", "rep3"))
WORKING_QUEUES = (sfid("00G", "WORKa"), sfid("00G", "WORKB"))
ODD_OWNER = sfid("0XY", "ODD")  # neither a user nor a queue
OWNERS = (
    HOLDING_USER,
    HOLDING_QUEUE,
    FALLBACK_QUEUE,
    FALLBACK_USER,
    *REPS,
    *WORKING_QUEUES,
    ODD_OWNER,
)
OWNER_NAMES = {
    HOLDING_USER: "Integration User",
    FALLBACK_QUEUE: "Triage",
    FALLBACK_USER: "",  # an empty name falls back to the Id, like the unnamed holding queue
    REPS[0]: "Ann Rep",
    WORKING_QUEUES[0]: "EMEA Queue",
}
STATUSES = ("Open", "Working", "Contacted", "Rejected", "Rejected", "Converted", "Nurture")
PARAMS_TEMPLATE = {
    "holding": frozenset({HOLDING_USER, HOLDING_QUEUE}),
    "fallback": frozenset({FALLBACK_QUEUE, FALLBACK_USER}),
    "accepted_statuses": frozenset({"Working", "Contacted"}),
    "rejected_statuses": frozenset({"Rejected"}),
    "closed_statuses": frozenset({"Rejected", "Converted"}),
    "routing_grace_minutes": 60.0,
    "bounce_hours": 2.0,
    "accept_hours": 1.0,
    "queue_age_limit_hours": 1.0,
    "tier_sla": {"hot": (5.0, 15.0), "warm": (60.0, 240.0), "standard": (240.0, 1440.0)},
    "default_tier_sla": (30.0, 120.0),
}
# Offsets (seconds) on the edges of the windows above, so ties and boundaries come up often.
EDGES = (0, 1, 59, 60, 300, 301, 900, 1800, 3600, 3601, 7200, 7201, 14400, 86400, 86401)
BASES = (at("2026-03-07 20:00:00"), at("2026-10-31 20:00:00"), at("2026-01-03 02:30:00"))
ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# The limits themselves, in seconds: SLA minutes, grace, accept, queue limit, bounce.
LIMITS = (3600, 3600, 3600, 3600, 300, 900, 1800, 7200, 14400)
# Business calendars: boundaries on half hours outside local 01:00-03:00 (see reference_clock),
# in zones with and without DST; the bases above cross New York's two DST changes.
CALENDAR_ZONES = ("America/New_York", "Europe/Berlin", "Asia/Singapore", "Asia/Kolkata", "UTC")
BOUNDARIES = (0, 30, 60, 180, 240, 480, 510, 540, 720, 780, 1020, 1050, 1080, 1320, 1410, 1440)


@st.composite
def intervals(draw: st.DrawFn) -> tuple[Interval, ...]:
    """Sorted, disjoint open intervals of one day: none, the whole day, or one or two."""
    kind = draw(st.sampled_from(("closed", "whole", "some", "some", "some")))
    if kind == "closed":
        return ()
    if kind == "whole":
        return WHOLE_DAY
    points = sorted(draw(st.sets(st.sampled_from(BOUNDARIES), min_size=2, max_size=4)))
    pairs = list(zip(points[::2], points[1::2], strict=False))
    return tuple((a, b) for a, b in pairs)


@st.composite
def calendars(draw: st.DrawFn, name: str, days: tuple[datetime, ...]) -> Calendar:
    week = tuple(draw(intervals()) for _ in range(7))
    holidays = {}
    for _ in range(draw(st.integers(0, 2))):
        day = draw(st.sampled_from(days)).date() + timedelta(days=draw(st.integers(-1, 2)))
        holidays[day] = draw(st.one_of(st.just(WHOLE_DAY), intervals().filter(bool)))
    zone = draw(st.sampled_from(CALENDAR_ZONES))
    return Calendar(name, zone, week, tuple(sorted(holidays.items())))


# Holding owners come up more often, so unrouted leads are common.
owners = st.one_of(st.sampled_from((HOLDING_USER, HOLDING_QUEUE)), st.sampled_from(OWNERS))
offsets = st.one_of(st.sampled_from(EDGES + LIMITS), st.integers(min_value=0, max_value=30 * 3600))


@st.composite
def orgs(draw: st.DrawFn) -> dict[str, Any]:
    """A small org: leads with random owner, status and activity timelines, and a T."""
    base = draw(st.sampled_from(BASES))
    all_moments: list[datetime] = []
    creations: list[datetime] = []
    counter = iter(range(1, 10_000))

    def history_id(prefix: str) -> str:
        # A random 3-character head decides the order of same-second ties (ASCII order, so
        # 'a' sorts after 'Z'); the counter only keeps Ids unique.
        head = draw(st.text(ID_CHARS, min_size=3, max_size=3))
        return f"{prefix}{head}{next(counter):012d}"

    leads, owner_changes, status_changes, activities = [], [], [], []
    for number in range(draw(st.integers(min_value=1, max_value=7))):
        lead_id = sfid("00Q", number)
        created = base + timedelta(seconds=draw(offsets))
        moments = [created]
        creations.append(created)

        def moment(moments: list[datetime] = moments, created: datetime = created) -> datetime:
            # Often reuse a time of this lead, so events of all kinds tie to the second.
            if draw(st.booleans()):
                return draw(st.sampled_from(moments))
            moments.append(created + timedelta(seconds=draw(offsets)))
            return moments[-1]

        initial = draw(owners)
        changes = []
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            when = moment()
            changes.append((when, history_id("017"), draw(owners)))
        changes.sort()
        owner = initial
        for position, (when, change_id, new_owner) in enumerate(changes):
            # Rarely an empty OldValue on the earliest change: the current owner is used then.
            old = "" if position == 0 and draw(st.integers(0, 9)) == 0 else owner
            owner_changes.append(
                {
                    "id": change_id,
                    "lead_id": lead_id,
                    "created_at": when,
                    "old_owner_id": old,
                    "new_owner_id": new_owner,
                }
            )
            owner = new_owner
        status = draw(st.sampled_from(STATUSES))
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            when = moment()
            new_status = draw(st.sampled_from(STATUSES))
            status_changes.append(
                {
                    "id": history_id("017"),
                    "lead_id": lead_id,
                    "created_at": when,
                    "old_status": status,
                    "new_status": new_status,
                }
            )
            status = new_status
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            activities.append(
                {
                    "id": history_id("00T"),
                    "lead_id": lead_id,
                    "owner_id": draw(owners),
                    "created_at": moment(),
                    "is_deleted": draw(st.integers(0, 5)) == 0,
                }
            )
        converted = draw(st.integers(0, 3)) == 0
        leads.append(
            {
                "id": lead_id,
                "created_at": created,
                "owner_id": owner if draw(st.booleans()) else draw(owners),
                "status": status,
                "is_converted": converted,
                "converted_date": (created.date() + timedelta(days=draw(st.integers(0, 2))))
                if converted
                else None,
                "is_deleted": draw(st.integers(0, 9)) == 0,
                "region": draw(st.sampled_from(("AMER", "EMEA", ""))),
                "tier": draw(st.sampled_from(("hot", "warm", "standard", "cold", ""))),
                "failed_node": draw(st.sampled_from(("",) * 5 + ("Assign_Lead > Territory",))),
                "rejection_reason": draw(st.sampled_from(("", "No budget"))),
                "LeadSource": draw(st.sampled_from(("Web", "Partner", "", None))),
            }
        )
        all_moments.extend(moments)
    # T sits exactly on a window edge after some event as often as it lands anywhere.
    anchor = draw(st.integers(0, 3))
    if anchor < 3:
        moments = creations if anchor < 2 else all_moments
        as_of = draw(st.sampled_from(moments)) + timedelta(seconds=draw(st.sampled_from(LIMITS)))
    else:
        as_of = base + timedelta(seconds=draw(offsets))
    # History of a lead that is not in the table never counts.
    owner_changes.append(
        {
            "id": history_id("017"),
            "lead_id": sfid("00Q", "GONE"),
            "created_at": base,
            "old_owner_id": HOLDING_QUEUE,
            "new_owner_id": REPS[0],
        }
    )
    timezone = draw(st.sampled_from(("America/New_York", "UTC", "Asia/Kolkata")))
    # Some regions get a calendar, some none, some a name that no calendar has (wall clock).
    business = {name: draw(calendars(name, (base,))) for name in ("amer", "emea")}
    region_calendars = {
        region: name
        for region in ("AMER", "EMEA")
        if (name := draw(st.sampled_from(("amer", "emea", "ghost", None)))) is not None
    }
    # The kill switch (spec section 10): none, or ON intervals starting and ending at the org's
    # own moments (ties with routing instants on purpose), the last one maybe still on.
    switch_on = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.sampled_from(all_moments)) if all_moments else base
        end = draw(st.one_of(st.none(), st.sampled_from(all_moments))) if all_moments else None
        if end is None or end > start:
            switch_on.append((start, end))
    triage_owners = draw(st.sampled_from((frozenset(), frozenset({FALLBACK_QUEUE}))))
    # Row order carries no meaning: ties must be broken by history Id, not by position.
    shuffle = draw(st.randoms(use_true_random=False)).shuffle
    for rows in (leads, owner_changes, status_changes, activities):
        shuffle(rows)
    return {
        "leads": leads_frame(leads),
        "owner_changes": owner_changes_frame(owner_changes),
        "status_changes": status_changes_frame(status_changes),
        "activities": activities_frame(activities),
        "params": MetricParams(
            **PARAMS_TEMPLATE,
            report_timezone=timezone,
            calendars=business,
            region_calendars=region_calendars,
            kill_switch_on=tuple(switch_on),
            triage_owners=triage_owners,
        ),
        "as_of": pd.Timestamp(as_of),
        "window": sorted(
            [
                as_of.date() - timedelta(days=draw(st.integers(0, 2))),
                as_of.date() - timedelta(days=draw(st.integers(0, 2))),
            ]
        ),
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orgs())
def test_engine_agrees_with_the_reference_on_every_fact_and_metric(org: dict[str, Any]) -> None:
    params, as_of = org["params"], org["as_of"]
    inputs = (org["leads"], org["owner_changes"], org["status_changes"], org["activities"])
    facts = lead_facts(*inputs, OWNER_NAMES, params, as_of)
    expected = reference_lead_facts(*inputs, OWNER_NAMES, params, as_of)

    assert list(facts.columns) == [*FACT_COLUMNS, "LeadSource"]
    assert_facts_agree(facts, expected)  # LeadSource is compared as a group key below

    reference_total = reference_metrics(expected, params)
    assert list(total_metrics(facts, params)) == list(METRIC_NAMES)
    assert_rows_agree([total_metrics(facts, params)], [reference_total])
    for by in (
        ["region", "tier"],
        ["day"],
        ["failure_reason"],
        ["week", "first_rep"],
        ["routed_owner"],
        ["LeadSource"],
        [],
    ):
        assert_rows_agree(
            metrics_rows(facts, by, params),
            reference_groups(expected, by, params) if expected else [],
        )
    start, end = org["window"]
    assert_rows_agree(
        metrics_rows(cohort(facts, start, end), ["region", "day"], params),
        reference_groups(reference_cohort(expected, start, end), ["region", "day"], params),
    )


@st.composite
def users_and_weights(draw: st.DrawFn, moments: list[Any]) -> tuple[list[dict[str, Any]],
                                                                   dict[str, float]]:
    users = [{"id": rep, "name": rep, "is_active": draw(st.booleans()) or draw(st.booleans()),
              "out_of_office": draw(st.integers(0, 3)) == 0,
              "modified_at": pd.Timestamp(draw(st.sampled_from(moments)))} for rep in REPS]
    weights = {rep: draw(st.sampled_from((0.5, 1.0, 2.0, 3.0))) for rep in REPS
               if draw(st.booleans())}
    return users, weights


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orgs(), st.data())
def test_fairness_engine_agrees_with_the_reference(org: dict[str, Any], data: Any) -> None:
    import math

    from routing_health.metrics.fairness import (
        availability_members,
        availability_values,
        pool_indices,
        pool_shares,
    )
    from tests.metrics.reference_fairness import reference_availability, reference_pool_weeks

    params, as_of = org["params"], org["as_of"]
    inputs = (org["leads"], org["owner_changes"], org["status_changes"], org["activities"])
    facts = lead_facts(*inputs, OWNER_NAMES, params, as_of)
    expected = reference_lead_facts(*inputs, OWNER_NAMES, params, as_of)
    moments = [f["created_at"] for f in expected] or [as_of]
    users, weights = data.draw(users_and_weights(moments))
    reps = pd.DataFrame(users)
    reps["modified_at"] = pd.to_datetime(reps["modified_at"], utc=True)

    members = availability_members(facts, org["leads"], reps, params.closed_statuses)
    literal = reference_availability(expected, org["leads"], users, params.closed_statuses)
    for name, flags in literal.items():
        assert members[name].tolist() == flags, name
    (total,) = availability_values(facts, members, [])
    assert total["leads_to_inactive_rep"] == sum(literal["to_inactive_rep"])
    assert total["open_with_inactive_owner"] == sum(literal["open_with_inactive_owner"])

    indices = pool_indices(pool_shares(facts, reps, weights=weights))
    got = {(r["pool"], r["period"]): r for r in indices.to_dict("records")}
    want = reference_pool_weeks(expected, users, weights)
    assert set(got) == set(want)
    for key, ref in want.items():
        row = got[key]
        assert (row["leads"], row["reps"], row["reps_without_leads"]) == (
            ref["leads"], ref["reps"], ref["without"]), key
        for ours, theirs in ((row["gini"], ref["gini"]), (row["max_min_ratio"], ref["ratio"]),
                             (row["chi_square"], ref["chi"])):
            if theirs is None:
                assert math.isnan(ours), key
            else:
                assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), key


# -- Duplicates (issue 17 item 3): matching against tests.metrics.reference_duplicates ---------

DUP_PUBLIC = frozenset({"gmail.com", "mail.example"})
DUP_REPS = (None, REPS[0], REPS[1], REPS[2])
DOMAIN_TEXT = st.sampled_from((
    "acme.com", "ACME.com", "www.acme.com", "acme.com.", "beta.io", "gmail.com", "mail.example",
    "sub.acme.com", "localhost", "", "a..b", "x-y.org",
))
WEBSITES = st.one_of(
    st.none(),
    st.builds(lambda scheme, host, port, path: f"{scheme}{host}{port}{path}",
              st.sampled_from(("", "http://", "HTTPS://", "ftp://", "1x://")), DOMAIN_TEXT,
              st.sampled_from(("", ":443", ":", ":x")),
              st.sampled_from(("", "/", "/about?x=1", "#top", "?q"))),
)
EMAILS = st.one_of(
    st.none(),
    st.builds(lambda user, host: f"{user}@{host}", st.sampled_from(("ann", "b.o", "", "c@d")),
              DOMAIN_TEXT),
    st.sampled_from(("no-at.com", " Ann@Acme.COM ")),
)
COMPANIES = st.one_of(
    st.none(),
    st.builds(lambda head, tail: head + tail,
              st.sampled_from(("Acme", "ACME", "acme-", "Beta ", "Müller", "", "Inc", "and")),
              st.sampled_from(("", " Inc.", ", Ltd", " GmbH & Co. KG", " & co", " corp inc",
                               " Holdings", "!!", " and co"))),
)


@st.composite
def duplicate_orgs(draw: st.DrawFn) -> dict[str, Any]:
    base = at("2026-03-01 00:00:00")
    window_days = draw(st.sampled_from((1.0, 2.0, 0.5)))
    edge = round(window_days * 86_400)
    offsets = st.one_of(st.sampled_from((0, edge, edge + 1, 2 * edge, 3600)),
                        st.integers(0, 4 * edge))
    leads = [
        {
            "lead_id": sfid("00Q", number),
            "created_at": base + timedelta(seconds=draw(offsets)),
            "rep": draw(st.sampled_from(DUP_REPS)),
            "email": draw(EMAILS),
            "website": draw(WEBSITES),
            "company": draw(COMPANIES),
        }
        for number in range(draw(st.integers(1, 8)))
    ]
    accounts = [
        {
            "account_id": sfid("001", draw(st.integers(1, 9))),
            "owner_id": draw(st.sampled_from(DUP_REPS[1:])),
            "name": draw(COMPANIES),
            "website": draw(WEBSITES),
            "domain": draw(st.one_of(st.none(), DOMAIN_TEXT)),
        }
        for _ in range(draw(st.integers(0, 4)))
    ]
    unique = list({a["account_id"]: a for a in accounts}.values())
    as_of = base + timedelta(seconds=draw(offsets))
    return {"leads": leads, "accounts": unique, "window_days": window_days, "as_of": as_of}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(duplicate_orgs())
def test_duplicate_matching_agrees_with_the_reference(org: dict[str, Any]) -> None:
    leads = pd.DataFrame(org["leads"])
    leads["created_at"] = pd.to_datetime(leads["created_at"], utc=True)
    accounts = pd.DataFrame(org["accounts"],
                            columns=["account_id", "owner_id", "name", "website", "domain"])
    settings_ = Settings(window_days=org["window_days"], public_domains=DUP_PUBLIC)
    found = duplicate_facts(leads, accounts, settings_, pd.Timestamp(org["as_of"]))
    expected = reference_duplicates(org["leads"], org["accounts"], org["window_days"],
                                    DUP_PUBLIC, org["as_of"])
    assert found["lead_id"].tolist() == [lead["lead_id"] for lead in org["leads"]]
    for row in found.to_dict("records"):
        want = expected[row["lead_id"]]
        got = {k: (None if v is None or (isinstance(v, float) and v != v) else
                   (bool(v) if isinstance(v, bool | np.bool_) else v))
               for k, v in row.items() if k != "lead_id"}
        assert got == want, row["lead_id"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(duplicate_orgs(), st.sampled_from((["region"], ["week"], ["region", "day"], [])))
def test_duplicate_metrics_agree_with_counts_over_the_reference(
    org: dict[str, Any], by: list[str]
) -> None:
    # Every lead starts with its rep (assigned at creation) or in the holding queue (never
    # assigned), so the engine's first_rep is the drawn rep.
    regions = ("AMER", "EMEA")
    rows = [
        {"id": lead["lead_id"], "created_at": lead["created_at"],
         "owner_id": lead["rep"] or HOLDING_QUEUE, "company": lead["company"] or "",
         "region": regions[number % 2], "tier": "hot"}
        for number, lead in enumerate(org["leads"])
    ]
    params = MetricParams(**PARAMS_TEMPLATE, report_timezone="UTC")
    as_of = pd.Timestamp(org["as_of"])
    engine = lead_facts(leads_frame(rows), owner_changes_frame([]), status_changes_frame([]),
                        activities_frame([]), OWNER_NAMES, params, as_of)
    contacts = pd.DataFrame(org["leads"])[["lead_id", "email", "website", "company"]]
    accounts = pd.DataFrame(org["accounts"],
                            columns=["account_id", "owner_id", "name", "website", "domain"])
    settings_ = Settings(window_days=org["window_days"], public_domains=DUP_PUBLIC)
    with_dups = attach(engine, contacts, accounts, settings_, as_of)
    expected = reference_duplicates(org["leads"], org["accounts"], org["window_days"],
                                    DUP_PUBLIC, org["as_of"])
    groups: dict[tuple, dict[str, int]] = {}
    for lead, row in zip(org["leads"], rows, strict=True):
        if lead["created_at"] > org["as_of"]:
            continue
        day = lead["created_at"].date()
        keys = {"region": row["region"], "day": day.isoformat(),
                "week": f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"}
        counts = groups.setdefault(tuple(keys[k] for k in by), dict.fromkeys(
            ("account_matched", "account_conflict", "duplicate_candidate",
             "duplicate_outreach"), 0))
        for name in counts:
            counts[name] += int(expected[lead["lead_id"]][name])
    got = metrics_rows(with_dups, by, params) if by else (
        [total_metrics(with_dups, params)] if len(with_dups) else [])
    assert len(got) == len(groups)
    for row, key in zip(got, sorted(groups), strict=True):
        counts = groups[key]
        assert tuple(row[k] for k in by) == key
        assert row["account_matched"] == counts["account_matched"]
        assert row["account_conflicts"] == counts["account_conflict"]
        assert row["duplicate_outreach"] == counts["duplicate_outreach"]
        conflict = counts["account_matched"] and counts["account_conflict"] / counts[
            "account_matched"]
        outreach = counts["duplicate_candidate"] and counts["duplicate_outreach"] / counts[
            "duplicate_candidate"]
        assert row["account_conflict_rate"] == (conflict if counts["account_matched"] else None)
        assert row["duplicate_outreach_rate"] == (
            outreach if counts["duplicate_candidate"] else None)
