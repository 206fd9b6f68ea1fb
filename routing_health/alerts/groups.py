"""Grouped alert notifications (spec section 6), modelled on Prometheus Alertmanager.

The incident lifecycle (``alerts.incidents``) still records one outbox row per state change of
each incident (firing, reminder, resolved). Delivery sends them **per group**: the firing
incidents that share the ``[alerts] group_by`` labels (default ``region``) form one group with
**one** top-level Slack message, which is updated in place (``chat.update``) to the group's
current state. For each group at each delivery:

- **Opening**: the first firing incident(s) post the top-level message, listing every firing
  incident of the group ranked by severity, then leads affected. A group of one incident reads
  exactly like that incident's own message.
- **group_wait** (60 s): incidents that start within ``group_wait`` of the opening join the
  top-level message without a thread reply ("incidents that start together").
- **group_interval** (5 min): later changes (an incident joins or resolves) are batched — rows
  wait until ``group_interval`` after the group's last post — and then go out as **one** thread
  reply, with the top-level message updated.
- **repeat_interval** (4 h): reminders are one thread reply per group per interval; the
  reminders of the other incidents in that interval are folded into it.
- **Resolved**: when no incident of the group fires any more, the top-level message is updated to
  resolved and one reply says so; the group closes, and the next breach opens a new message.
- **Storm guard**: when one delivery would open more new groups than ``max_new_groups`` (5), it
  posts one summary listing them (worst first, each with its dashboard link) instead; their
  later changes go into that summary's thread.

Inhibited incidents (root cause first) and ``info`` incidents never get rows, so they never open
or change a group; a consequence is listed inside its cause's section. Every row the group's
message or reply carries is recorded as sent with that message (``Notification.group``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError
from django.db.models import F

from routing_health.alerts.buttons import actions_block
from routing_health.alerts.group_blocks import (
    change_reply,
    group_payload,
    reminder_reply,
    resolved_reply,
    storm_payload,
)
from routing_health.alerts.grouping import (
    Policy,
    alerts_page_url,
    configured_policy,
    firing_by_group,
    incident_item,
    incident_message,
    key_of,
    labels_of,
)
from routing_health.alerts.notices import interactive, salesforce_instance_url
from routing_health.alerts.outbox import claim, record_failed, record_sent, release
from routing_health.models import AlertGroup, AlertIncident, Notification
from routing_health.slack.transport import (
    SlackError,
    SlackPermanentError,
    SlackRetryableError,
    SlackTransport,
)

log = logging.getLogger(__name__)

FIRING, REMINDER, RESOLVED = (
    Notification.Kind.FIRING, Notification.Kind.REMINDER, Notification.Kind.RESOLVED,
)
THREAD_GONE = frozenset({"thread_not_found", "message_not_found", "cannot_reply_to_message"})


@dataclass
class _Batch:
    """The due rows of one group, and the group's firing incidents now."""

    key: str
    labels: dict[str, str]
    notes: list[Notification]
    members: list[AlertIncident]

    def of_kind(self, kind: str) -> list[Notification]:
        return [n for n in self.notes if n.kind == kind]


