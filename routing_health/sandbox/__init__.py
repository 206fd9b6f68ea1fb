"""Local stand-ins for Salesforce (and Slack): an in-memory org, a SOQL subset, and HTTPS
emulators the real clients talk to unmodified."""

from __future__ import annotations

from .ids import new_id, to_id18
from .org import Org
from .server import SalesforceEmulator
from .soql_syntax import SoqlError
from .tls import TLSMaterial, make_tls

__all__ = ["Org", "SalesforceEmulator", "SoqlError", "TLSMaterial", "make_tls", "new_id", "to_id18"]
