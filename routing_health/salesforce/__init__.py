"""The Salesforce boundary: the only home of ``simple_salesforce`` and of Salesforce API names.

``client.py`` (auth, retries, limits, queries), ``runtime.py`` (the client and routing config of
this process, from Django settings), ``writes.py`` (the product's only writes: the routing test
pack's sObject Collections create/delete, ``IsSandbox``), ``pack_reads.py`` (the pack's reads).
"""

from __future__ import annotations

from routing_health.salesforce.client import SalesforceClient
from routing_health.salesforce.connection import ConnectionSettings
from routing_health.salesforce.errors import (
    SalesforceAuthError,
    SalesforceError,
    SalesforceLimitError,
    SalesforcePermissionError,
    SalesforceQueryError,
    SalesforceQueryTimeout,
    SalesforceSettingsError,
    SalesforceUnavailable,
)
from routing_health.salesforce.records import soql_datetime, soql_literal

__all__ = [
    "ConnectionSettings",
    "SalesforceAuthError",
    "SalesforceClient",
    "SalesforceError",
    "SalesforceLimitError",
    "SalesforcePermissionError",
    "SalesforceQueryError",
    "SalesforceQueryTimeout",
    "SalesforceSettingsError",
    "SalesforceUnavailable",
    "soql_datetime",
    "soql_literal",
]
