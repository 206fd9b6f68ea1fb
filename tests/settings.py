"""Test settings: the production settings with test-safe environment defaults."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("SALESFORCE_BULK_POLL_SECONDS", "0.01")
os.environ.setdefault("ROUTING_HEALTH_DATA_DIR", tempfile.mkdtemp(prefix="rh-test-data-"))

from routing_health.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
