"""The Alerts page (open and recent incidents, notification problems), snoozing and
acknowledging an incident.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dashboards.csv_export import csv_response
from dashboards.leads.queries import has_leads
from dashboards.ops.alerts import (
    SnoozeError,
    history_incidents,
    incident_rows,
    kept_notifications,
    parse_snooze,
)
from dashboards.ops.views import HISTORY_DAYS, KEPT_DAYS, _wants_csv
from dashboards.rendering import page_state, render_page
from routing_health.alerts.actions import Actor, acknowledge, snooze
from routing_health.alerts.buttons import IncidentRef
from routing_health.alerts.selectors import (
    active_incidents,
    notification_problems,
    recent_incidents,
)
from routing_health.lib.format import format_time
from routing_health.models import AlertIncident
from routing_health.slack.transport import SlackTransport


@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    """Firing incidents (with snooze), resolved ones of the last 30 days, delivery state."""
    state = page_state(request)
    now = timezone.now()
    zone = state.report.zone
    active = incident_rows(active_incidents().prefetch_related("events"), zone=zone, now=now)
    firing = [row for row in active if row.incident.state == AlertIncident.State.FIRING]
    pending = [row for row in active if row.incident.state == AlertIncident.State.PENDING]
    history = incident_rows(
        history_incidents(recent_incidents(days=HISTORY_DAYS, now=now)), zone=zone, now=now
    )
    if _wants_csv(request):
        table = history if request.GET.get("table") == "history" else firing
        name = "alert_history.csv" if table is history else "alerts_firing.csv"
        return csv_response(
            name,
            ["incident_id", "rule", "title", "region", "tier", "failure_reason", "state",
             "value", "comparison", "threshold", "sample", "leads", "first_seen", "last_seen",
             "resolved_at", "last_notified_at", "notification", "snoozed_until", "snoozed_by",
             "acknowledged_at", "acknowledged_by"],
            [[r.id, r.incident.rule, r.title, r.incident.region, r.incident.tier,
              r.incident.failure_reason, r.incident.state, r.value, r.comparison, r.threshold,
              r.sample, r.leads, r.incident.first_seen, r.incident.last_seen,
              r.incident.resolved_at, r.incident.last_notified_at,
              r.notification.label if r.notification else "", r.incident.snoozed_until,
              r.snoozed_by, r.incident.acknowledged_at, r.acknowledged_by]
             for r in table],
        )
    any_incident = bool(firing or history) or AlertIncident.objects.exists()
    context = {
        "has_data": has_leads(),
        "firing": firing,
        "pending": pending,
        "history": history,
        "history_days": HISTORY_DAYS,
        "any_incident": any_incident,
        "slack_configured": SlackTransport.from_settings() is not None,
        "kept": kept_notifications(since=now - timedelta(days=KEPT_DAYS)),
        "kept_days": KEPT_DAYS,
        "now": now,
        "min_until": now.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "csv_firing_qs": "?" + urlencode({"format": "csv"}),
        "csv_history_qs": "?" + urlencode({"format": "csv", "table": "history"}),
    }
    return render_page(request, "dashboards/alerts.html", state, page="alerts", context=context)


@require_POST
def alert_snooze(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Snooze (1 h, 4 h, 24 h, until a time) or unsnooze one incident; back to Alerts."""
    incident = get_object_or_404(AlertIncident, pk=incident_id)
    state = page_state(request)
    now = timezone.now()
    target = reverse("alerts") + f"#incident-{incident.pk}"
    try:
        until = parse_snooze(request.POST, zone=state.report.zone, now=now)
    except SnoozeError as exc:
        messages.error(request, str(exc))
        return redirect(target)
    who = request.user.get_username() if request.user.is_authenticated else "someone"
    if until is None:
        note = f"unsnoozed by {who}"
    else:
        local = until.astimezone(state.report.zone)
        note = f"until {local:%Y-%m-%d %H:%M} {local.tzname()} by {who}"
    snooze(incident.pk, until=until, at=now, note=note, by=Actor(who).label)
    title = (incident.details or {}).get("title") or incident.rule
    segment = " · ".join(p for p in (incident.region, incident.tier) if p) or "all leads"
    if until is None:
        messages.success(request, f"Unsnoozed “{title}” ({segment}): notifications resume.")
    else:
        messages.success(
            request,
            f"Snoozed “{title}” ({segment}) until {format_time(until, state.report.zone)}: "
            "no Slack messages until then; evaluation goes on.",
        )
    return redirect(target)


MSG_ACKNOWLEDGED = "Acknowledged “{title}” ({segment}): no more reminders until it resolves."
MSG_NOT_ACKNOWLEDGED = {
    "already_acknowledged": "“{title}” was already acknowledged.",
    "episode_over": "“{title}” has resolved or fired again since: nothing acknowledged.",
    "not_firing": "“{title}” is not firing: nothing to acknowledge.",
}


@require_POST
def alert_acknowledge(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Acknowledge the episode the page showed (``episode``); back to Alerts."""
    incident = get_object_or_404(AlertIncident, pk=incident_id)
    raw = str(request.POST.get("episode") or "")
    episode = int(raw) if raw.isdigit() and len(raw) < 10 else incident.episode
    actor = Actor(request.user.get_username() or "someone")
    [result] = acknowledge([IncidentRef(incident.pk, episode)], by=actor, at=timezone.now())
    title = (incident.details or {}).get("title") or incident.rule
    segment = " · ".join(p for p in (incident.region, incident.tier) if p) or "all leads"
    if result.changed:
        messages.success(request, MSG_ACKNOWLEDGED.format(title=title, segment=segment))
    else:
        messages.info(request, MSG_NOT_ACKNOWLEDGED.get(result.outcome, "{title}: no change.")
                      .format(title=title))
    return redirect(reverse("alerts") + f"#incident-{incident.pk}")


@require_GET
def notification_problems_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The Health page's notification problems (spec section 6) as CSV."""
    problems = notification_problems()
    return csv_response(
        "notification_problems.csv",
        ["kind", "error", "at", "notification_id", "incident_id", "rule", "region", "tier",
         "notification_kind", "attempts", "next_attempt_at", "subject", "destination"],
        [[p.kind, p.error, p.at, p.notification_id or "", p.incident_id or "", p.rule,
          p.region, p.tier, p.notification_kind, p.attempts, p.next_attempt_at or "", p.subject,
          p.destination or "slack"]
         for p in problems],
    )
