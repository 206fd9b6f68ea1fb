"""A small, realistic data set for the browser test: reps, queues, a week of leads, sync runs."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from routing_health.lib.sfid import to_18
from routing_health.models import (
    Activity,
    Lead,
    OwnerChange,
    Queue,
    SalesforceUser,
    StatusChange,
    SyncRun,
    SyncState,
)

HOSTILE_NAME = "</script><script>alert(1)</script>"
OBJECTS = ("Lead", "LeadHistory", "Task", "Event", "User", "Group")


def _id(prefix: str, n: int) -> str:
    return to_18(f"{prefix}{n:012d}")


def seed(now: datetime, *, leads: int = 60) -> list[Lead]:
    """Owners, ``leads`` leads over the last 7 days (one with a hostile name), each with an
    owner change and a touch, and a day of hourly sync runs ending 4 minutes before ``now``."""
    rng = random.Random(7)
    reps = [
        SalesforceUser.objects.create(id=_id("005", i), name=name, system_modstamp=now)
        for i, name in enumerate(["Maya Chen", "Jonas Weber", "Priya Natarajan", "Luis Ortega",
                                  "Aiko Tanaka"], start=1)
    ]
    holding = Queue.objects.create(id=_id("00G", 1), name="Lead Intake", system_modstamp=now)
    inbound = Queue.objects.create(id=_id("00G", 2), name="EMEA Inbound", system_modstamp=now)
    created: list[Lead] = []
    for n in range(1, leads + 1):
        at = now - timedelta(days=rng.uniform(0.6, 7.5))
        rep = rng.choice(reps)
        owner = rep.id if n % 9 else inbound.id
        lead = Lead.objects.create(
            id=_id("00Q", n),
            name=HOSTILE_NAME if n == 3 else f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            company=rng.choice(COMPANIES),
            created_at=at,
            system_modstamp=at,
            owner_id=owner,
            status=rng.choice(["Open - Not Contacted", "Working - Contacted", "Qualified"]),
            region=rng.choice(["AMER", "AMER", "EMEA", "APAC"]),
            tier=rng.choice(["hot", "warm", "standard", "standard"]),
            raw_fields={"LeadSource": rng.choice(["Web", "Partner", "Event", "Paid Search"])},
        )
        OwnerChange.objects.create(
            id=_id("017", 2 * n), lead_id=lead.id, created_at=at + timedelta(minutes=2),
            old_owner_id=holding.id, new_owner_id=owner,
        )
        StatusChange.objects.create(
            id=_id("017", 2 * n + 1), lead_id=lead.id, created_at=at + timedelta(minutes=40),
            old_status="Open - Not Contacted", new_status="Working - Contacted",
        )
        Activity.objects.create(
            id=_id("00T", n), kind="Task", lead_id=lead.id, who_id=lead.id, owner_id=rep.id,
            created_at=at + timedelta(minutes=35), system_modstamp=at, subject="Call",
        )
        created.append(lead)

    used = 2100
    for hour in range(24, 0, -1):
        started = now - timedelta(hours=hour - 1, minutes=4, seconds=30)
        for name in OBJECTS:
            used += rng.randint(3, 40)
            failed = name == "Task" and hour == 3
            SyncRun.objects.create(
                object_name=name, mode="rest", status="failed" if failed else "succeeded",
                started_at=started, finished_at=started + timedelta(seconds=rng.uniform(0.4, 9)),
                rows_fetched=rng.randint(0, 400), rows_upserted=rng.randint(0, 400),
                rows_skipped=2 if name == "Lead" and hour == 2 else 0,
                api_usage_used=used, api_usage_max=15000,
                error="ConnectionError: connection reset by peer (gave up after 3 retries)"
                if failed
                else "",
            )
    for name in OBJECTS:
        SyncState.objects.create(
            object_name=name, watermark=now - timedelta(minutes=9),
            last_success_at=now - timedelta(minutes=4),
        )
    return created


FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Perlman"]
COMPANIES = ["Northwind", "Globex", "Initech", "Umbrella Health", "Stark Logistics", "Acme",
             "Hooli", "Vandelay Imports", "Soylent", "Wayne Enterprises"]
