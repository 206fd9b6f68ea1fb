"""What the sync pulls per Salesforce object, and how a page of records is written.

Value parsing and malformed-record handling live in ``routing_health.sync.records`` (REST JSON
and Bulk API 2.0 CSV alike); business hours and holidays in ``routing_health.sync.calendars``;
users, queues, lead statuses and flows in ``routing_health.sync.reference``.
``OBJECTS`` is the registry, in sync order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from routing_health.config import RoutingConfig
from routing_health.lib.columnar_upsert import upsert_columns
from routing_health.lib.sfid import is_owner_id, is_sf_id, to_18
from routing_health.lib.upsert import upsert
from routing_health.models import (
    Account,
    Activity,
    BusinessHoursRecord,
    FieldChange,
    HolidayRecord,
    Lead,
    OwnerChange,
    StatusChange,
)
from routing_health.sync.activities import (
    link_activities,
    link_activity_columns,
    relink_contact_activities,
)
from routing_health.sync.calendars import (
    BUSINESS_HOURS_FIELDS,
    HOLIDAY_FIELDS,
    pruner,
    write_business_hours,
    write_holidays,
)
from routing_health.sync.columns import (
    Columns,
    json_objects,
    log_skipped,
    mapped,
    mapped_pairs,
    newest,
)
from routing_health.sync.kill_switch import NAME as KILL_SWITCH
from routing_health.sync.kill_switch import check_found, kill_switch_fields, write_kill_switch
from routing_health.sync.records import (
    MalformedRecord,
    PageResult,
    newest_of,
    parse_all,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_id,
    text,
)
from routing_health.sync.reference import (
    write_flow_versions,
    write_flows,
    write_lead_statuses,
    write_queues,
    write_users,
)

log = logging.getLogger(__name__)

LEAD_FIELDS = (
    "Id",
    "Name",
    "Company",
    "Email",
    "Website",
    "CreatedDate",
    "SystemModstamp",
    "OwnerId",
    "Status",
    "IsConverted",
    "ConvertedDate",
    "ConvertedContactId",
    "IsDeleted",
)
HISTORY_FIELDS = (
    "Id",
    "LeadId",
    "Field",
    "DataType",
    "OldValue",
    "NewValue",
    "CreatedDate",
    "CreatedById",
)
ACTIVITY_FIELDS = (
    "Id",
    "WhoId",
    "OwnerId",
    "CreatedDate",
    "SystemModstamp",
    "Subject",
    "IsDeleted",
)


@dataclass(frozen=True)
class ObjectSpec:
    """``prune``: for objects read in full, deletes the stored rows a completed run did not
    write (rows synced before the given instant), so records removed in Salesforce go too."""

    name: str
    sobject: str
    fields: Callable[[RoutingConfig], list[str]]
    write_page: Callable[[list[dict[str, Any]], RoutingConfig], PageResult]
    # The same writer for a Bulk API 2.0 page read as columns (the large objects' backfills);
    # without one, a Bulk page is written as records by ``write_page``.
    write_table: Callable[[pa.Table, RoutingConfig], PageResult] | None = None
    watermark_field: str | None = "SystemModstamp"
    include_deleted: bool = False
    where: tuple[str, ...] = field(default_factory=tuple)
    # The where clause when it depends on the configuration (LeadHistory's tracked fields).
    where_for: Callable[[RoutingConfig], tuple[str, ...]] | None = None
    prune: Callable[[datetime], int] | None = None
    # Annotations and calendars: a failure here must not keep leads from syncing, and an org
    # where the object is not visible to the integration user simply goes without it.
    optional: bool = False
    # An object named by the configuration (the kill switch): the concrete spec for a config,
    # or None when the configuration does not ask for it (the run skips it).
    configure: Callable[[RoutingConfig], ObjectSpec | None] | None = None
    # After every page: a check of the whole run (e.g. "no record matched"); raises
    # ``ObjectProblem`` to fail the object's run.
    finish: Callable[[RoutingConfig, int], None] | None = None

    def for_config(self, config: RoutingConfig) -> ObjectSpec | None:
        return self.configure(config) if self.configure is not None else self



def _kill_switch_spec(config: RoutingConfig) -> ObjectSpec | None:
    switch = config.change_safety.kill_switch
    if switch is None:
        return None
    spec = OBJECTS[KILL_SWITCH]
    return replace(spec, sobject=switch.sobject, where=(switch.where,) if switch.where else (),
                   configure=None)


# -- Lead ------------------------------------------------------------------------------------
def lead_fields(config: RoutingConfig) -> list[str]:
    shadow = config.shadow.api_names() if config.shadow else ()
    extra: list[str] = []
    seen = {name.lower() for name in LEAD_FIELDS}
    # The [shadow] and [data_quality] fields (and the source field) land in raw_fields like
    # the extras.
    for name in (*config.lead_fields.api_names(), *shadow, *config.data_quality.api_names()):
        if name.lower() not in seen:
            seen.add(name.lower())
            extra.append(name)
    return [*LEAD_FIELDS, *extra]


def _candidate_id(value: Any) -> Any:
    """A shadow candidate kept in its 18-character form when it is a Salesforce Id (and blank
    as none), so the lead list's drill-down compares it with the stored owners as text, as the
    engine does (``metrics.shadow.candidate_ids``); anything else as is."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None  # blank: no candidate, as the engine reads it
        return to_18(text) if is_sf_id(text) else value
    return value


