"""sObject schemas of the emulated org: field names, Salesforce types, filterable/sortable flags.

Only what Routing Health reads is modelled, with Salesforce's API names and types. `Org.add_field`
adds custom fields (`Region__c`, ...) at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FIELD_TYPES = frozenset(
    {
        "id", "string", "textarea", "picklist", "reference", "datetime", "date", "boolean",
        "double", "currency", "percent", "int", "anyType", "time", "email", "address",
        "location",
    }
)
# Compound fields: read as one structured value through REST, refused by Bulk API 2.0 queries.
COMPOUND_TYPES = frozenset({"address", "location"})
# The component fields a Lead's compound `Address` is made of (JSON key → field).
ADDRESS_COMPONENTS = (
    ("city", "City"), ("country", "Country"), ("countryCode", "CountryCode"),
    ("postalCode", "PostalCode"), ("state", "State"), ("street", "Street"),
)
# Fractional number types: REST JSON writes them as floats (`2500000.0`), Bulk CSV as text.
DOUBLE_TYPES = frozenset({"double", "currency", "percent"})
STRING_TYPES = frozenset({"string", "textarea", "picklist", "email", "time"})
ID_TYPES = frozenset({"id", "reference"})

# Salesforce's FieldDefinition.DataType wording for our types.
_DATA_TYPE_LABEL = {
    "id": "Lookup()", "string": "Text(255)", "textarea": "Long Text Area(32000)",
    "picklist": "Picklist", "reference": "Lookup", "datetime": "Date/Time", "date": "Date",
    "boolean": "Checkbox", "double": "Number(18, 0)",
    "currency": "Currency(16, 2)", "percent": "Percent(3, 2)", "int": "Number(9, 0)",
    "anyType": "Any Type", "time": "Time", "email": "Email", "address": "Address",
    "location": "Geolocation",
}
_SOAP_TYPE = {
    "id": "tns:ID", "reference": "tns:ID", "datetime": "xsd:dateTime", "date": "xsd:date",
    "boolean": "xsd:boolean", "double": "xsd:double",
    "currency": "xsd:double", "percent": "xsd:double", "int": "xsd:int", "anyType": "xsd:anyType",
    "time": "xsd:time", "address": "urn:address", "location": "urn:location",
}


@dataclass(frozen=True)
class FieldSpec:
    """One field: API name, Salesforce type and the describe flags that SOQL enforces."""

    name: str
    type: str
    filterable: bool = True
    sortable: bool = True
    nillable: bool = True
    label: str = ""
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    @property
    def data_type_label(self) -> str:
        if self.type == "reference":
            return f"Lookup({','.join(self.reference_to)})"
        return _DATA_TYPE_LABEL.get(self.type, self.type)

    def describe(self) -> dict[str, object]:
        """The field's entry in `sobjects/{S}/describe` (the subset clients read)."""
        is_text = self.type in STRING_TYPES or self.type in ID_TYPES
        return {
            "name": self.name,
            "label": self.label or _label(self.name),
            "type": self.type,
            "soapType": _SOAP_TYPE.get(self.type, "xsd:string"),
            "length": 18 if self.type in ID_TYPES else (255 if is_text else 0),
            "filterable": self.filterable,
            "sortable": self.sortable,
            "groupable": self.filterable and self.type not in (*DOUBLE_TYPES, "datetime"),
            "nillable": self.nillable,
            "custom": self.custom,
            "calculated": False,
            "createable": self.name not in _SYSTEM_FIELDS,
            "updateable": self.name not in _SYSTEM_FIELDS,
            "idLookup": self.name == "Id",
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "polymorphicForeignKey": len(self.reference_to) > 1,
            "picklistValues": [],
        }


@dataclass
class SObjectSpec:
    """One sObject: its fields by API name (looked up case-insensitively, as SOQL does)."""

    name: str
    key_prefix: str | None
    fields: dict[str, FieldSpec]
    label: str = ""
    virtual: bool = False  # rows computed from the schema (FieldDefinition, EntityDefinition)
    bulk_supported: bool = True
    _lower: dict[str, str] = field(default_factory=dict, repr=False)
    _relationships: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for spec in list(self.fields.values()):
            self._index(spec)

    def _index(self, spec: FieldSpec) -> None:
        self._lower[spec.name.lower()] = spec.name
        if spec.relationship_name:
            self._relationships[spec.relationship_name.lower()] = spec.name

    def add(self, spec: FieldSpec) -> None:
        self.fields[spec.name] = spec
        self._index(spec)

    def field(self, name: str) -> FieldSpec | None:
        canonical = self._lower.get(name.lower())
        return self.fields[canonical] if canonical else None

    def relationship(self, name: str) -> FieldSpec | None:
        """The reference field behind relationship `name` (e.g. `Owner` → `OwnerId`)."""
        canonical = self._relationships.get(name.lower())
        return self.fields[canonical] if canonical else None

    def has(self, name: str) -> bool:
        return name in self.fields


