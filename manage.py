#!/usr/bin/env python
"""Django's command-line utility for Routing Health."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "routing_health.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A missing or malformed setting (e.g. DJANGO_SECRET_KEY): one line naming it, exit 2.
        sys.stderr.write(f"manage.py: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
