"""What ``check_config`` verifies against the connected org, as a list of findings."""

from __future__ import annotations

from dataclasses import dataclass

from routing_health.config import RoutingConfig
from routing_health.lib.sfid import QUEUE_PREFIX, USER_PREFIX
from routing_health.salesforce import (
    SalesforceAuthError,
    SalesforceClient,
    SalesforceError,
    SalesforceLimitError,
    soql_literal,
)
from routing_health.sync.objects import lead_fields

HISTORY_FIELDS_REQUIRED = {"OwnerId": "Owner", "Status": "Status"}
# Describe types of compound fields: Bulk API 2.0 refuses to select them.
COMPOUND_FIELD_TYPES = {"address": "Address", "location": "Geolocation"}


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    detail: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"[{mark}] {self.what}" + (f": {self.detail}" if self.detail else "")


def check_org(client: SalesforceClient, config: RoutingConfig) -> list[Finding]:
    """Connect, then check fields, history tracking and configured owners."""
    findings: list[Finding] = []
    try:
        usage = client.refresh_usage()
    except SalesforceError as exc:
        return [Finding(False, "connect to Salesforce", str(exc))]
    findings.append(
        Finding(
            True,
            "connect to Salesforce",
            f"{client.instance_url}"
            + (f", API usage {usage.used}/{usage.max}" if usage else "")
            + (f" ({client.usage_warning})" if client.usage_warning else ""),
        )
    )
    findings += _check_lead_fields(client, config)
    findings += _check_history_tracking(client)
    findings += _check_owners(client, config)
    return findings


def _check_lead_fields(client: SalesforceClient, config: RoutingConfig) -> list[Finding]:
    try:
        describe = client.describe("Lead")
    except SalesforceError as exc:
        return [Finding(False, "describe Lead", str(exc))]
    types = {f["name"]: f.get("type", "") for f in describe.get("fields", [])}
    wanted = lead_fields(config)
    missing = [name for name in wanted if name not in types]
    if missing:
        return [
            Finding(False, f"Lead field {name}", "does not exist (or is not visible to this user)")
            for name in missing
        ]
    compound = [
        Finding(
            False,
            f"{'data_quality.fields' if key == 'data_quality' else 'lead_fields.' + key}"
            f" = {name!r}",
            f"is a compound {COMPOUND_FIELD_TYPES[types[name]]} field, which Bulk API 2.0 "
            "cannot read (FUNCTIONALITY_NOT_ENABLED); configure one of its component fields "
            "instead (Street, City, State, PostalCode, Country...)",
        )
        for key, name in _configured_lead_fields(config)
        if types.get(name) in COMPOUND_FIELD_TYPES
    ]
    return compound or [Finding(True, "Lead fields", ", ".join(wanted))]


def _configured_lead_fields(config: RoutingConfig) -> list[tuple[str, str]]:
    """(configuration key, Lead field) for every field named under ``[lead_fields]``."""
    lf = config.lead_fields
    named = [
        ("region", lf.region),
        ("country", lf.country),
        ("tier", lf.tier),
        ("failed_node", lf.failed_node),
        ("rejection_reason", lf.rejection_reason),
        *(("extra", name) for name in lf.extra),
        # [data_quality] fields and source field are pulled too: a missing one breaks the query.
        *(("data_quality", name) for name in config.data_quality.api_names()),
    ]
    return [(key, name) for key, name in named if name]


def _check_history_tracking(client: SalesforceClient) -> list[Finding]:
    names = ", ".join(soql_literal(n) for n in HISTORY_FIELDS_REQUIRED)
    soql = (
        "SELECT QualifiedApiName, IsFieldHistoryTracked FROM FieldDefinition "
        f"WHERE EntityDefinition.QualifiedApiName = 'Lead' AND QualifiedApiName IN ({names})"
    )
    try:
        rows = [r for page in client.query_pages(soql) for r in page]
    except (SalesforceAuthError, SalesforceLimitError):
        raise
    except SalesforceError as exc:
        return _probe_history_rows(client, reason=str(exc))
    # Values arrive in Salesforce's text form: the checkbox is "true" or "false".
    tracked = {r["QualifiedApiName"]: r.get("IsFieldHistoryTracked") == "true" for r in rows}
    return [
        Finding(
            tracked.get(api_name, False),
            f"history tracking of Lead.{label}",
            "on"
            if tracked.get(api_name)
            else "OFF: turn on Field History Tracking for Lead "
            + label
            + " (Setup > Object Manager > "
            "Lead > Fields & Relationships > Set History Tracking)",
        )
        for api_name, label in HISTORY_FIELDS_REQUIRED.items()
    ]


def _probe_history_rows(client: SalesforceClient, *, reason: str) -> list[Finding]:
    """Fallback when FieldDefinition cannot be read: look for recent history rows."""
    findings = []
    for label in HISTORY_FIELDS_REQUIRED.values():
        soql = f"SELECT Id FROM LeadHistory WHERE Field = {soql_literal(label)} LIMIT 1"
        try:
            found = any(page for page in client.query_pages(soql))
        except SalesforceError as exc:
            findings.append(Finding(False, f"history tracking of Lead.{label}", str(exc)))
            continue
        detail = (
            "on (history rows found; FieldDefinition was not readable: " + reason + ")"
            if found
            else "could not confirm: FieldDefinition is not readable and there are no "
            f"LeadHistory rows for {label}; turn on Field History Tracking for Lead {label}"
        )
        findings.append(Finding(found, f"history tracking of Lead.{label}", detail))
    return findings


def _check_owners(client: SalesforceClient, config: RoutingConfig) -> list[Finding]:
    configured = {
        **{owner: "owners.holding" for owner in config.owners.holding},
        **{owner: "owners.fallback" for owner in config.owners.fallback},
    }
    if not configured:
        return [Finding(False, "owners", "no holding or fallback owners are configured")]
    users = [o for o in configured if o.startswith(USER_PREFIX)]
    queues = [o for o in configured if o.startswith(QUEUE_PREFIX)]
    found: set[str] = set()
    try:
        for sobject, ids in (("User", users), ("Group", queues)):
            if ids:
                id_list = ", ".join(map(soql_literal, ids))
                soql = f"SELECT Id, Name FROM {sobject} WHERE Id IN ({id_list})"
                found |= {r["Id"] for page in client.query_pages(soql) for r in page}
    except SalesforceError as exc:
        return [Finding(False, "configured owners", str(exc))]
    return [
        Finding(
            owner in found, f"{key} {owner}", "exists" if owner in found else "not found in the org"
        )
        for owner, key in configured.items()
    ]
