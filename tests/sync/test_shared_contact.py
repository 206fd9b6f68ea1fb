"""Two leads converted into one existing Contact: whose touch is each Contact activity?

Spec section 4: the lead the sync saw it on; else the lead open when it was created (the
latest-created on a tie); else the lead converted last before it. The org story, in UTC:

    Nov 10 09:00  lead A created (owner: a rep)       Nov 11 09:00  A converted into Contact C
    Nov 10 10:00  task a1 on A (only A open)          Nov 12 10:00  task c1 on C (B open)
    Nov 10 11:00  lead B created (owner: a rep)       Nov 13 09:00  B converted into C
    Nov 10 12:30  task a2 on A (A and B open)         Nov 14 10:00  task c2 on C
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from routing_health.facts.params import params_from_config
from routing_health.models import LeadFact
from routing_health.reports.export import cohort_facts
from routing_health.rollups.service import compute_metrics
from routing_health.sync.activities import contact_activity_leads
from routing_health.sync.service import sync_salesforce
from tests.orgs import T0, TinyOrg

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 10)
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


class Story:
    """The org story above, told step by step; ``sync`` runs after a step when given."""

    def __init__(self, tiny: TinyOrg, sync=None) -> None:
        self.org = tiny.org
        self.rep = tiny.reps[0]
        self.sync = sync or (lambda: None)
        self.org.clock = lambda: T0 - timedelta(days=30)
        self.contact = self.org.insert(
            "Contact", {"LastName": "Existing Customer", "CreatedDate": T0 - timedelta(days=30)}
        )

    def _now(self, when: datetime) -> None:
        self.org.clock = lambda: when

    def lead(self, name: str, created: datetime) -> str:
        self._now(created)
        return self.org.insert(
            "Lead",
            {"LastName": name, "Company": name, "OwnerId": self.rep, "CreatedDate": created,
             "Status": "Working - Contacted", "Region__c": "AMER", "Rating": "Warm"},
        )

    def task(self, who: str, when: datetime) -> str:
        self._now(when)
        return self.org.add_task(who, self.rep, when)

    def convert(self, lead: str, when: datetime) -> None:
        self._now(when)
        self.org.convert_lead(lead, when, contact_id=self.contact)

    def tell(self) -> tuple[str, str]:
        a = self.lead("Lead A", at(10, 9))
        self.task(a, at(10, 10))
        b = self.lead("Lead B", at(10, 11))
        self.task(a, at(10, 12, 30))
        self.sync()
        self.convert(a, at(11, 9))
        self.task(self.contact, at(12, 10))
        # A later task elsewhere, so the overlap of the next sync no longer re-reads c1.
        self.task(self.org.records("Lead")[0]["Id"], at(12, 11))
        self.sync()
        self.convert(b, at(13, 9))
        self.sync()
        self.task(self.contact, at(14, 10))
        self._now(AS_OF)
        self.sync()
        return a, b


def first_touch_minutes(config, *leads: str) -> list[float]:
    facts = cohort_facts(params_from_config(config), DAY, DAY, AS_OF).set_index("lead_id")
    return [float(facts.loc[lead, "first_touch_minutes"]) for lead in leads]


def test_a_backfill_gives_each_lead_the_contact_activities_of_its_open_time(
    sf_client, config, tiny
):
    a, b = Story(tiny).tell()  # nothing synced until the end: every task is first seen on C
    assert sync_salesforce(client=sf_client, config=config).ok
    # A: a1 at 10:00, when only A was open: 60 min. B: a2 at 12:30, when A and B were both
    # open, goes to the latest-created, B: 12:30 - 11:00 = 90 min.
    assert first_touch_minutes(config, a, b) == [60.0, 90.0]


def test_increments_keep_what_the_sync_saw_on_a_lead_and_relink_when_another_converts(
    sf_client, config, tiny
):
    def sync() -> None:
        assert sync_salesforce(client=sf_client, config=config).ok

    a, b = Story(tiny, sync).tell()
    # a1 and a2 were synced on A: both stay A's (A: 60 min), even a2, created while B was
    # open too. c1 (Nov 12 10:00) was first linked to A, the only lead converted into C then;
    # once B's conversion is synced, B was the lead open at c1's time and takes it, though c1
    # is not read again: Nov 10 11:00 -> Nov 12 10:00 = 47 h = 2820 min.
    assert first_touch_minutes(config, a, b) == [60.0, 2820.0]


def test_stored_facts_follow_an_activity_that_moves_to_another_lead(sf_client, config, tiny):
    story = Story(tiny)
    a = story.lead("Lead A", at(10, 9))
    b = story.lead("Lead B", at(10, 11))
    story.convert(a, at(11, 9))
    story.task(story.contact, at(12, 10))  # c1: A converted, B open and not converted yet
    # A later change to another lead, so the next sync's overlap no longer re-reads A.
    story.org.change_owner(story.org.records("Lead")[0]["Id"], tiny.reps[1], at(12, 11))
    story._now(at(12, 12))
    assert sync_salesforce(client=sf_client, config=config).ok
    compute_metrics(config=config, as_of=at(12, 12))
    # The only lead converted into C takes c1: A's touch, Nov 10 09:00 -> Nov 12 10:00.
    assert LeadFact.objects.get(lead_id=a).first_touch_minutes == 49 * 60.0
    story.convert(b, at(13, 9))
    story._now(at(13, 12))
    assert sync_salesforce(client=sf_client, config=config).ok
    compute_metrics(config=config, as_of=at(13, 12))  # incremental
    # B was open at c1's time: it is B's touch now, and A has none.
    assert LeadFact.objects.get(lead_id=b).first_touch_minutes == 47 * 60.0
    assert LeadFact.objects.get(lead_id=a).first_touch_minutes is None


# -- the rule itself, on hand-made rows ------------------------------------------------------
CONTACT = "003000000000001AAA"
LEADS = pd.DataFrame(
    {
        "id": ["00QA", "00QB", "00QC"],
        "converted_contact_id": [CONTACT] * 3,
        "created_at": pd.to_datetime(
            ["2026-11-10 09:00", "2026-11-10 11:00", "2026-11-10 11:00"], utc=True
        ),
        "converted_date": [date(2026, 11, 12), date(2026, 11, 14), date(2026, 11, 14)],
    }
)


def owners_of(times: dict[str, str], leads: pd.DataFrame = LEADS) -> dict[str, str]:
    activities = pd.DataFrame(
        {
            "id": list(times),
            "who_id": [CONTACT] * len(times),
            "created_at": pd.to_datetime(list(times.values()), utc=True),
        }
    )
    return contact_activity_leads(activities, leads).to_dict()


def test_an_activity_belongs_to_the_latest_created_of_the_leads_open_then():
    # 10:00: only A open; 12:00: A and B open.
    assert owners_of({"x1": "2026-11-10 10:00", "x2": "2026-11-10 12:00"}, LEADS.iloc[:2]) == {
        "x1": "00QA",
        "x2": "00QB",
    }


def test_leads_open_and_created_at_the_same_second_go_to_the_larger_id():
    assert owners_of({"x": "2026-11-10 12:00"}) == {"x": "00QC"}


def test_a_lead_is_open_through_the_whole_day_of_its_converted_date():
    leads = pd.concat(
        [
            LEADS.iloc[:1],  # A: created Nov 10, converted Nov 12
            pd.DataFrame(
                {
                    "id": ["00QE"],
                    "converted_contact_id": [CONTACT],
                    "created_at": pd.to_datetime(["2026-11-01 09:00"], utc=True),
                    "converted_date": [date(2026, 11, 13)],
                }
            ),
        ],
        ignore_index=True,
    )
    # Nov 12 23:59: A (ConvertedDate Nov 12) is still open, and created after E.
    assert owners_of({"x": "2026-11-12 23:59"}, leads) == {"x": "00QA"}


def test_an_activity_after_every_conversion_belongs_to_the_lead_converted_last():
    leads = LEADS.iloc[:2].assign(
        converted_date=[date(2026, 11, 14), date(2026, 11, 12)]  # B converted before A
    )
    assert owners_of({"x": "2026-11-15 08:00"}, leads) == {"x": "00QA"}


def test_an_activity_older_than_every_lead_belongs_to_the_earliest_created():
    assert owners_of({"x": "2026-11-01 08:00"}) == {"x": "00QA"}
