"""Keep a demo org alive: new leads arrive every few seconds and get routed, as in production.

Each tick adds a lead owned by the holding queue; on the next tick the router moves it on —
to a rep of its region (and the rep logs a call a little later), or, for the demo incident's
region and rating, to the fallback queue with the failed node set. So the schedules visibly
move the numbers, and the incident keeps firing until someone "fixes the flow".
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime
from typing import Any

from routing_health.sandbox.org import Org

REGION_COUNTRIES = {"AMER": "US", "EMEA": "DE", "APAC": "SG"}
RATINGS = ("Hot", "Warm", "Cold", "Hot", "Warm")


class LiveFeed:
    """A background thread adding and routing leads in ``org`` every ``seconds``."""

    def __init__(self, org: Org, facts: dict[str, Any], *, seconds: float = 5.0, seed: int = 1):
        self.org, self.facts, self.seconds = org, facts, seconds
        self.random = random.Random(seed)
        self.pending: list[tuple[str, str, str]] = []  # (lead id, region, rating)
        self.touches: list[tuple[str, str]] = []  # (lead id, rep id)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="live-feed", daemon=True)
        self.added = 0

    def start(self) -> LiveFeed:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stop_event.wait(self.seconds):
            self.tick(datetime.now(UTC).replace(microsecond=0))

    def tick(self, now: datetime) -> None:
        owners = self.facts["owners"]
        incident = self.facts.get("incident") or {}
        for lead_id, rep in self.touches:
            self.org.add_task(lead_id, rep, now, "Call")
        self.touches = []
        for lead_id, region, rating in self.pending:
            broken = region == incident.get("region") and rating == incident.get("rating")
            if broken:
                self.org.update("Lead", lead_id, Routing_Failed_Node__c=incident["failed_node"])
                self.org.change_owner(
                    lead_id, owners["fallback_queue"], now, owners["integration_user"]
                )
            else:
                rep = self.random.choice(owners["reps"][region])
                self.org.change_owner(lead_id, rep, now, owners["integration_user"])
                if self.random.random() < 0.8:
                    self.touches.append((lead_id, rep))
        self.pending = []
        region = self.random.choice(list(REGION_COUNTRIES))
        rating = self.random.choice(RATINGS)
        lead_id = self.org.insert(
            "Lead",
            {
                "FirstName": "Live",
                "LastName": f"Lead {self.added + 1}",
                "Company": f"Live Co {self.added + 1}",
                "OwnerId": owners["holding_queue"],
                "Status": "Open - Not Contacted",
                "Region__c": region,
                "CountryCode": REGION_COUNTRIES[region],
                "Rating": rating,
                "LeadSource": "Web",
            },
        )
        self.added += 1
        self.pending.append((lead_id, region, rating))


__all__ = ["LiveFeed"]
