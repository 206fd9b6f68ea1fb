"""What can go wrong talking to Salesforce, as exceptions the callers tell apart.
"""

from __future__ import annotations

import re
from typing import Any

_QUOTED_NAME_RE = re.compile(r"(?:column|field) '([^']+)'|No such column '([^']+)'")
QUERY_TIMEOUT = "QUERY_TIMEOUT"
INSUFFICIENT_ACCESS = "INSUFFICIENT_ACCESS"


class SalesforceError(Exception):
    """Base of every error this module raises."""


class SalesforceSettingsError(SalesforceError):
    """The connection settings (environment) are incomplete or contradictory."""


class SalesforceAuthError(SalesforceError):
    """Authentication failed, or the session expired and cannot be renewed."""


class SalesforceLimitError(SalesforceError):
    """The org's API limit is reached, or a run would take usage past the allowed share."""


class SalesforceQueryError(SalesforceError):
    """Salesforce rejected a query: a configuration problem (unknown field, bad object...)."""

    def __init__(self, message: str, *, code: str, field: str | None, soql: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.soql = soql


class SalesforceQueryTimeout(SalesforceError):
    """Salesforce gave up on a query (400 ``QUERY_TIMEOUT``): it read too many rows at once."""

    def __init__(self, message: str, *, soql: str) -> None:
        super().__init__(message)
        self.soql = soql


class SalesforcePermissionError(SalesforceError):
    """403 ``INSUFFICIENT_ACCESS``: the integration user lacks a permission for this call."""


class SalesforceUnavailable(SalesforceError):
    """Salesforce kept failing (5xx, resets) after every retry."""


# -- Salesforce error bodies → our errors ------------------------------------------------------
_CONFIG_ERROR_CODES = {
    "FUNCTIONALITY_NOT_ENABLED",  # e.g. a compound (Address) field in a Bulk query
    "INVALID_FIELD",
    "MALFORMED_QUERY",
    "INVALID_TYPE",
    "INVALID_QUERY_FILTER_OPERATOR",
    "INVALID_OPERATION",
}


def error_code(content: Any) -> tuple[str, str]:
    """The ``errorCode`` and message of a Salesforce error body (REST list, OAuth dict, text)."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", "")), str(content[0].get("message", ""))
    if isinstance(content, dict):
        return str(content.get("errorCode", content.get("error", ""))), str(
            content.get("message", content.get("error_description", ""))
        )
    return "", str(content)


def query_error(what: str, code: str, message: str, soql: str) -> SalesforceError:
    """A 400 on a query as our error: a timeout, a configuration problem naming the field,
    or a plain rejection."""
    if code == QUERY_TIMEOUT:
        return SalesforceQueryTimeout(
            f"Salesforce timed out on {what} ({code}): {message}", soql=soql
        )
    if code not in _CONFIG_ERROR_CODES:
        return SalesforceError(f"Salesforce rejected {what}: {code} {message}")
    match = _QUOTED_NAME_RE.search(message)
    field = next((g for g in match.groups() if g), None) if match else None
    named = f" (field {field})" if field else ""
    return SalesforceQueryError(
        f"Salesforce rejected the query for {what}{named}: {code}: {message}",
        code=code,
        field=field,
        soql=soql,
    )
