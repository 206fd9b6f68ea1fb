"""Setup-side state of an emulated org: the Organization row (``IsSandbox``), flows and their
versions (FlowDefinitionView / FlowVersionView), and custom metadata types such as the routing
kill switch ``Routing_Switch__mdt``.

Custom metadata records cannot be written through the REST API (Salesforce refuses DML on
``__mdt`` in the Enterprise and Partner APIs); tests and the demo set them here, as an admin
would in Setup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from .schema import FieldSpec, SObjectSpec

FLOW_ACTIVE, FLOW_DRAFT, FLOW_OBSOLETE = "Active", "Draft", "Obsolete"
MDT_KEY_PREFIX = "m00"
VERSION_SPACING = timedelta(days=7)  # add_flow: version n was saved (latest - n) weeks before
# The kill switch the emulator's router reads first (see routing_health/sandbox/router.py).
KILL_SWITCH_TYPE = "Routing_Switch__mdt"
KILL_SWITCH_RECORD = "Lead_Routing"
KILL_SWITCH_FIELD = "Kill_Switch__c"


def _mdt_spec(name: str) -> SObjectSpec:
    fields = [FieldSpec("Id", "id", nillable=False)]
    fields += [FieldSpec(n, "string") for n in ("DeveloperName", "MasterLabel", "Label",
                                                "Language", "NamespacePrefix",
                                                "QualifiedApiName")]
    fields += [FieldSpec("CreatedDate", "datetime", nillable=False),
               FieldSpec("CreatedById", "reference", reference_to=("User",),
                         relationship_name="CreatedBy"),
               FieldSpec("LastModifiedDate", "datetime", nillable=False),
               FieldSpec("LastModifiedById", "reference", reference_to=("User",),
                         relationship_name="LastModifiedBy"),
               FieldSpec("SystemModstamp", "datetime", nillable=False)]
    return SObjectSpec(name, MDT_KEY_PREFIX, {f.name: f for f in fields},
                       label=name.removesuffix("__mdt").replace("_", " "), bulk_supported=False)


class SetupState:
    """Mixed into ``Org``: built on its ``insert``/``update``/``records`` and its lock."""

    # ------------------------------------------------------------------ organization
    def _seed_organization(self, name: str = "Routing Health Emulated Org") -> None:
        self.insert("Organization", {
            "Id": self.org_id, "Name": name, "IsSandbox": False,
            "OrganizationType": "Enterprise Edition", "InstanceName": "EMU1",
            "TimeZoneSidKey": "America/Los_Angeles",
        })

    @property
    def is_sandbox(self) -> bool:
        """``Organization.IsSandbox``: False (production) unless set."""
        return bool(self._data["Organization"][self.org_id]["IsSandbox"])

    @is_sandbox.setter
    def is_sandbox(self, value: bool) -> None:
        self.update("Organization", self.org_id, IsSandbox=bool(value),
                    OrganizationType="Developer Edition" if value else "Enterprise Edition")

    # ------------------------------------------------------------------ flows
    def add_flow(self, api_name: str, *, label: str | None = None, versions: int = 1,
                 active: int | None = None, at: datetime | None = None,
                 by_name: str = "Admin User", version_ids: Iterable[str] | None = None,
                 flow_id: str | None = None, process_type: str = "AutoLaunchedFlow",
                 trigger_type: str | None = "RecordAfterSave") -> tuple[str, list[str]]:
        """A flow definition with ``versions`` versions (1-based ``active`` is the active one,
        None: never activated); returns (definition Id ``300…``, version Ids ``301…``).
        An existing FlowDefinitionView row with this ApiName is reused (loaded orgs)."""
        when = at or self.now()
        with self.lock:
            existing = next((r for r in self.records("FlowDefinitionView")
                             if r.get("ApiName") == api_name), None)
            ids = list(version_ids) if version_ids is not None else [
                self.next_id("FlowVersionView") for _ in range(versions)]
            active_id = ids[active - 1] if active else None
            if existing is None:
                flow_id = self.insert("FlowDefinitionView", {
                    **({"Id": flow_id} if flow_id else {}), "ApiName": api_name,
                    "Label": label or api_name.replace("_", " "),
                    "ActiveVersionId": active_id, "LatestVersionId": ids[-1],
                    "IsActive": active_id is not None and active_id == ids[-1],
                    "ProcessType": process_type, "TriggerType": trigger_type,
                    "LastModifiedBy": by_name, "LastModifiedDate": when,
                })
                self.update("FlowDefinitionView", flow_id, DurableId=flow_id)
            else:
                flow_id = existing["Id"]
                label = label or existing.get("Label")
            for number, version_id in enumerate(ids, 1):
                status = (FLOW_ACTIVE if version_id == active_id
                          else FLOW_OBSOLETE if active and number < active else FLOW_DRAFT)
                self.insert("FlowVersionView", {
                    "Id": version_id, "DurableId": version_id, "FlowDefinitionViewId": flow_id,
                    "VersionNumber": number, "Status": status,
                    "Label": label or api_name.replace("_", " "), "ProcessType": process_type,
                    "RunInMode": "DefaultMode", "ApiVersion": 62.0, "IsTemplate": False,
                    "LastModifiedDate": when - VERSION_SPACING * (len(ids) - number),
                })
        return flow_id, ids

    def add_flow_versions(self, flows: Iterable[Mapping[str, Any]]) -> None:
        """FlowVersionView rows for flows already loaded as FlowDefinitionView rows, from the
        synthetic org's ``facts["flows"]`` (api_name, version_ids, active_version_id,
        last_modified)."""
        for flow in flows:
            ids = list(flow["version_ids"])
            active = flow.get("active_version_id")
            self.add_flow(flow["api_name"], label=flow.get("label"), version_ids=ids,
                          active=ids.index(active) + 1 if active in ids else None,
                          at=flow.get("last_modified"))

    def activate_flow_version(self, api_name: str, version_number: int, *,
                              at: datetime | None = None, by_name: str = "Admin User") -> str:
        """Activate a version as an admin does: the previously active one becomes Obsolete,
        FlowDefinitionView's ActiveVersionId/LastModifiedDate/LastModifiedBy move. Returns the
        version Id."""
        when = at or self.now()
        with self.lock:
            flow = next(r for r in self.records("FlowDefinitionView")
                        if r.get("ApiName") == api_name)
            versions = {r["VersionNumber"]: r for r in self.records("FlowVersionView")
                        if r.get("FlowDefinitionViewId") == flow["Id"]}
            target = versions[version_number]
            for row in versions.values():
                if row["Status"] == FLOW_ACTIVE and row is not target:
                    self.update("FlowVersionView", row["Id"], Status=FLOW_OBSOLETE,
                                LastModifiedDate=when)
            self.update("FlowVersionView", target["Id"], Status=FLOW_ACTIVE,
                        LastModifiedDate=when)
            self.update("FlowDefinitionView", flow["Id"], ActiveVersionId=target["Id"],
                        IsActive=target["Id"] == flow.get("LatestVersionId"),
                        LastModifiedDate=when, LastModifiedBy=by_name)
            return target["Id"]

    # ------------------------------------------------------------------ custom metadata
    def add_custom_metadata_type(self, name: str,
                                 fields: Iterable[tuple[str, str]] = ()) -> None:
        """A custom metadata type ``X__mdt`` with custom fields ``[(name, type)]``."""
        assert name.endswith("__mdt"), name
        with self.lock:
            if name not in self.schemas:
                self.schemas[name] = _mdt_spec(name)
                self._data[name] = {}
            for field_name, type_ in fields:
                if not self.schema(name).has(field_name):
                    self.add_field(name, field_name, type_)

    def set_custom_metadata(self, type_name: str, developer_name: str, *,
                            at: datetime | None = None, label: str | None = None,
                            **values: Any) -> str:
        """Create or update the record ``developer_name`` of a custom metadata type (as a
        deploy from Setup does); returns its Id. Leads already due are routed first, so the
        change does not reach back before now."""
        when = at or self.now()
        with self.lock:
            self.route_due()
            row = next((r for r in self.records(type_name)
                        if r.get("DeveloperName") == developer_name), None)
            if row is None:
                text = label or developer_name.replace("_", " ")
                return self.insert(type_name, {
                    "DeveloperName": developer_name, "MasterLabel": text, "Label": text,
                    "Language": "en_US", "QualifiedApiName": developer_name,
                    "CreatedDate": when, "CreatedById": self.default_user_id,
                    "LastModifiedById": self.default_user_id, **values,
                })
            self.update(type_name, row["Id"], SystemModstamp=when, LastModifiedDate=when,
                        **values)
            return row["Id"]

    def custom_metadata(self, type_name: str, developer_name: str) -> dict[str, Any] | None:
        with self.lock:
            return next((dict(r) for r in self.records(type_name)
                         if r.get("DeveloperName") == developer_name), None)

    def set_kill_switch(self, on: bool, *, at: datetime | None = None,
                        type_name: str = KILL_SWITCH_TYPE, record: str = KILL_SWITCH_RECORD,
                        field: str = KILL_SWITCH_FIELD) -> str:
        """Turn the routing kill switch on or off (creating its type and record if needed)."""
        self.add_custom_metadata_type(type_name, [(field, "boolean")])
        return self.set_custom_metadata(type_name, record, at=at, **{field: bool(on)})

