"""The facts tests use the sync tests' tiny org on the HTTPS emulator."""

from __future__ import annotations

from tests.sync.conftest import client, config, emulator, tiny

__all__ = ["client", "config", "emulator", "tiny"]
