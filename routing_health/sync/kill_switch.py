"""The routing kill switch (``[change_safety.kill_switch]``, spec section 10): read every sync
run, kept as a list of changes (``KillSwitchChange``).

The configured object is queried in full through REST, ``SELECT Id, <field>, LastModifiedDate,
LastModifiedById FROM <object> [WHERE <where>] LIMIT 2``; it must match exactly one record (none
or two is an error naming the object and the filter, and nothing is stored). A state that
differs from the last stored one is a change; since when:

- the record's ``LastModifiedDate`` when it lies after the previous observation (the switch was
  flipped between two runs, and saving the record is what flipped it), not in the future;
- else the time of this observation (the record was saved earlier for another reason, or the
  clocks disagree): the change is dated no earlier than it can be known.

The latest change's ``observed_at`` moves to each run that still sees the same state, so the
next change is dated within the gap between two runs at worst.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from routing_health.config import RoutingConfig
from routing_health.models import KillSwitchChange, SalesforceUser
from routing_health.sync.records import (
    ObjectProblem,
    PageResult,
    parse_bool,
    parse_datetime,
    parse_id,
    text,
)

NAME = "KillSwitch"  # SyncRun.object_name
MSG_NONE = ("no {sobject} record matches {where}: the kill switch must be exactly one record "
            "(set [change_safety.kill_switch] where)")
MSG_MANY = ("more than one {sobject} record matches {where}: the kill switch must be exactly one "
            "record (set [change_safety.kill_switch] where)")
MSG_NO_FIELD = "{sobject} record {record} has no {field} value in the query result"


def kill_switch_fields(config: RoutingConfig) -> list[str]:
    switch = config.change_safety.kill_switch
    assert switch is not None
    return ["Id", switch.field, "LastModifiedDate", "LastModifiedById"]


def _filter_words(config: RoutingConfig) -> str:
    switch = config.change_safety.kill_switch
    assert switch is not None
    return f"`{switch.where}`" if switch.where else "(no filter)"


def write_kill_switch(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    """Store the switch's state when it changed (see the module doc)."""
    switch = config.change_safety.kill_switch
    assert switch is not None
    if len(records) > 1:
        raise ObjectProblem(MSG_MANY.format(sobject=switch.sobject, where=_filter_words(config)))
    if not records:
        return PageResult()
    record = records[0]
    record_id = parse_id(record.get("Id"), "Id", required=False)
    if switch.field not in record:
        raise ObjectProblem(MSG_NO_FIELD.format(sobject=switch.sobject, record=record_id or "?",
                                                field=switch.field))
    is_on = parse_bool(record.get(switch.field))
    modified_raw = record.get("LastModifiedDate")
    modified = parse_datetime(modified_raw, "LastModifiedDate") if modified_raw else None
    return PageResult(int(observe(is_on, modified=modified, record_id=record_id,
                                  changed_by_id=text(record.get("LastModifiedById")))), 0, None)


def observe(is_on: bool, *, modified: datetime | None, record_id: str = "",
            changed_by_id: str = "", now: datetime | None = None) -> bool:
    """Record one observation of the switch; ``True`` when it is a change."""
    now = now or timezone.now()
    last = KillSwitchChange.objects.order_by("-changed_at", "-id").first()
    if last is not None and last.is_on == is_on:
        KillSwitchChange.objects.filter(pk=last.pk).update(observed_at=max(now, last.observed_at))
        return False
    after_last = last is None or (modified is not None and modified > last.observed_at)
    since = modified if modified is not None and after_last and modified <= now else now
    if last is not None and since < last.changed_at:
        since = now
    name = ""
    if changed_by_id and since == modified:
        name = (SalesforceUser.objects.filter(id=changed_by_id)
                .values_list("name", flat=True).first() or "")
    KillSwitchChange.objects.create(is_on=is_on, changed_at=since, observed_at=now,
                                    record_id=record_id, changed_by=name)
    return True


def check_found(config: RoutingConfig, fetched: int) -> None:
    """After the run: no record at all is an error (the filter or object is wrong)."""
    switch = config.change_safety.kill_switch
    if switch is not None and fetched == 0:
        raise ObjectProblem(MSG_NONE.format(sobject=switch.sobject, where=_filter_words(config)))
