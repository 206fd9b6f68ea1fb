"""API tokens: created once, stored hashed, checked in constant time by hash lookup."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from routing_health.models import ApiToken

TOKEN_PREFIX = "rh_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(row: ApiToken) -> str:
    """Give ``row`` a new secret (prefix and hash set, not saved); returns the token text."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row.prefix, row.token_hash = token[:8], hash_token(token)
    return token


def create_token(name: str) -> tuple[ApiToken, str]:
    """A new token named ``name``; returns the row and the token text (not stored)."""
    row = ApiToken(name=name)
    token = issue(row)
    row.save()
    return row, token


def authenticate_token(token: str) -> ApiToken | None:
    """The live token matching ``token``, or None; records when it was last used."""
    if not token:
        return None
    row = ApiToken.objects.filter(token_hash=hash_token(token), revoked=False).first()
    if row is not None:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row
