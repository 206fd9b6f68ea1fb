"""A throwaway certificate authority for the local emulators (trustme).

The CA PEM written to `ca_path` is what clients trust (`REQUESTS_CA_BUNDLE`, or a session's
`verify`); the server certificate covers loopback and the Salesforce login hosts.
"""

from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme

SERVER_HOSTNAMES = (
    "127.0.0.1", "localhost", "login.salesforce.com", "test.salesforce.com",
    "*.my.salesforce.com",
)


@dataclass(frozen=True)
class TLSMaterial:
    """A CA, a server certificate it signed, and the CA's PEM file on disk."""

    ca: trustme.CA
    server_cert: trustme.LeafCert
    ca_path: Path

    def server_context(self) -> ssl.SSLContext:
        """An `SSLContext` for the server side, presenting the emulator certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client `SSLContext` trusting only this CA."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


def make_tls(directory: Path | str | None = None,
             hostnames: tuple[str, ...] = SERVER_HOSTNAMES) -> TLSMaterial:
    """Create a CA and server certificate; write the CA PEM to `directory` (default: a new
    temporary directory) as `emulator-ca.pem`."""
    ca = trustme.CA(organization_name="Routing Health sandbox CA")
    server_cert = ca.issue_cert(*hostnames)
    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="rh-sandbox-tls-"))
    folder.mkdir(parents=True, exist_ok=True)
    ca_path = folder / "emulator-ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    return TLSMaterial(ca, server_cert, ca_path)
