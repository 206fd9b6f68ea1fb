"""The one cached loader of the routing configuration for every process.

Every caller (jobs, commands, pages, the API) asks ``current_config(path)``. The file is read each
time (one small read) and parsed and validated only when its path or its bytes changed, so an
edited file takes effect on the next call of every process, and a long-running web or worker
process does not re-parse the same TOML on every request. A file that fails to load raises
``ConfigError`` on every call (errors are never cached) and leaves the last good configuration in
the cache untouched for when the file is fixed.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from routing_health.config.parse import RoutingConfig, load_config

_lock = threading.Lock()
_cached: dict[str, tuple[str, RoutingConfig]] = {}


def current_config(path: str | Path) -> RoutingConfig:
    """The validated configuration in ``path``, re-parsed only when the file's bytes change."""
    key = str(Path(path).resolve())
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return load_config(path)  # raises ConfigError naming the path and the reason
    with _lock:
        hit = _cached.get(key)
        if hit is not None and hit[0] == digest:
            return hit[1]
    config = load_config(path)
    with _lock:
        _cached[key] = (digest, config)
    return config


def forget_cached_configs() -> None:
    """Drop every cached configuration (the next call parses again)."""
    with _lock:
        _cached.clear()
