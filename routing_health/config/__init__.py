"""The routing configuration (TOML, spec section 2.2) → frozen dataclasses; pure, no Django.

``parse.py`` validates a file (``load_config`` / ``parse_config``), ``model.py`` holds the frozen
types, ``reader.py`` the TOML reading helpers, ``alerts.py`` and ``calendars.py`` their sections.
"""

from __future__ import annotations

from routing_health.config import parse as _parse
from routing_health.config.parse import *  # noqa: F403  (the public names, listed once there)

__all__ = list(_parse.__all__)