def write_leads(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    lf = config.lead_fields
    configured = lead_fields(config)[len(LEAD_FIELDS) :]  # the extras follow the standard ones
    candidate = config.shadow.candidate_field if config.shadow else None
    # Few distinct values per page: map each once.
    region_for = lru_cache(maxsize=4096)(config.region_for)
    tier_for = lru_cache(maxsize=4096)(config.tier_for)

    def build(r: dict[str, Any]) -> Lead:
        raw = {name: r.get(name) for name in configured}
        if candidate in raw:
            raw[candidate] = _candidate_id(raw[candidate])
        return Lead(
            id=parse_id(r.get("Id"), "Id"),
            name=text(r.get("Name")),
            company=text(r.get("Company")),
            email=text(r.get("Email")),
            website=text(r.get("Website")),
            created_at=parse_datetime(r.get("CreatedDate"), "CreatedDate"),
            system_modstamp=parse_datetime(r.get("SystemModstamp"), "SystemModstamp"),
            owner_id=parse_id(r.get("OwnerId"), "OwnerId"),
            status=text(r.get("Status")),
            is_converted=parse_bool(r.get("IsConverted")),
            converted_date=parse_date(r.get("ConvertedDate"), "ConvertedDate"),
            converted_contact_id=parse_id(
                r.get("ConvertedContactId"), "ConvertedContactId", required=False
            ),
            is_deleted=parse_bool(r.get("IsDeleted")),
            region=region_for(
                r.get(lf.region) if lf.region else None, r.get(lf.country) if lf.country else None
            ),
            tier=tier_for(r.get(lf.tier) if lf.tier else None),
            failed_node=text(r.get(lf.failed_node)) if lf.failed_node else "",
            rejection_reason=text(r.get(lf.rejection_reason)) if lf.rejection_reason else "",
            raw_fields={k: (None if v is None else str(v)) for k, v in raw.items()},
        )

    rows, skipped = parse_all("Lead", records, build)
    upserted = upsert(Lead, rows)
    # A lead converted into a Contact may take over activities stored under another lead
    # converted into the same Contact (sync_activities).
    relink_contact_activities(r.converted_contact_id for r in rows)
    return PageResult(upserted, skipped, newest_of(r.system_modstamp for r in rows))


# -- Account (lead-to-account matching, routing_health.metrics.duplicates) --------------------
ACCOUNT_FIELDS = ("Id", "Name", "Website", "OwnerId", "SystemModstamp", "IsDeleted")


def account_fields(config: RoutingConfig) -> list[str]:
    domain = config.duplicates.account_domain_field
    extra = [domain] if domain and domain not in ACCOUNT_FIELDS else []
    return [*ACCOUNT_FIELDS, *extra]


def write_accounts(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    domain = config.duplicates.account_domain_field

    def build(r: dict[str, Any]) -> Account:
        return Account(
            id=parse_id(r.get("Id"), "Id"),
            name=text(r.get("Name")),
            website=text(r.get("Website")),
            domain=text(r.get(domain)) if domain else "",
            owner_id=parse_id(r.get("OwnerId"), "OwnerId", required=False),
            is_deleted=parse_bool(r.get("IsDeleted")),
            system_modstamp=parse_datetime(r.get("SystemModstamp"), "SystemModstamp"),
        )

    rows, skipped = parse_all("Account", records, build)
    return PageResult(upsert(Account, rows), skipped, newest_of(r.system_modstamp for r in rows))


# -- LeadHistory -----------------------------------------------------------------------------
def write_history(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    """Keep the ID row of each owner change and every Status change.

    Salesforce writes two rows per owner change (same CreatedDate): one with Ids
    (DataType 'EntityId') and one with display names. Only the Id row is stored, so a
    change is never counted twice. With DataType null the Id row is the one whose new value
    is an owner Id (``005``/``00G`` key prefix).
    """
    owners: list[OwnerChange] = []
    statuses: list[StatusChange] = []
    tracked = {name.lower(): name for name in config.data_quality.api_names()}
    fields: list[FieldChange] = []
    skipped = 0
    newest: datetime | None = None
    for r in records:
        try:
            created = parse_datetime(r.get("CreatedDate"), "CreatedDate")
            newest = created if newest is None or created > newest else newest
            kind = r.get("Field")
            if kind == "Owner":
                data_type = r.get("DataType")
                # Some orgs send DataType null on both rows: the Id row is then the one whose
                # new value is an owner Id (a User or queue key prefix), not just Id-shaped.
                is_id_row = data_type == "EntityId" or (
                    data_type is None and is_owner_id(r.get("NewValue"))
                )
                if not is_id_row:
                    continue
                owners.append(
                    OwnerChange(
                        id=parse_id(r.get("Id"), "Id"),
                        lead_id=parse_id(r.get("LeadId"), "LeadId"),
                        created_at=created,
                        created_by_id=parse_id(r.get("CreatedById"), "CreatedById", required=False),
                        old_owner_id=parse_id(r.get("OldValue"), "OldValue", required=False),
                        new_owner_id=parse_id(r.get("NewValue"), "NewValue"),
                    )
                )
            elif kind == "Status":
                statuses.append(
                    StatusChange(
                        id=parse_id(r.get("Id"), "Id"),
                        lead_id=parse_id(r.get("LeadId"), "LeadId"),
                        created_at=created,
                        created_by_id=parse_id(r.get("CreatedById"), "CreatedById", required=False),
                        old_status=text(r.get("OldValue")),
                        new_status=text(r.get("NewValue")),
                    )
                )
            elif isinstance(kind, str) and kind.lower() in tracked:
                fields.append(
                    FieldChange(
                        id=parse_id(r.get("Id"), "Id"),
                        lead_id=parse_id(r.get("LeadId"), "LeadId"),
                        field=tracked[kind.lower()],
                        created_at=created,
                        old_value=_history_value(r.get("OldValue")),
                        new_value=_history_value(r.get("NewValue")),
                    )
                )
        except MalformedRecord as exc:
            skipped += 1
            log.warning("sync object=LeadHistory record=%s skipped: %s", r.get("Id") or "?", exc)
    upserted = upsert(OwnerChange, owners) + upsert(StatusChange, statuses)
    upserted += upsert(FieldChange, fields) if fields else 0
    return PageResult(upserted, skipped, newest)


def _history_value(value: Any) -> str | None:
    # Bulk API CSV sends a null OldValue as an empty string: both mean "no value".
    return None if value is None or value == "" else str(value)


def history_where(config: RoutingConfig) -> tuple[str, ...]:
    """Owner and Status changes, and the changes of the [data_quality] fields."""
    names = ["Owner", "Status", *config.data_quality.api_names()]
    quoted = ", ".join(f"'{name}'" for name in dict.fromkeys(names))
    return (f"Field IN ({quoted})",)


# -- Task / Event ----------------------------------------------------------------------------
def _activity_writer(kind: str) -> Callable[[list[dict[str, Any]], RoutingConfig], PageResult]:
    def write(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
        def build(r: dict[str, Any]) -> Activity:
            return Activity(
                id=parse_id(r.get("Id"), "Id"),
                kind=kind,
                who_id=parse_id(r.get("WhoId"), "WhoId", required=False),
                owner_id=parse_id(r.get("OwnerId"), "OwnerId", required=False),
                created_at=parse_datetime(r.get("CreatedDate"), "CreatedDate"),
                system_modstamp=parse_datetime(r.get("SystemModstamp"), "SystemModstamp"),
                subject=text(r.get("Subject")),
                is_deleted=parse_bool(r.get("IsDeleted")),
            )

        rows, skipped = parse_all(kind, records, build)
        newest = newest_of(r.system_modstamp for r in rows)
        kept = link_activities(rows)
        return PageResult(upsert(Activity, kept), skipped, newest)

    return write


# -- Bulk pages as columns (issue 18): the writers above, one column at a time ---------------
def write_leads_table(table: pa.Table, config: RoutingConfig) -> PageResult:
    """``write_leads`` for a Bulk page: same rows, same skipped records and messages."""
    lf = config.lead_fields
    configured = lead_fields(config)[len(LEAD_FIELDS) :]
    candidate = config.shadow.candidate_field if config.shadow else None
    c = Columns(table)
    columns: dict[str, Any] = {
        "id": c.ids("Id"),
        "name": c.texts("Name"),
        "company": c.texts("Company"),
        "email": c.texts("Email"),
        "website": c.texts("Website"),
        "created_at": c.datetimes("CreatedDate"),
        "system_modstamp": c.datetimes("SystemModstamp"),
        "owner_id": c.ids("OwnerId"),
        "status": c.texts("Status"),
        "is_converted": c.bools("IsConverted"),
        "converted_date": c.dates("ConvertedDate"),
        "converted_contact_id": c.ids("ConvertedContactId", required=False),
        "is_deleted": c.bools("IsDeleted"),
    }
    none = np.full(c.n, None, dtype=object)
    columns["region"] = mapped_pairs(
        c.values(lf.region) if lf.region else none,
        c.values(lf.country) if lf.country else none,
        config.region_for,
    )
    columns["tier"] = mapped(c.values(lf.tier) if lf.tier else none, config.tier_for)
    columns["failed_node"] = c.texts(lf.failed_node)
    columns["rejection_reason"] = c.texts(lf.rejection_reason)
    raw = [c.values(name) for name in configured]
    if candidate in configured:
        at = configured.index(candidate)
        raw[at] = mapped(raw[at], _candidate_id)
    columns["raw_fields"] = json_objects(configured, raw, c.n)
    keep = c.ok()
    skipped = log_skipped("Lead", [c])
    kept = _kept(columns, keep)
    upserted = upsert_columns(Lead, kept)
    relink_contact_activities(kept["converted_contact_id"].tolist())
    return PageResult(upserted, skipped, newest(columns["system_modstamp"], keep))


def write_history_table(table: pa.Table, config: RoutingConfig) -> PageResult:
    """``write_history`` for a Bulk page: the Id row of each owner change, every Status
    change and the changes of the tracked fields; same skipped records and messages."""
    tracked = {name.lower(): name for name in config.data_quality.api_names()}
    page = Columns(table)
    created = page.datetimes("CreatedDate")
    dated = page.ok()
    newest_created = newest(created, dated)
    kind = page.values("Field")
    data_type = page.values("DataType")
    is_owner = (kind == "Owner") & dated
    id_row = (data_type == "EntityId") | (pd.isna(data_type) & page.is_owner_id("NewValue"))
    is_status = (kind == "Status") & dated
    lowered = pd.Series(kind, dtype=object).str.lower()
    is_field = dated & ~is_owner & ~is_status & lowered.isin(list(tracked)).to_numpy()
    upserted = 0

    owners = page.subset(is_owner & id_row)
    columns = {
        "id": owners.ids("Id"),
        "lead_id": owners.ids("LeadId"),
        "created_at": created[is_owner & id_row],
        "created_by_id": owners.ids("CreatedById", required=False),
        "old_owner_id": owners.ids("OldValue", required=False),
        "new_owner_id": owners.ids("NewValue"),
    }
    upserted += upsert_columns(OwnerChange, _kept(columns, owners.ok()))

    statuses = page.subset(is_status)
    columns = {
        "id": statuses.ids("Id"),
        "lead_id": statuses.ids("LeadId"),
        "created_at": created[is_status],
        "created_by_id": statuses.ids("CreatedById", required=False),
        "old_status": statuses.texts("OldValue"),
        "new_status": statuses.texts("NewValue"),
    }
    upserted += upsert_columns(StatusChange, _kept(columns, statuses.ok()))

    changes = page.subset(is_field)
    if changes.n:
        columns = {
            "id": changes.ids("Id"),
            "lead_id": changes.ids("LeadId"),
            "field": np.array(
                [tracked[k] for k in lowered[is_field]], dtype=object
            ),
            "created_at": created[is_field],
            "old_value": changes.values("OldValue"),
            "new_value": changes.values("NewValue"),
        }
        upserted += upsert_columns(FieldChange, _kept(columns, changes.ok()))
    skipped = log_skipped("LeadHistory", [page, owners, statuses, changes])
    return PageResult(upserted, skipped, newest_created)


def _kept(columns: dict[str, Any], keep: np.ndarray) -> dict[str, Any]:
    return {name: values[keep] for name, values in columns.items()}


def _activity_table_writer(kind: str) -> Callable[[pa.Table, RoutingConfig], PageResult]:
    def write(table: pa.Table, config: RoutingConfig) -> PageResult:
        c = Columns(table)
        columns: dict[str, Any] = {
            "id": c.ids("Id"),
            "who_id": c.ids("WhoId", required=False),
            "owner_id": c.ids("OwnerId", required=False),
            "created_at": c.datetimes("CreatedDate"),
            "system_modstamp": c.datetimes("SystemModstamp"),
            "subject": c.texts("Subject"),
            "is_deleted": c.bools("IsDeleted"),
        }
        keep = c.ok()
        skipped = log_skipped(kind, [c])
        columns = _kept(columns, keep)
        columns["kind"] = np.full(int(keep.sum()), kind, dtype=object)
        linked = link_activity_columns(columns)
        return PageResult(
            upsert_columns(Activity, linked), skipped, newest(columns["system_modstamp"],
                                                              np.ones(int(keep.sum()), bool))
        )

    return write


OBJECTS: dict[str, ObjectSpec] = {
    spec.name: spec
    for spec in (
        ObjectSpec(
            "User",
            "User",
            lambda c: ["Id", "Name", "IsActive", "TimeZoneSidKey", "UserRoleId", "SystemModstamp",
                       *([c.fairness.out_of_office_field] if c.fairness.out_of_office_field
                         else [])],
            write_users,
        ),
        ObjectSpec(
            "Group",
            "Group",
            lambda c: ["Id", "Name", "DeveloperName", "SystemModstamp"],
            write_queues,
            where=("Type = 'Queue'",),
        ),
        ObjectSpec(
            "LeadStatus",
            "LeadStatus",
            lambda c: ["ApiName", "IsConverted", "IsDefault"],
            write_lead_statuses,
            watermark_field=None,
        ),
        ObjectSpec(
            "FlowDefinitionView",
            "FlowDefinitionView",
            lambda c: [
                "ApiName",
                "Label",
                "ActiveVersionId",
                "LatestVersionId",
                "LastModifiedDate",
                "LastModifiedBy",
            ],
            write_flows,
            watermark_field=None,
            optional=True,
        ),
        # Version numbers of the activations above (issue 16); optional like the flows.
        ObjectSpec(
            "FlowVersionView",
            "FlowVersionView",
            lambda c: ["DurableId", "VersionNumber", "Status", "FlowDefinitionViewId"],
            write_flow_versions,
            watermark_field=None,
            optional=True,
        ),
        # Small and read in full through REST each run, before the leads they time.
        ObjectSpec(
            "BusinessHours",
            "BusinessHours",
            lambda c: list(BUSINESS_HOURS_FIELDS),
            write_business_hours,
            watermark_field=None,
            prune=pruner(BusinessHoursRecord),
            optional=True,
        ),
        ObjectSpec(
            "Holiday",
            "Holiday",
            lambda c: list(HOLIDAY_FIELDS),
            write_holidays,
            watermark_field=None,
            prune=pruner(HolidayRecord),
            optional=True,
        ),
        # The routing kill switch (issue 16), when [change_safety.kill_switch] names it: read
        # before the leads, whose outcome depends on it.
        ObjectSpec(
            KILL_SWITCH, "", kill_switch_fields, write_kill_switch, watermark_field=None,
            optional=True, configure=_kill_switch_spec, finish=check_found,
        ),
        # Incremental like the leads; optional: an org hiding Account from the integration
        # user syncs without lead-to-account matching.
        ObjectSpec(
            "Account", "Account", account_fields, write_accounts, include_deleted=True,
            optional=True,
        ),
        ObjectSpec(
            "Lead", "Lead", lead_fields, write_leads, include_deleted=True,
            write_table=write_leads_table,
        ),
        ObjectSpec(
            "LeadHistory",
            "LeadHistory",
            lambda c: list(HISTORY_FIELDS),
            write_history,
            write_table=write_history_table,
            watermark_field="CreatedDate",
            where=("Field IN ('Owner', 'Status')",),
            where_for=history_where,
        ),
        ObjectSpec(
            "Task",
            "Task",
            lambda c: list(ACTIVITY_FIELDS),
            _activity_writer("Task"),
            write_table=_activity_table_writer("Task"),
            include_deleted=True,
            where=("WhoId != null",),
        ),
        ObjectSpec(
            "Event",
            "Event",
            lambda c: list(ACTIVITY_FIELDS),
            _activity_writer("Event"),
            write_table=_activity_table_writer("Event"),
            include_deleted=True,
            where=("WhoId != null",),
        ),
    )
}

