"""How a page of the org's reference records is written: users, queues, lead statuses, flows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Q

from routing_health.config import RoutingConfig
from routing_health.lib.upsert import upsert
from routing_health.models import (
    FlowDefinition,
    FlowVersionChange,
    LeadStatus,
    Queue,
    SalesforceUser,
)
from routing_health.sync.records import (
    MalformedRecord,
    PageResult,
    newest_of,
    parse_all,
    parse_bool,
    parse_datetime,
    parse_id,
    parse_int,
    text,
)


def write_users(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    away_field = config.fairness.out_of_office_field  # [fairness]: optional User checkbox

    def build(r: dict[str, Any]) -> SalesforceUser:
        return SalesforceUser(
            id=parse_id(r.get("Id"), "Id"),
            name=text(r.get("Name")),
            is_active=parse_bool(r.get("IsActive")),
            time_zone_sid_key=text(r.get("TimeZoneSidKey"), 64),
            user_role_id=parse_id(r.get("UserRoleId"), "UserRoleId", required=False),
            system_modstamp=parse_datetime(r.get("SystemModstamp"), "SystemModstamp"),
            out_of_office=parse_bool(r.get(away_field)) if away_field else False,
        )

    rows, skipped = parse_all("User", records, build)
    newest = newest_of(r.system_modstamp for r in rows)
    return PageResult(upsert(SalesforceUser, rows), skipped, newest)


def write_queues(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    def build(r: dict[str, Any]) -> Queue:
        return Queue(
            id=parse_id(r.get("Id"), "Id"),
            name=text(r.get("Name")),
            developer_name=text(r.get("DeveloperName")),
            system_modstamp=parse_datetime(r.get("SystemModstamp"), "SystemModstamp"),
        )

    rows, skipped = parse_all("Group", records, build)
    return PageResult(upsert(Queue, rows), skipped, newest_of(r.system_modstamp for r in rows))


def write_lead_statuses(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    """Small and read in full every run: the stored set is replaced by what Salesforce has."""

    def build(r: dict[str, Any]) -> LeadStatus | None:
        if not r.get("ApiName"):
            raise MalformedRecord("ApiName is missing")
        return LeadStatus(
            api_name=text(r["ApiName"]),
            is_converted=parse_bool(r.get("IsConverted")),
            is_default=parse_bool(r.get("IsDefault")),
        )

    rows, skipped = parse_all("LeadStatus", records, build)
    if rows:
        LeadStatus.objects.exclude(api_name__in=[r.api_name for r in rows]).delete()
    return PageResult(upsert(LeadStatus, rows), skipped, None)


def write_flows(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    """Flows are read in full; a changed active version is kept as an annotation."""

    def build(r: dict[str, Any]) -> FlowDefinition:
        if not r.get("ApiName"):
            raise MalformedRecord("ApiName is missing")
        modified = r.get("LastModifiedDate")
        return FlowDefinition(
            api_name=text(r["ApiName"]),
            label=text(r.get("Label")),
            active_version_id=parse_id(r.get("ActiveVersionId"), "ActiveVersionId", required=False),
            latest_version_id=parse_id(r.get("LatestVersionId"), "LatestVersionId", required=False),
            last_modified_at=parse_datetime(modified, "LastModifiedDate") if modified else None,
        )

    rows, skipped = parse_all("FlowDefinitionView", records, build)
    by = {text(r.get("ApiName")): text(r.get("LastModifiedBy")) for r in records
          if isinstance(r.get("LastModifiedBy"), str)}
    stored = {
        f.api_name: f
        for f in FlowDefinition.objects.filter(api_name__in=[r.api_name for r in rows])
    }
    changes = [
        FlowVersionChange(
            flow_api_name=row.api_name,
            label=row.label,
            old_active_version_id=stored[row.api_name].active_version_id
            if row.api_name in stored
            else "",
            new_active_version_id=row.active_version_id,
            changed_at=row.last_modified_at or datetime.now(UTC),
            # Who last modified the definition: who activated the version (issue 16).
            activated_by=by.get(row.api_name, ""),
        )
        for row in rows
        if row.active_version_id
        and (
            row.api_name not in stored
            or stored[row.api_name].active_version_id != row.active_version_id
        )
    ]
    FlowVersionChange.objects.bulk_create(changes)
    return PageResult(upsert(FlowDefinition, rows), skipped, None)


def write_flow_versions(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    """FlowVersionView (read in full, optional): the version number of each flow version, put
    on the stored activations that do not have it yet. An org where the user cannot read it
    keeps activations without numbers ("a new version" in messages).

    An activation the first sync found already in place has no recorded previous version; it
    is inferred as the highest-numbered **Obsolete** version of the same flow below the active
    one (Salesforce marks a version Obsolete when another is activated over it; one never
    activated stays Draft), and marked inferred."""

    def build(r: dict[str, Any]) -> tuple[str, int, str, str] | None:
        # Records arrive canonical (routing_health.salesforce.records): the number as text.
        number = parse_int(r.get("VersionNumber"), "VersionNumber")
        if number is None:
            raise MalformedRecord("VersionNumber is missing")
        version_id = parse_id(r.get("DurableId") or r.get("Id"), "DurableId")
        flow_id = parse_id(r.get("FlowDefinitionViewId"), "FlowDefinitionViewId",
                           required=False)
        return version_id, number, flow_id, text(r.get("Status"))

    rows, skipped = parse_all("FlowVersionView", records, build)
    numbers = {version_id: number for version_id, number, _, _ in rows}
    flow_of = {version_id: flow_id for version_id, _, flow_id, _ in rows if flow_id}
    obsolete: dict[str, list[tuple[int, str]]] = {}
    for version_id, number, flow_id, status in rows:
        if flow_id and status == "Obsolete":
            obsolete.setdefault(flow_id, []).append((number, version_id))
    # The few stored activations not numbered yet (an org has many more versions than that).
    missing = FlowVersionChange.objects.filter(
        Q(new_version_number__isnull=True) | Q(old_version_number__isnull=True)
    )
    changed = []
    for change in missing:
        new = change.new_version_number or numbers.get(change.new_active_version_id)
        old = change.old_version_number or numbers.get(change.old_active_version_id)
        old_id, inferred = change.old_active_version_id, change.old_version_inferred
        if not old_id and new is not None:
            earlier = [v for v in obsolete.get(flow_of.get(change.new_active_version_id, ""), [])
                       if v[0] < new]
            if earlier:
                old, old_id = max(earlier)
                inferred = True
        if (new, old, old_id) != (change.new_version_number, change.old_version_number,
                                  change.old_active_version_id):
            change.new_version_number, change.old_version_number = new, old
            change.old_active_version_id, change.old_version_inferred = old_id, inferred
            changed.append(change)
    FlowVersionChange.objects.bulk_update(changed, ["new_version_number", "old_version_number",
                                                    "old_active_version_id",
                                                    "old_version_inferred"])
    return PageResult(len(changed), skipped, None)