_SYSTEM_FIELDS = frozenset(
    {"Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
     "SystemModstamp", "IsDeleted", "IsArchived"}
)


def _label(name: str) -> str:
    base = name.removesuffix("__c").removesuffix("Id").replace("_", " ") or name
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base).strip()


def _f(name: str, type_: str, **kw: object) -> FieldSpec:
    return FieldSpec(name, type_, **kw)  # type: ignore[arg-type]


def _ref(name: str, to: tuple[str, ...], rel: str | None) -> FieldSpec:
    return FieldSpec(name, "reference", reference_to=to, relationship_name=rel)


def _audit(*, deleted: bool = True) -> list[FieldSpec]:
    out = [
        _f("CreatedDate", "datetime", nillable=False),
        _ref("CreatedById", ("User",), "CreatedBy"),
        _f("LastModifiedDate", "datetime", nillable=False),
        _ref("LastModifiedById", ("User",), "LastModifiedBy"),
        _f("SystemModstamp", "datetime", nillable=False),
    ]
    if deleted:
        out.append(_f("IsDeleted", "boolean", nillable=False))
    return out


def _obj(name: str, prefix: str | None, fields: list[FieldSpec], **kw: object) -> SObjectSpec:
    id_field = _f("Id", "id", nillable=False)
    return SObjectSpec(name, prefix, {f.name: f for f in [id_field, *fields]}, **kw)  # type: ignore[arg-type]


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_OWNER = ("Group", "User")


