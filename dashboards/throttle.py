"""Login throttling: too many failed sign-ins for one username from one address.

Failures are counted in the cache (``settings.CACHES["default"]``) under a key made of the
lower-cased username and the client address, in a fixed window that starts at the first
failure. Once ``LOGIN_THROTTLE_FAILURES`` have failed within ``LOGIN_THROTTLE_WINDOW_SECONDS``,
the login view refuses further attempts for that pair — even with the right password — until
the window ends. Counting per username *and* address means an attacker cannot lock a user out
from everywhere, and one address cannot try many passwords for one user.

The count is fed by Django's ``user_login_failed`` / ``user_logged_in`` signals, so every
login form that authenticates through ``django.contrib.auth`` counts.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest

MSG_THROTTLED = (
    "Too many failed sign-in attempts for this username. "
    "Try again in {minutes} minute{plural}."
)


@dataclass(frozen=True)
class ThrottleState:
    locked: bool
    failures: int
    retry_after_seconds: int


def _limit() -> int:
    return int(getattr(settings, "LOGIN_THROTTLE_FAILURES", 5))


def _window() -> int:
    return int(getattr(settings, "LOGIN_THROTTLE_WINDOW_SECONDS", 900))


def client_address(request: HttpRequest) -> str:
    """The peer address. Behind a proxy every client shares it: then the throttle is, in
    effect, per username (still never a global lockout of a user from other addresses)."""
    return str(request.META.get("REMOTE_ADDR", ""))


def _keys(username: str, address: str) -> tuple[str, str]:
    digest = hashlib.sha256(f"{username.strip().lower()}\0{address}".encode()).hexdigest()
    return f"login-failures:{digest}", f"login-failures-since:{digest}"


def state(username: str, address: str) -> ThrottleState:
    """Whether ``username`` may try to sign in from ``address`` now."""
    count_key, since_key = _keys(username, address)
    values = cache.get_many([count_key, since_key])
    failures = int(values.get(count_key, 0))
    since = float(values.get(since_key, time.time()))
    retry_after = max(1, int(_window() - (time.time() - since)))
    return ThrottleState(failures >= _limit(), failures, retry_after)


def record_failure(username: str, address: str) -> None:
    count_key, since_key = _keys(username, address)
    window = _window()
    cache.add(since_key, time.time(), window)
    # add() then incr() keeps the window fixed at the first failure (incr keeps the expiry).
    cache.add(count_key, 0, window)
    try:
        cache.incr(count_key)
    except ValueError:  # expired between add() and incr()
        cache.set(count_key, 1, window)


def reset(username: str, address: str) -> None:
    cache.delete_many(list(_keys(username, address)))


def throttled_message(retry_after_seconds: int) -> str:
    minutes = max(1, -(-retry_after_seconds // 60))
    return MSG_THROTTLED.format(minutes=minutes, plural="" if minutes == 1 else "s")


@receiver(user_login_failed, dispatch_uid="dashboards.throttle.failed")
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is not None:
        record_failure(str(credentials.get("username", "")), client_address(request))


@receiver(user_logged_in, dispatch_uid="dashboards.throttle.logged_in")
def _on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None:
        reset(user.get_username(), client_address(request))
