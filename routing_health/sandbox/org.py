"""An in-memory Salesforce org: records per sObject plus the domain writes Salesforce performs.

Records are dicts keyed by Salesforce API field names holding Python values (`str`, `bool`,
`int`/`float`, `None`, aware-UTC `datetime` for datetime fields, `datetime.date` for date fields).
Writes replace a record's dict instead of mutating it, so query cursors and Bulk jobs that hold
references keep the snapshot they were started with. Treat dicts returned by `records()` as
read-only; `get()` returns a copy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from .domain_writes import DomainWrites
from .ids import ORG_ID_BASE, _utc, new_id, to_id18
from .org_setup import SetupState
from .router import Router, RouterConfig
from .schema import FieldSpec, SObjectSpec, standard_objects

DEFAULT_LEAD_STATUSES = (
    ("Open - Not Contacted", False, True),
    ("Working - Contacted", False, False),
    ("Closed - Converted", True, False),
    ("Closed - Not Converted", False, False),
)


class Org(DomainWrites, SetupState):
    """An in-memory org. All public methods are thread-safe (one re-entrant lock). The domain
    writes (owner and status changes, conversions, activities) come from ``DomainWrites``; the
    Organization row, flows and custom metadata from ``SetupState``; the lead router is
    ``router`` (None: leads created through the API stay with their owner)."""

    def __init__(self, *, seed_defaults: bool = True, clock: Callable[[], datetime] | None = None,
                 router: RouterConfig | None = None):
        self.lock = threading.RLock()
        self.schemas: dict[str, SObjectSpec] = standard_objects()
        self._data: dict[str, dict[str, dict[str, Any]]] = {
            name: {} for name, spec in self.schemas.items() if not spec.virtual
        }
        self._prefixes = {s.key_prefix: s.name for s in self.schemas.values() if s.key_prefix}
        self._counters: dict[str, int] = {}
        # Salesforce's delete log (what `/sobjects/<Type>/deleted/` reads): Id -> deletedDate,
        # for records in the recycle bin and for purged ones alike. Entries deleted before
        # `delete_log_floor` are gone (the log is trimmed), as after a large purge.
        self._delete_log: dict[str, dict[str, datetime]] = {}
        self.delete_log_floor: datetime | None = None
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.history_tracked: set[str] = {"OwnerId", "Status"}
        self.record_created_history = False  # Salesforce's `created` LeadHistory row, if wanted
        # Some orgs return owner-change rows with DataType null (both the Id row and the name
        # row); set False to emulate them.
        self.owner_history_data_type = True
        self.org_id = new_id("00D", 1)
        self.default_user_id = new_id("005", ORG_ID_BASE - 1)  # who "did" a write without by_id
        self.router: Router | None = None
        self._seed_organization()
        if seed_defaults:
            for order, (label, converted, default) in enumerate(DEFAULT_LEAD_STATUSES, 1):
                self.insert("LeadStatus", {"ApiName": label, "MasterLabel": label,
                                           "IsConverted": converted, "IsDefault": default,
                                           "SortOrder": order})
        if router is not None:
            self.configure_router(router)

    # ------------------------------------------------------------------ routing
    def configure_router(self, config: RouterConfig | None) -> None:
        """Route API-created leads with ``config`` (None: no router); adds the failed-node
        field to Lead when the org lacks it."""
        with self.lock:
            if config is not None and not self.schema("Lead").has(config.failed_node_field):
                self.add_field("Lead", config.failed_node_field, "string")
            self.router = Router(config) if config is not None else None

    def route_due(self) -> list[str]:
        """Route the queued leads whose delay has passed on the org's clock; their Ids."""
        with self.lock:
            return self.router.run_due(self, self.now()) if self.router else []

    # ------------------------------------------------------------------ schema
    def now(self) -> datetime:
        """The org's current time, aware UTC, truncated to milliseconds like Salesforce."""
        return _utc(self.clock())

    def schema(self, sobject: str) -> SObjectSpec:
        try:
            return self.schemas[sobject]
        except KeyError:
            raise KeyError(f"unknown sObject {sobject!r}") from None

    def describe(self, sobject: str) -> SObjectSpec | None:
        """Case-insensitive schema lookup, as SOQL resolves `FROM lead`."""
        for name, spec in self.schemas.items():
            if name.lower() == sobject.lower():
                return spec
        return None

    def add_field(self, sobject: str, name: str, type: str, *, filterable: bool = True,
                  sortable: bool = True, label: str = "") -> None:
        """Add a (custom) field such as `Region__c`; existing records read it as null."""
        with self.lock:
            self.schema(sobject).add(FieldSpec(name, type, filterable=filterable,
                                               sortable=sortable, label=label))

    def sobject_for_id(self, record_id: str) -> str | None:
        return self._prefixes.get(record_id[:3])

    # ------------------------------------------------------------------ CRUD
    def next_id(self, sobject: str) -> str:
        """A fresh Id for a new `sobject` record."""
        prefix = self.schema(sobject).key_prefix
        assert prefix, f"{sobject} has no key prefix"
        return self.next_id_for_prefix(prefix)

    def next_id_for_prefix(self, prefix: str) -> str:
        """A fresh Id with key prefix `prefix` (also for non-records: 750 jobs, 01g cursors)."""
        with self.lock:
            n = self._counters.get(prefix, ORG_ID_BASE) + 1
            self._counters[prefix] = n
        return new_id(prefix, n)

    def _defaults(self, spec: SObjectSpec, at: datetime) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
            if spec.has(name):
                out[name] = at
        for name in ("IsDeleted", "IsArchived", "IsConverted", "IsClosed"):
            if spec.has(name):
                out[name] = False
        return out

    def insert(self, sobject: str, record: dict[str, Any]) -> str:
        """Insert one record (validated) and return its Id; system fields default to now."""
        spec = self.schema(sobject)
        clean = {}
        for key, value in record.items():
            field = spec.fields.get(key)
            if field is None:
                raise KeyError(f"No such column {key!r} on entity {sobject!r}")
            clean[key] = self._coerce(field, value)
        with self.lock:
            at = clean.get("CreatedDate") or self.now()
            row = {**self._defaults(spec, at), **clean}
            if not row.get("Id"):
                row["Id"] = self.next_id(sobject)
            if spec.has("LastModifiedDate") and "LastModifiedDate" not in clean:
                row["LastModifiedDate"] = row.get("SystemModstamp", at)
            if sobject in ("Lead", "Contact") and not row.get("Name"):
                parts = (row.get("FirstName"), row.get("LastName"))
                row["Name"] = " ".join(p for p in parts if p) or None
            self._data[sobject][row["Id"]] = row
            if sobject == "Lead" and self.record_created_history:
                self._history(row["Id"], "created", "Text", None, None, at,
                              row.get("CreatedById"))
        return row["Id"]

    def insert_many(self, sobject: str, records: Iterable[dict[str, Any]]) -> list[str]:
        """Fast bulk load: no validation or coercion (pass aware-UTC datetimes, 18-char Ids);
        fills Id, Name and boolean/timestamp defaults. Returns the Ids in input order."""
        spec = self.schema(sobject)
        store = self._data[sobject]
        ids = []
        with self.lock:
            defaults = self._defaults(spec, self.now())
            has_modstamp = "SystemModstamp" in defaults
            has_modified = "LastModifiedDate" in defaults
            named = sobject in ("Lead", "Contact")
            for record in records:
                row = {**defaults, **record}
                if "Id" not in record:
                    row["Id"] = self.next_id(sobject)
                created = row.get("CreatedDate")
                if has_modstamp and created is not None and "SystemModstamp" not in record:
                    row["SystemModstamp"] = created
                if has_modified and created is not None and "LastModifiedDate" not in record:
                    row["LastModifiedDate"] = row.get("SystemModstamp", created)
                if named and not row.get("Name"):
                    parts = (row.get("FirstName"), row.get("LastName"))
                    row["Name"] = " ".join(p for p in parts if p) or None
                store[row["Id"]] = row
                ids.append(row["Id"])
        return ids

    def load(self, tables: Mapping[str, Iterable[dict[str, Any]]], *,
             custom_fields: Mapping[str, Iterable[tuple[str, str]]] | None = None,
             ) -> dict[str, int]:
        """Bulk-load whole tables (e.g. a synthetic org: `{s: syn.records(s) for s in
        syn.tables}` with `custom_fields=syn.custom_fields`); returns rows loaded per sObject.
        Build the Org with `seed_defaults=False` when the tables bring their own LeadStatus."""
        for sobject, fields in (custom_fields or {}).items():
            for name, type_ in fields:
                if not self.schema(sobject).has(name):
                    self.add_field(sobject, name, type_)
        return {sobject: len(self.insert_many(sobject, rows)) for sobject, rows in tables.items()}

    def update(self, sobject: str, record_id: str, **fields: Any) -> None:
        """Change fields; SystemModstamp/LastModifiedDate move to now unless given."""
        spec = self.schema(sobject)
        with self.lock:
            old = self._data[sobject][record_id]
            changes = {k: self._coerce(spec.fields[k], v) for k, v in fields.items()}
            at = self.now()
            for name in ("SystemModstamp", "LastModifiedDate"):
                if spec.has(name) and name not in changes:
                    changes[name] = changes.get("SystemModstamp", at)
            self._data[sobject][record_id] = {**old, **changes}

    def delete(self, sobject: str, record_id: str, at: datetime | None = None) -> None:
        """Soft-delete (to the recycle bin): IsDeleted=true, SystemModstamp := the deletion
        time; afterwards only queryAll returns the record, and the delete log lists it."""
        with self.lock:
            when = _utc(at) if at else self.now()
            self.update(sobject, record_id, IsDeleted=True, SystemModstamp=when)
            self._delete_log.setdefault(sobject, {})[record_id] = when

    def purge(self, sobject: str, record_id: str, at: datetime | None = None) -> None:
        """Remove a record for good: emptied from the recycle bin, or hard-deleted (Bulk API
        ``hardDelete``) when it was not deleted before. No query, not even queryAll, returns
        it again; the delete log keeps it (with its first deletion time) until trimmed."""
        with self.lock:
            if record_id not in self._data[sobject]:
                raise KeyError(f"no {sobject} record {record_id!r}")
            log = self._delete_log.setdefault(sobject, {})
            if record_id not in log:
                log[record_id] = _utc(at) if at else self.now()
            del self._data[sobject][record_id]

    def deleted_since(self, sobject: str, start: datetime, end: datetime) -> list[
            tuple[str, datetime]]:
        """(Id, deletedDate) of the delete log entries with ``start <= deletedDate <= end``,
        oldest first; entries before ``delete_log_floor`` are no longer in the log."""
        with self.lock:
            entries = self._delete_log.get(sobject, {}).items()
            floor = self.delete_log_floor
            return sorted(
                ((record_id, when) for record_id, when in entries
                 if start <= when <= end and (floor is None or when >= floor)),
                key=lambda item: (item[1], item[0]),
            )

    def get(self, sobject: str, record_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._data[sobject].get(record_id)
            return dict(row) if row is not None else None

    def records(self, sobject: str) -> list[dict[str, Any]]:
        """All stored records of `sobject` (deleted included), as read-only live dicts."""
        spec = self.schema(sobject)
        with self.lock:
            if spec.virtual:
                return self._virtual_rows(spec.name)
            return list(self._data[sobject].values())

    def count(self, sobject: str) -> int:
        return len(self._data[sobject])

    @staticmethod
    def _coerce(field: FieldSpec, value: Any) -> Any:
        if value is None:
            return None
        if field.type == "datetime":
            if not isinstance(value, datetime):
                raise TypeError(f"{field.name}: expected datetime, got {value!r}")
            return _utc(value)
        if field.type == "date":
            if isinstance(value, datetime) or not isinstance(value, date):
                raise TypeError(f"{field.name}: expected date, got {value!r}")
        elif field.type == "boolean" and not isinstance(value, bool):
            raise TypeError(f"{field.name}: expected bool, got {value!r}")
        elif field.type in ("id", "reference") and isinstance(value, str) and len(value) == 15:
            return to_id18(value) or value
        return value

    # ------------------------------------------------------------------ relationships
    def related(self, target: str, value: Any) -> dict[str, Any] | None:
        """The record a reference value points at (`Name` for polymorphic lookups)."""
        if value is None:
            return None
        if target == "EntityDefinition":
            spec = self.schemas.get(value)
            return self._entity_row(spec) if spec and not spec.virtual else None
        if target == "Name":
            sobject = self.sobject_for_id(value)
            row = self._data.get(sobject or "", {}).get(value)
            if row is None:
                return None
            kind = "Queue" if sobject == "Group" and row.get("Type") == "Queue" else sobject
            name_row = {k: row.get(k) for k in self.schemas["Name"].fields}
            name_row.update(Id=value, Type=kind, _sobject=sobject)
            return name_row
        return self._data.get(target, {}).get(value)

    def _entity_row(self, spec: SObjectSpec) -> dict[str, Any]:
        return {"Id": spec.name, "DurableId": spec.name, "QualifiedApiName": spec.name,
                "DeveloperName": spec.name.removesuffix("__c"), "Label": spec.label,
                "KeyPrefix": spec.key_prefix, "IsQueryable": True}

    def _virtual_rows(self, sobject: str) -> list[dict[str, Any]]:
        entities = [s for s in self.schemas.values() if not s.virtual]
        if sobject == "EntityDefinition":
            return [self._entity_row(s) for s in entities]
        if sobject != "FieldDefinition":
            return []
        rows = []
        for entity in entities:
            for f in entity.fields.values():
                durable = f"{entity.name}.{f.name}"
                rows.append({
                    "Id": durable, "DurableId": durable, "QualifiedApiName": f.name,
                    "DeveloperName": f.name.removesuffix("__c"),
                    "Label": f.describe()["label"], "DataType": f.data_type_label,
                    "IsFieldHistoryTracked": entity.name == "Lead"
                    and f.name in self.history_tracked,
                    "NamespacePrefix": None, "EntityDefinitionId": entity.name,
                })
        return rows
