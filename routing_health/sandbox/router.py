"""The emulated org's lead router: a small assignment-rule engine run like a record-triggered
flow on leads created through the API.

A lead created through REST (``POST /sobjects/Lead/`` or sObject Collections) gets the holding
owner and is queued; ``delay_seconds`` later on the org's clock the router reads the kill switch
first (when on, the lead goes to the triage owner), then tries the rule entries in order — every
condition of an entry must hold, the first matching entry wins, ``default`` catches the rest.
An entry either assigns an owner (a User ``005…`` or a Queue ``00G…``: the owner change writes
the usual pair of LeadHistory ``Owner`` rows, EntityId then Text) or faults: the lead keeps its
holding owner and the entry's node name (e.g. "Decision: Assign by Territory") is written to
``failed_node_field``. The routing writes are stamped at the due time (CreatedDate + delay), by
``run_as_id`` (default: the org's integration user).

The emulator runs ``Org.route_due()`` before answering every API call, so no client can see a
lead past its due time unrouted; tests move the org's clock instead of sleeping.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .org_setup import KILL_SWITCH_FIELD, KILL_SWITCH_RECORD, KILL_SWITCH_TYPE

if TYPE_CHECKING:
    from .org import Org

EQUALS, IN, BLANK, NOT_BLANK = "equals", "in", "blank", "not blank"
OPERATORS = (EQUALS, IN, BLANK, NOT_BLANK)


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


@dataclass(frozen=True)
class Condition:
    """``field op value``: equals and in compare text case-insensitively, as assignment rules
    do; blank is null or the empty string."""

    field: str
    op: str = EQUALS
    value: Any = None

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ValueError(f"unknown operator {self.op!r}; use one of {OPERATORS}")
        if self.op == IN:
            object.__setattr__(self, "value", tuple(self.value))

    def holds(self, lead: Mapping[str, Any]) -> bool:
        got = lead.get(self.field)
        blank = got is None or got == ""
        if self.op == BLANK:
            return blank
        if self.op == NOT_BLANK:
            return not blank
        wanted = self.value if self.op == IN else (self.value,)
        return not blank and _fold(got) in {_fold(v) for v in wanted}


@dataclass(frozen=True)
class RuleEntry:
    """One ordered entry: all ``conditions`` hold → assign ``owner_id``, or fault at node
    ``fault`` (exactly one of the two)."""

    name: str
    conditions: tuple[Condition, ...] = ()
    owner_id: str | None = None
    fault: str | None = None

    def __post_init__(self) -> None:
        if (self.owner_id is None) == (self.fault is None):
            raise ValueError(f"entry {self.name!r}: give exactly one of owner_id and fault")

    def matches(self, lead: Mapping[str, Any]) -> bool:
        return all(c.holds(lead) for c in self.conditions)


@dataclass(frozen=True)
class KillSwitch:
    """The checkbox the router reads first; when true, leads go to ``triage_owner_id``."""

    triage_owner_id: str
    sobject: str = KILL_SWITCH_TYPE
    record: str = KILL_SWITCH_RECORD
    field: str = KILL_SWITCH_FIELD


@dataclass(frozen=True)
class RouterConfig:
    """The org's routing: ordered ``entries``, a ``default`` entry (its conditions ignored),
    the holding owner new leads get, the delay, the failed-node field, the kill switch."""

    holding_owner_id: str
    entries: tuple[RuleEntry, ...]
    default: RuleEntry
    delay_seconds: float = 0.0
    failed_node_field: str = "Routing_Failed_Node__c"
    run_as_id: str | None = None
    kill_switch: KillSwitch | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RouterConfig:
        """From plain data (JSON/TOML): entries as ``{"name", "when": [[field, op, value],
        …], "owner_id" | "fault"}``; ``kill_switch`` as ``{"triage_owner_id", …}``."""

        def entry(raw: Mapping[str, Any]) -> RuleEntry:
            return RuleEntry(raw["name"], conditions(*raw.get("when", ())), raw.get("owner_id"),
                             raw.get("fault"))

        switch = data.get("kill_switch")
        return cls(
            holding_owner_id=data["holding_owner_id"],
            entries=tuple(entry(e) for e in data.get("entries", ())),
            default=entry(data["default"]),
            delay_seconds=float(data.get("delay_seconds", 0)),
            failed_node_field=data.get("failed_node_field", "Routing_Failed_Node__c"),
            run_as_id=data.get("run_as_id"),
            kill_switch=KillSwitch(**switch) if switch else None,
        )

    def decide(self, lead: Mapping[str, Any], switch_on: bool) -> RuleEntry:
        """The entry that handles ``lead`` (a synthetic "Kill switch" entry when it is on)."""
        if switch_on and self.kill_switch is not None:
            return RuleEntry("Kill switch", owner_id=self.kill_switch.triage_owner_id)
        return next((e for e in self.entries if e.matches(lead)), self.default)


@dataclass
class Router:
    """The configured router of one org and its queue of leads waiting for their due time."""

    config: RouterConfig
    _pending: list[tuple[datetime, int, str]] = field(default_factory=list)
    _seq: int = 0
    routed: list[tuple[str, str]] = field(default_factory=list)  # (lead Id, entry name)

    def enqueue(self, lead_id: str, created: datetime) -> None:
        self._seq += 1
        due = created + timedelta(seconds=self.config.delay_seconds)
        heapq.heappush(self._pending, (due, self._seq, lead_id))

    @property
    def pending(self) -> list[str]:
        return [lead_id for _, _, lead_id in sorted(self._pending)]

    def run_due(self, org: Org, now: datetime) -> list[str]:
        """Route every queued lead due by ``now`` (oldest first); returns their Ids."""
        done = []
        while self._pending and self._pending[0][0] <= now:
            due, _, lead_id = heapq.heappop(self._pending)
            lead = org.get("Lead", lead_id)
            if lead is None or lead.get("IsDeleted") or lead.get("IsConverted"):
                continue
            entry = self.config.decide(lead, self._switch_on(org))
            by_id = self.config.run_as_id or org.default_user_id
            if entry.fault is not None:
                org.update("Lead", lead_id, SystemModstamp=due, LastModifiedDate=due,
                           LastModifiedById=by_id,
                           **{self.config.failed_node_field: entry.fault})
            else:
                org.change_owner(lead_id, entry.owner_id, due, by_id)
            self.routed.append((lead_id, entry.name))
            done.append(lead_id)
        return done

    def _switch_on(self, org: Org) -> bool:
        switch = self.config.kill_switch
        if switch is None or switch.sobject not in org.schemas:
            return False
        row = org.custom_metadata(switch.sobject, switch.record)
        return bool(row and row.get(switch.field))


def demo_router(facts: Mapping[str, Any], *, delay_seconds: float = 60.0) -> RouterConfig:
    """A router for the synthetic org (``facts`` of ``generate_org``): the demo incident's
    region and rating fault at its failed node; a blank region goes to the fallback queue;
    each region goes to the first rep of its pool; anything else to the fallback queue.
    With the kill switch on, leads go to the fallback queue (the demo org has no triage
    queue of its own)."""
    owners = facts["owners"]
    entries: list[RuleEntry] = []
    incident = facts.get("incident")
    if incident:
        entries.append(RuleEntry(incident["failed_node"], (
            Condition("Region__c", EQUALS, incident["region"]),
            Condition("Rating", EQUALS, incident["rating"]),
        ), fault=incident["failed_node"]))
    entries.append(RuleEntry("No region", (Condition("Region__c", BLANK),),
                             owner_id=owners["fallback_queue"]))
    entries += [RuleEntry(f"Region {region}", (Condition("Region__c", EQUALS, region),),
                          owner_id=reps[0])
                for region, reps in owners["reps"].items() if reps]
    return RouterConfig(
        holding_owner_id=owners["holding_queue"], entries=tuple(entries),
        default=RuleEntry("Default", owner_id=owners["fallback_queue"]),
        delay_seconds=delay_seconds, run_as_id=owners["integration_user"],
        kill_switch=KillSwitch(triage_owner_id=owners["fallback_queue"]),
    )


def conditions(*triples: Sequence[Any]) -> tuple[Condition, ...]:
    """``conditions(("Region__c", "equals", "EMEA"), ("Country", "blank"))``."""
    return tuple(Condition(t[0], t[1], t[2] if len(t) > 2 else None) for t in triples)
