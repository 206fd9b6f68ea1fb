"""The synced demo org lives in tests/conftest.py; kept importable from here too."""

from __future__ import annotations

from tests.conftest import NOW, synced_org  # noqa: F401
