"""What a sync run reports: one outcome per object, and the run's outcome over them."""

from __future__ import annotations

from dataclasses import dataclass, field

from routing_health.salesforce import SalesforceClient
from routing_health.sync.objects import OBJECTS

OPTIONAL = {name: spec.optional for name, spec in OBJECTS.items()}


class SyncAborted(Exception):
    """A sync stopped on an error; the message names the object and the cause."""


@dataclass
class ObjectOutcome:
    object_name: str
    mode: str
    pages: int = 0
    fetched: int = 0
    upserted: int = 0
    skipped: int = 0
    seconds: float = 0.0
    error: str = ""
    note: str = ""
    stops_run: bool = False


@dataclass
class SyncOutcome:
    objects: list[ObjectOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every object synced; a failed optional object (flows, calendars) does not count."""
        return all(not o.error or OPTIONAL.get(o.object_name, False) for o in self.objects)

    def summary(self, client: SalesforceClient | None = None) -> str:
        parts = [
            f"{o.object_name} {o.upserted} upserted"
            + (f", {o.skipped} skipped" if o.skipped else "")
            + f" ({o.mode}, {o.pages} page{'s' if o.pages != 1 else ''})"
            + (f" FAILED: {o.error}" if o.error else "")
            + (f" ({o.note})" if o.note else "")
            for o in self.objects
        ]
        usage = ""
        if client is not None and client.usage is not None:
            usage = f"; API usage {client.usage.used}/{client.usage.max}"
        status = "sync finished" if self.ok else "sync FAILED"
        return f"{status}: " + "; ".join(parts) + usage
