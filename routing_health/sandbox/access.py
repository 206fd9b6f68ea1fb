"""What the emulator refuses a user, and when a query runs too long.

Permissions: Salesforce gates `/limits` and the setup objects behind "View Setup and
Configuration" (`PermissionsViewSetup`). Without it `/limits` answers 403
`[{"errorCode": "INSUFFICIENT_ACCESS", ...}]`, and a setup object is simply not there for the user:
a query on it is refused as `INVALID_TYPE`, like an unknown object. Every user has the
permission unless a test (or a demo knob) revokes it.

Query timeouts: Salesforce stops a query that reads too much with 400 `QUERY_TIMEOUT` ("Your
query request was running for too long."). The emulator imitates it with a row budget per
sObject: a REST query (or `COUNT()`) whose filter matches more rows than the budget times out.
Bulk API 2.0 jobs do not time out: Bulk is how Salesforce expects large reads to be made.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .faults import error_body

VIEW_SETUP = "ViewSetup"  # "View Setup and Configuration"
# Setup objects a user without View Setup and Configuration cannot query.
SETUP_OBJECTS = frozenset({"FlowDefinitionView", "FlowVersionView"})
INSUFFICIENT_ACCESS = error_body(
    "INSUFFICIENT_ACCESS",
    "The REST API limits resource requires the \"View Setup and Configuration\" permission.",
)
QUERY_TIMEOUT = "QUERY_TIMEOUT"
QUERY_TIMEOUT_MESSAGE = "Your query request was running for too long."


@dataclass(frozen=True)
class TimeoutRule:
    """Queries on the sObject matching more than `over_rows` rows time out; `counts` and
    `data` say whether this applies to `COUNT()` queries and to queries returning rows."""

    over_rows: int
    counts: bool = True
    data: bool = True


class Access:
    """Revoked permissions per user and query row budgets per sObject (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revoked: dict[str, set[str]] = {}
        self._timeouts: dict[str, TimeoutRule] = {}
        self.timeouts_answered = 0

    # ------------------------------------------------------------ permissions
    def revoke(self, user_id: str, permission: str = VIEW_SETUP) -> None:
        with self._lock:
            self._revoked.setdefault(user_id, set()).add(permission)

    def grant(self, user_id: str, permission: str = VIEW_SETUP) -> None:
        with self._lock:
            self._revoked.get(user_id, set()).discard(permission)

    def has(self, user_id: str, permission: str = VIEW_SETUP) -> bool:
        with self._lock:
            return permission not in self._revoked.get(user_id, set())

    def hidden_objects(self, user_id: str) -> frozenset[str]:
        """The sObjects this user cannot see."""
        return frozenset() if self.has(user_id, VIEW_SETUP) else SETUP_OBJECTS

    # ------------------------------------------------------------ timeouts
    def set_query_timeout(self, sobject: str, rule: TimeoutRule | None) -> None:
        with self._lock:
            if rule is None:
                self._timeouts.pop(sobject, None)
            else:
                self._timeouts[sobject] = rule

    def times_out(self, sobject: str, *, counting: bool, rows: int) -> bool:
        with self._lock:
            rule = self._timeouts.get(sobject)
            hit = (
                rule is not None
                and rows > rule.over_rows
                and (rule.counts if counting else rule.data)
            )
            if hit:
                self.timeouts_answered += 1
            return hit
