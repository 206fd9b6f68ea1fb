"""``POST /slack/interactions``: Slack's requests when someone clicks Acknowledge or Snooze.

Slack calls this URL itself, so it needs no login and no CSRF token: Slack's signature is the
authentication. Answers:

- **404** when ``SLACK_SIGNING_SECRET`` is not set (interactivity is off: no message carries
  buttons, and nothing could be verified).
- **401** (plain text) when the request does not verify: a missing or malformed
  ``X-Slack-Request-Timestamp`` / ``X-Slack-Signature``, a wrong signature, or a timestamp more
  than 5 minutes away. The body is not parsed and nothing changes.
- **200**, empty, for every verified request, at once (Slack shows an error after 3 s). An
  action we do not know, a button value that is not ours or incidents that no longer exist
  change nothing and are logged (``logger`` below) instead of failing, which would only show
  the user a warning. When something changed, a thread reply says who did what; it is posted
  after the response has been sent (``_ThenResponse``), best effort: the acknowledgement or
  snooze is recorded either way and shown on the Alerts page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dashboards.filters import report_settings
from routing_health.alerts.actions import Actor, acknowledge, slack_reply, snooze_for
from routing_health.alerts.buttons import ACTION_ACKNOWLEDGE, SNOOZE_ACTIONS, parse_value
from routing_health.slack.signature import is_signed_by_slack
from routing_health.slack.transport import SlackError, SlackTransport

logger = logging.getLogger(__name__)

MSG_NOT_CONFIGURED = "Slack interactivity is off: SLACK_SIGNING_SECRET is not set.\n"
MSG_BAD_SIGNATURE = "Invalid or stale Slack signature.\n"
REPLY_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Click:
    """The parts of a ``block_actions`` payload we use."""

    action_id: str
    value: str
    user_id: str
    user_name: str
    channel_id: str
    thread_ts: str  # the thread to reply in: the clicked message's thread, or the message


class _ThenResponse(HttpResponse):
    """A response that runs ``then`` once it has been sent (the WSGI server calls ``close()``
    after writing the body), so Slack gets its 200 before we call Slack back."""

    def __init__(self, then: Callable[[], None] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._then = then

    def close(self) -> None:
        then, self._then = self._then, None
        try:
            if then is not None:
                then()
        except Exception:  # a failed reply must not turn into a server error
            logger.exception("Slack thread reply failed")
        finally:
            super().close()


def _text(value: object, limit: int = 255) -> str:
    return value[:limit] if isinstance(value, str) else ""


def parse_click(payload: Any) -> Click | None:
    """The click in a ``block_actions`` payload, or None when it is not one."""
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        return None
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    channel = payload.get("channel") if isinstance(payload.get("channel"), dict) else {}
    message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
    container = payload.get("container") if isinstance(payload.get("container"), dict) else {}
    user_id = _text(user.get("id"), 32)
    return Click(
        action_id=_text(actions[0].get("action_id"), 255),
        value=_text(actions[0].get("value"), 2000),
        user_id=user_id,
        user_name=_text(user.get("username")) or _text(user.get("name")) or user_id,
        channel_id=_text(channel.get("id"), 32) or _text(container.get("channel_id"), 32),
        thread_ts=_text(container.get("thread_ts"), 32)
        or _text(message.get("thread_ts"), 32)
        or _text(message.get("ts"), 32)
        or _text(container.get("message_ts"), 32),
    )


def _reply(click: Click, text: str) -> Callable[[], None] | None:
    transport = SlackTransport.from_settings(timeout=REPLY_TIMEOUT_SECONDS)
    if transport is None or not click.thread_ts:
        return None

    def post() -> None:
        try:
            transport.post_in_thread(
                click.thread_ts, {"text": text}, channel=click.channel_id or None
            )
        except SlackError as exc:
            logger.warning("Slack thread reply for %s failed: %s", click.action_id, exc.code)

    return post


@login_not_required  # Slack calls it; the signature is the authentication
@csrf_exempt
@require_POST
def slack_interactions(request: HttpRequest) -> HttpResponse:
    """Verify, apply the clicked action, answer 200 at once, then reply in the thread."""
    secret = getattr(settings, "SLACK_SIGNING_SECRET", None) or ""
    if not secret:
        return HttpResponse(MSG_NOT_CONFIGURED, status=404, content_type="text/plain")
    if not is_signed_by_slack(secret, request.body, request.headers):
        logger.warning("Slack interaction refused: signature missing, wrong or stale")
        return HttpResponse(MSG_BAD_SIGNATURE, status=401, content_type="text/plain")
    try:
        payload = json.loads(request.POST.get("payload") or "")
    except ValueError:
        payload = None
    click = parse_click(payload)
    if click is None:
        logger.info("Slack interaction ignored: not a block_actions payload")
        return HttpResponse(status=200)
    try:
        refs = parse_value(click.value)
    except ValueError:
        logger.warning("Slack interaction ignored: action %r with a value not ours",
                       click.action_id)
        return HttpResponse(status=200)
    now = timezone.now()
    zone = report_settings().zone
    actor = Actor(click.user_name, click.user_id)
    if click.action_id == ACTION_ACKNOWLEDGE:
        results = acknowledge(refs, by=actor, at=now)
        text = slack_reply(results, by=actor)
    elif click.action_id in SNOOZE_ACTIONS:
        duration: timedelta = SNOOZE_ACTIONS[click.action_id]
        results = snooze_for(refs, duration=duration, by=actor, at=now, zone=zone)
        text = slack_reply(results, by=actor, duration=duration, until=now + duration, zone=zone)
    else:
        logger.warning("Slack interaction ignored: unknown action %r", click.action_id)
        return HttpResponse(status=200)
    for result in results:
        if not result.changed:
            logger.info("Slack %s of incident %s: %s", click.action_id,
                        result.ref.incident_id, result.outcome)
    return _ThenResponse(_reply(click, text) if text else None, status=200)
