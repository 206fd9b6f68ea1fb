"""What can go wrong talking to Salesforce, as exceptions the callers tell apart.
"""

from __future__ import annotations


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