class _Delivery:
    """One delivery run of the grouped rows (see the module doc)."""

    def __init__(self, *, now: datetime, transport: SlackTransport, destination: str,
                 policy: Policy, route: str = "") -> None:
        self.now, self.transport, self.destination = now, transport, destination
        self.route = route  # the route destination the groups belong to ("": SLACK_CHANNEL)
        self.policy = policy
        self.sent = self.failed = self.retrying = 0
        self.stop: SlackError | None = None

    # -- the top-level message -----------------------------------------------------------------

    def parent_payload(self, batch: _Batch) -> dict[str, Any]:
        members = batch.members
        if len(members) == 1:
            note = next((n for n in batch.notes if n.kind == FIRING
                         and n.incident_id == members[0].pk), None)
            if note is not None:
                return dict(note.payload)  # a group of one reads like its incident's message
        actions = None
        if members and interactive():
            actions = actions_block([(m.pk, m.episode) for m in members][:25])
        return group_payload(
            batch.labels, [incident_item(m, self.now, self.policy) for m in members],
            instance_url=salesforce_instance_url(), dashboard_url=alerts_page_url(),
            actions=actions,
        )

    def update_parent(self, group: AlertGroup, payload: Mapping[str, Any]) -> None:
        """Best effort: the thread carries the change even if the edit fails."""
        if group.storm or not group.slack_ts:
            return
        try:
            self.transport.update(group.slack_ts, dict(payload),
                                  channel=group.slack_channel or None)
        except SlackError as exc:
            log.info("could not update group message %s: %s", group.slack_ts, exc.code)

    def reply(self, group: AlertGroup, payload: Mapping[str, Any]) -> str:
        try:
            return self.transport.post_in_thread(group.slack_ts, dict(payload),
                                                 channel=group.slack_channel or None)
        except SlackPermanentError as exc:
            if exc.code not in THREAD_GONE:
                raise
            return self.transport.post(dict(payload))  # the parent was deleted

    # -- recording -------------------------------------------------------------------------------

    def done(self, notes: Sequence[Notification], ts: str, group: AlertGroup | None) -> None:
        channel = (group.slack_channel if group else "") or self.transport.channel_id or ""
        for note in notes:
            record_sent(note, ts=ts, channel=channel, now=self.now,
                        destination=self.destination, group=group)
            self.sent += 1

    def failed_with(self, notes: Sequence[Notification], error: SlackError) -> None:
        for note in notes:
            record_failed(note, error, now=self.now, destination=self.destination)
            if error.permanent:
                self.failed += 1
            else:
                self.retrying += 1
        if isinstance(error, SlackRetryableError) or (
            isinstance(error, SlackPermanentError) and error.disables_destination
        ):
            self.stop = error

    # -- one group ------------------------------------------------------------------------------

    def open_group(self, batch: _Batch, group: AlertGroup | None) -> None:
        payload = self.parent_payload(batch)
        ts = self.transport.post(payload)
        fields = dict(
            labels=batch.labels, is_open=True, storm=False, opened_at=self.now,
            last_post_at=self.now, last_reminder_at=None, resolved_at=None, slack_ts=ts,
            slack_channel=self.transport.channel_id or "",
            members=[m.fingerprint for m in batch.members],
        )
        if group is None:
            try:
                group = AlertGroup.objects.create(destination=self.route, key=batch.key, **fields)
            except IntegrityError:  # closed group of an earlier episode: reopen it
                group = AlertGroup.objects.get(destination=self.route, key=batch.key)
                group = self.reopen(group, fields)
        else:
            group = self.reopen(group, fields)
        self.done(batch.notes, ts, group)

    def reopen(self, group: AlertGroup, fields: dict[str, Any]) -> AlertGroup:
        AlertGroup.objects.filter(pk=group.pk).update(episode=F("episode") + 1, **fields)
        return AlertGroup.objects.get(pk=group.pk)

    def change_group(self, batch: _Batch, group: AlertGroup) -> None:
        new = batch.of_kind(FIRING)
        gone = batch.of_kind(RESOLVED)
        reminders = batch.of_kind(REMINDER)
        members = batch.members
        single = len(group.members) == 1 and not new
        if new or gone:
            together = self.now - group.opened_at < self.policy.group_wait and not gone
            wait_until = group.last_post_at + self.policy.group_interval
            if not together and not group.storm and self.now < wait_until:
                for note in batch.notes:  # batched: the next reply after group_interval
                    release(note, wait_until)
                return
            if not members:
                self.close_group(batch, group, single)
                return
            if together:
                self.update_parent(group, self.parent_payload(batch))
                self.done(batch.notes, group.slack_ts, group)
                self.set(group, members=[m.fingerprint for m in members])
                return
            messages = {m.pk: incident_message(m, self.now, self.policy) for m in members}
            joined = [messages[n.incident_id] for n in new if n.incident_id in messages]
            left = [incident_message(n.incident, self.now, self.policy) for n in gone]
            ts = self.reply(group, change_reply(joined, left, batch.labels))
            self.update_parent(group, self.parent_payload(batch))
            self.done(batch.notes, ts, group)
            self.set(group, members=[m.fingerprint for m in members], last_post_at=self.now)
            return
        last = group.last_reminder_at
        if reminders and (last is None or self.now - last >= self.policy.repeat_interval):
            if len(members) == 1 and len(reminders) == 1 and len(group.members) == 1:
                payload = {**reminders[0].payload, "reply_broadcast": True}
            else:
                payload = reminder_reply([incident_item(m, self.now, self.policy) for m in members],
                                         batch.labels)
            ts = self.reply(group, payload)
            self.done(batch.notes, ts, group)
            self.set(group, last_reminder_at=self.now, last_post_at=self.now)
        elif reminders:  # folded into the group's reminder of this interval
            self.done(batch.notes, group.slack_ts, group)

    def close_group(self, batch: _Batch, group: AlertGroup, single: bool) -> None:
        gone = batch.of_kind(RESOLVED)
        if single and len(gone) == 1 and not group.storm:
            # A group of one resolves like its incident: the resolved notice in the thread,
            # the original's header swapped.
            payload = dict(gone[0].payload)
            ts = self.reply(group, {**payload, "reply_broadcast": True})
            self.update_parent(group, _resolved_original(group, batch, payload))
        else:
            ts = self.reply(group, resolved_reply(batch.labels))
            self.update_parent(group, group_payload(batch.labels, [], instance_url="",
                                                    dashboard_url="", resolved=True))
        self.done(batch.notes, ts, group)
        self.set(group, is_open=False, resolved_at=self.now, last_post_at=self.now, members=[])

    def ungrouped(self, notes: Sequence[Notification]) -> None:
        """Rows outside any open group (e.g. the resolved notice of an incident announced
        before grouping, or one whose group was never opened): each goes in its incident's
        thread when it has one, else to the channel."""
        for note in notes:
            thread = note.incident.slack_ts if note.kind != FIRING else ""
            payload = dict(note.payload)
            if thread:
                group = AlertGroup(slack_ts=thread, slack_channel=note.incident.slack_channel)
                ts = self.reply(group, {**payload, "reply_broadcast": True})
            else:
                ts = self.transport.post(payload)
            self.done([note], ts, None)

    def set(self, group: AlertGroup, **fields: Any) -> None:
        AlertGroup.objects.filter(pk=group.pk).update(**fields)

    def run_batch(self, batch: _Batch, group: AlertGroup | None) -> None:
        claimed = [n for n in batch.notes if claim(n, self.now)]
        if not claimed:
            return
        batch.notes = claimed
        try:
            if group is None or not group.is_open:
                if not batch.members:  # no group to open: each row on its own
                    self.ungrouped(claimed)
                    return
                self.open_group(batch, group)
            else:
                self.change_group(batch, group)
        except SlackError as exc:
            self.failed_with(claimed, exc)

    # -- the storm guard -------------------------------------------------------------------------

    def storm(self, batches: Sequence[_Batch]) -> None:
        claimed_batches = []
        for batch in batches:
            batch.notes = [n for n in batch.notes if claim(n, self.now)]
            if batch.notes:
                claimed_batches.append(batch)
        if not claimed_batches:
            return
        payload = storm_payload(
            [(b.labels, [incident_item(m, self.now, self.policy) for m in b.members])
             for b in claimed_batches],
            dashboard_url=alerts_page_url(),
        )
        try:
            ts = self.transport.post(payload)
        except SlackError as exc:
            for batch in claimed_batches:
                self.failed_with(batch.notes, exc)
            return
        channel = self.transport.channel_id or ""
        for batch in claimed_batches:
            fields = dict(labels=batch.labels, is_open=True, storm=True, opened_at=self.now,
                          last_post_at=self.now, last_reminder_at=None, resolved_at=None,
                          slack_ts=ts, slack_channel=channel,
                          members=[m.fingerprint for m in batch.members])
            group, created = AlertGroup.objects.get_or_create(
                destination=self.route, key=batch.key, defaults=fields)
            if not created:
                group = self.reopen(group, fields)
            self.done(batch.notes, ts, group)


    def storm_reminders(self, batches: Sequence[_Batch], groups: Mapping[str, AlertGroup]
                        ) -> None:
        """The reminders of groups opened in one storm summary: one reply per summary and
        repeat interval, listing what still fires (not one reply per group)."""
        by_summary: dict[str, list[_Batch]] = {}
        for batch in batches:
            by_summary.setdefault(groups[batch.key].slack_ts, []).append(batch)
        for ts, members in by_summary.items():
            claimed = [n for b in members for n in b.notes if claim(n, self.now)]
            if not claimed:
                continue
            owners = [groups[b.key] for b in members]
            last = max((g.last_reminder_at for g in owners if g.last_reminder_at), default=None)
            if last is not None and self.now - last < self.policy.repeat_interval:
                self.done(claimed, ts, None)
                continue
            items = [incident_item(m, self.now, self.policy) for b in members for m in b.members]
            try:
                reply = self.reply(owners[0], reminder_reply(items, {"storm": "all groups"}))
            except SlackError as exc:
                self.failed_with(claimed, exc)
                return
            self.done(claimed, reply, None)
            AlertGroup.objects.filter(pk__in=[g.pk for g in owners]).update(
                last_reminder_at=self.now, last_post_at=self.now)


