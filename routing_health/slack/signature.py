"""Verifying that a request comes from Slack (interactivity: the Acknowledge / Snooze buttons).

Slack signs each request with the app's signing secret: ``X-Slack-Signature: v0=<hex>``, the
HMAC-SHA256 of ``v0:<X-Slack-Request-Timestamp>:<raw body>``. slack_sdk's ``SignatureVerifier``
checks it and refuses a timestamp more than 5 minutes from now (a replayed request). Like the
transport, a leaf: nothing of ours but ``lib``, and the secret is never logged.
"""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"


def is_signed_by_slack(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether ``body`` with ``headers`` carries a valid, fresh (±5 min) Slack signature.

    False for a missing or empty secret, missing headers, a malformed timestamp, a wrong
    signature or a stale one; never raises for a bad request.
    """
    if not secret or not secret.strip():
        return False
    timestamp = headers.get(TIMESTAMP_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if not timestamp or not signature or not timestamp.strip().isdigit():
        return False  # slack_sdk would int() a malformed timestamp and raise
    verifier = SignatureVerifier(secret)
    return verifier.is_valid(body=body, timestamp=timestamp.strip(), signature=signature)