def standard_objects() -> dict[str, SObjectSpec]:
    """A fresh copy of the standard schema (one per `Org`, so custom fields stay local)."""
    activity_common = [
        _ref("WhoId", ("Contact", "Lead"), "Who"),
        _f("WhatId", "reference"),
        _ref("OwnerId", _OWNER, "Owner"),
        _f("Subject", "string"),
        _f("Type", "picklist"),
        _f("ActivityDate", "date"),
        _f("IsArchived", "boolean", nillable=False),
        *_audit(),
    ]
    objects = [
        _obj("Lead", "00Q", [
            _f("Name", "string"), _f("FirstName", "string"), _f("LastName", "string"),
            _f("Company", "string"), _f("Email", "email"), _f("Website", "string"),
            _f("Country", "string"),
            _f("CountryCode", "picklist"), _f("State", "string"), _f("Street", "textarea"),
            _f("City", "string"), _f("PostalCode", "string"),
            _f("Address", "address", filterable=False, sortable=False),
            _f("LeadSource", "picklist"),
            _f("Rating", "picklist"), _f("Status", "picklist", nillable=False),
            _ref("OwnerId", _OWNER, "Owner"),
            _f("IsConverted", "boolean", nillable=False), _f("ConvertedDate", "date"),
            _ref("ConvertedContactId", ("Contact",), "ConvertedContact"),
            *_audit(),
        ]),
        _obj("LeadHistory", "017", [
            _ref("LeadId", ("Lead",), "Lead"), _f("Field", "picklist"), _f("DataType", "picklist"),
            _f("OldValue", "anyType", filterable=False, sortable=False),
            _f("NewValue", "anyType", filterable=False, sortable=False),
            _f("CreatedDate", "datetime", nillable=False),
            _ref("CreatedById", ("User",), "CreatedBy"),
            _f("IsDeleted", "boolean", nillable=False),
        ]),
        _obj("Task", "00T", [
            _f("TaskSubtype", "picklist"), _f("Status", "picklist"), _f("Priority", "picklist"),
            _f("IsClosed", "boolean", nillable=False), *activity_common,
        ]),
        _obj("Event", "00U", [
            _f("EventSubtype", "picklist"), _f("StartDateTime", "datetime"),
            _f("EndDateTime", "datetime"), _f("DurationInMinutes", "int"), *activity_common,
        ]),
        _obj("User", "005", [
            _f("Name", "string"), _f("FirstName", "string"), _f("LastName", "string"),
            _f("Username", "string"), _f("Alias", "string"), _f("Title", "string"),
            _f("IsActive", "boolean", nillable=False), _f("UserType", "picklist"),
            _f("TimeZoneSidKey", "picklist"), _ref("UserRoleId", ("UserRole",), "UserRole"),
            _f("Email", "email"), *_audit(deleted=False),
        ]),
        _obj("UserRole", "00E", [
            _f("Name", "string"), _f("DeveloperName", "string"),
            _ref("ParentRoleId", ("UserRole",), None), *_audit(deleted=False),
        ]),
        _obj("Group", "00G", [
            _f("Name", "string"), _f("DeveloperName", "string"), _f("Type", "picklist"),
            _f("Email", "email"), *_audit(deleted=False),
        ]),
        _obj("LeadStatus", "01J", [
            _f("ApiName", "string"), _f("MasterLabel", "string"), _f("IsConverted", "boolean"),
            _f("IsDefault", "boolean"), _f("SortOrder", "int"), *_audit(deleted=False),
        ]),
        _obj("FlowDefinitionView", "300", [
            _f("DurableId", "string"), _f("ApiName", "string"), _f("Label", "string"),
            _f("ActiveVersionId", "reference"), _f("LatestVersionId", "reference"),
            _f("IsActive", "boolean"), _f("ProcessType", "picklist"),
            _f("TriggerType", "picklist"), _f("LastModifiedBy", "string"),
            _f("Description", "textarea", filterable=False, sortable=False),
            _f("LastModifiedDate", "datetime"),
        ], bulk_supported=False),
        # One row per version of a flow (API 46.0+); who activated a version is only on
        # FlowDefinitionView.LastModifiedBy: FlowVersionView has no LastModifiedBy field.
        _obj("FlowVersionView", "301", [
            _f("DurableId", "string"),
            _f("FlowDefinitionViewId", "string", reference_to=("FlowDefinitionView",),
               relationship_name="FlowDefinitionView"),
            _f("VersionNumber", "int"), _f("Status", "picklist"), _f("Label", "string"),
            _f("ProcessType", "picklist"), _f("RunInMode", "picklist"),
            _f("ApiVersion", "double"), _f("IsTemplate", "boolean"),
            _f("Description", "string"), _f("LastModifiedDate", "datetime"),
        ], bulk_supported=False),
        _obj("Organization", "00D", [
            _f("Name", "string"), _f("IsSandbox", "boolean", nillable=False),
            _f("OrganizationType", "picklist"), _f("InstanceName", "string"),
            _f("NamespacePrefix", "string"), _f("TimeZoneSidKey", "picklist"),
            *_audit(deleted=False),
        ], bulk_supported=False),
        _obj("Account", "001", [
            _f("Name", "string"), _f("Website", "string"), _f("Industry", "picklist"),
            _ref("OwnerId", ("User",), "Owner"), *_audit(),
        ]),
        _obj("Contact", "003", [
            _f("Name", "string"), _f("FirstName", "string"), _f("LastName", "string"),
            _f("AccountId", "reference"), _f("Email", "email"), _f("LeadSource", "picklist"),
            _ref("OwnerId", ("User",), "Owner"), *_audit(),
        ]),
        _obj("BusinessHours", "01m", [
            _f("Name", "string"), _f("IsActive", "boolean"), _f("IsDefault", "boolean"),
            _f("TimeZoneSidKey", "picklist"),
            *[_f(f"{day}{edge}Time", "time") for day in _WEEKDAYS for edge in ("Start", "End")],
            *_audit(deleted=False),
        ]),
        _obj("Holiday", "0C0", [
            _f("Name", "string"), _f("Description", "textarea", filterable=False, sortable=False),
            _f("ActivityDate", "date"), _f("IsAllDay", "boolean"),
            _f("StartTimeInMinutes", "int"), _f("EndTimeInMinutes", "int"),
            _f("IsRecurrence", "boolean"), *_audit(deleted=False),
        ]),
        _obj("FieldDefinition", None, [
            _f("DurableId", "string"), _f("QualifiedApiName", "string"),
            _f("DeveloperName", "string"), _f("Label", "string"), _f("DataType", "string"),
            _f("IsFieldHistoryTracked", "boolean"), _f("NamespacePrefix", "string"),
            _f("EntityDefinitionId", "string", reference_to=("EntityDefinition",),
               relationship_name="EntityDefinition"),
        ], virtual=True, bulk_supported=False),
        _obj("EntityDefinition", None, [
            _f("DurableId", "string"), _f("QualifiedApiName", "string"),
            _f("DeveloperName", "string"), _f("Label", "string"), _f("KeyPrefix", "string"),
            _f("IsQueryable", "boolean"),
        ], virtual=True, bulk_supported=False),
    ]
    # Polymorphic lookups (OwnerId, WhoId) resolve to the `Name` pseudo-object in SOQL.
    objects.append(_obj("Name", None, [
        _f("Name", "string"), _f("Type", "string"), _f("IsActive", "boolean"),
        _f("Username", "string"), _f("UserRoleId", "reference"), _f("FirstName", "string"),
        _f("LastName", "string"), _f("Email", "email"),
    ], virtual=True, bulk_supported=False))
    specs = {o.name: o for o in objects}
    for spec in specs.values():
        spec.label = spec.label or _label(spec.name)
    return specs


NOT_QUERYABLE = frozenset({"Name"})  # pseudo-object: reachable only through a relationship