def _resolved_original(group: AlertGroup, batch: _Batch, resolved: Mapping[str, Any]
                       ) -> dict[str, Any]:
    """The group-of-one's original message with the resolved header and no buttons."""
    original = Notification.objects.filter(group=group, slack_ts=group.slack_ts,
                                            kind=FIRING).order_by("id").first()
    blocks = [b for b in (original.payload.get("blocks") if original else []) or []
              if b.get("type") != "actions"]
    new_header = (resolved.get("blocks") or [None])[0]
    if blocks and blocks[0].get("type") == "header" and new_header:
        blocks[0] = new_header
    return {"text": resolved.get("text", ""), "blocks": blocks or resolved.get("blocks", [])}


def deliver_grouped(
    notes: Sequence[Notification], *, now: datetime, transport: SlackTransport,
    destination: str, policy: Policy | None = None, route: str = "",
    firing: Mapping[str, list[AlertIncident]] | None = None,
) -> tuple[int, int, int, SlackError | None]:
    """Deliver the due alert rows ``notes`` of one Slack destination ``route`` ("" or
    "slack:<channel>") per group; ``(sent, failed, retrying, stop)``. ``destination`` is the
    transport's key for the attempt records; ``stop`` the error that ends this run (Slack
    unwell, or the destination disabled).
    """
    policy = policy or configured_policy()
    run = _Delivery(now=now, transport=transport, destination=destination, policy=policy,
                    route=route)
    incidents = {i.pk: i for i in AlertIncident.objects.filter(
        pk__in={n.incident_id for n in notes})}
    members = firing if firing is not None else firing_by_group(policy)
    batches: dict[str, _Batch] = {}
    for note in notes:
        incident = incidents.get(note.incident_id)
        if incident is None:
            continue
        note.incident = incident
        labels = labels_of(incident, policy.group_by)
        key = key_of(labels)
        batch = batches.setdefault(key, _Batch(key, labels, [], members.get(key, [])))
        batch.notes.append(note)
    groups = {g.key: g for g in AlertGroup.objects.filter(destination=route,
                                                           key__in=list(batches))}
    opening = [b for b in batches.values()
               if b.members and not (b.key in groups and groups[b.key].is_open)]
    if len(opening) > policy.max_new_groups:
        run.storm(opening)
        for batch in opening:
            batches.pop(batch.key)
    run.storm_reminders([b for b in batches.values() if _storm_reminder(b, groups)], groups)
    for batch in batches.values():
        if run.stop is not None:
            break
        if not _storm_reminder(batch, groups):
            run.run_batch(batch, groups.get(batch.key))
    return run.sent, run.failed, run.retrying, run.stop


def _storm_reminder(batch: _Batch, groups: Mapping[str, AlertGroup]) -> bool:
    """Only reminders, for a group opened inside a storm summary."""
    group = groups.get(batch.key)
    return bool(group and group.is_open and group.storm and batch.notes
                and all(n.kind == REMINDER for n in batch.notes))
