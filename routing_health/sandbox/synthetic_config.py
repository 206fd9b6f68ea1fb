"""The routing configuration (spec 2.2 and 10) matching a synthetic org, commented for newcomers."""

from __future__ import annotations

from datetime import date

from routing_health.sandbox.synthetic_catalog import (
    ACCEPTED_STATUSES,
    CLOSED_STATUSES,
    DEFAULT_REGION,
    DEFAULT_TIER,
    INCIDENT_FAILED_NODE,
    REGIONS,
    REJECTED_STATUSES,
    SLA,
    TIER_BY_RATING,
    WINDOWS,
    Catalog,
)

REPORT_TIMEZONE = "America/New_York"
WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday")

HEADER = """\
# Routing Health - routing configuration
# =======================================
# This file tells Routing Health how *your* Salesforce org routes leads. It is read at
# start-up and by `manage.py check_config`, which rejects unknown keys, wrong types,
# unknown tiers and malformed Salesforce Ids (naming the key and the line).
# Keep it in version control next to your routing changes.
#
# Ids may be written in 15- or 18-character form; they are compared in 18-character form.
# Prefix 005 = a User, 00G = a queue (a Group with Type = 'Queue').
#
# This copy describes the synthetic demo org (routing_health.sandbox.synthetic, seed 7):
# every Id below exists in the org that `make demo` loads into the local Salesforce
# emulator. Regenerate it with:
#   .venv/bin/python -m routing_health.sandbox.synthetic --write-example
#
# The demo org's story, so you know what the dashboard should show:
# - Web leads arrive owned by the Integration User or the "Lead Intake" queue (holding).
# - The Lead_Router flow moves them to a regional "... Inbound" queue or straight to a rep;
#   leads it cannot place go to "Lead Triage" (fallback), sometimes with
#   Routing_Failed_Node__c naming the flow element that failed.
# - Otherwise the org is healthy: leads reach a rep within their tier's SLA and are touched
#   in time, so the three problems below are what the dashboard and Slack show.
# - On Thursday of the last complete week, Lead_Router's new version broke EMEA Hot leads:
#   they all land in Lead Triage with Routing_Failed_Node__c = "{incident_node}".
# - "APAC Inbound" stopped being worked four days ago: a backlog older than the
#   queue-age limit builds up there.
# - One AMER rep was deactivated ten days ago, yet a routing rule keeps assigning them leads.
"""


def _q(text: str) -> str:
    """A TOML basic string (our values hold no quotes or backslashes, but be safe)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(items: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def render_config(cat: Catalog, holiday_rows: list[tuple[date, str, tuple[str, ...]]]) -> str:
    """The TOML text. Depends only on the catalog (so the seed) and the holiday years."""
    name = cat.owner_names
    ids = cat.owner_ids
    lines = [
        HEADER.format(incident_node=INCIDENT_FAILED_NODE),
        "[report]",
        "# Day boundaries (cohorts, daily charts, the weekly review) and displayed times",
        "# use this IANA timezone. Stored data is always UTC.",
        f"timezone = {_q(REPORT_TIMEZONE)}",
        "",
        "[lead_fields]",
        "# Lead API field names. Only `region` and `tier` segment the metrics.",
        'region = "Region__c"          # picklist filled by the Lead_Enrichment flow',
        'country = "CountryCode"       # read with [regions.by_country] when Region__c is empty',
        'tier = "Rating"               # mapped through [tiers.by_value]',
        'failed_node = "Routing_Failed_Node__c"  # set by the router flow\'s fault path',
        'rejection_reason = "Rejection_Reason__c"',
        'extra = ["LeadSource", "Company"]       # more fields to pull and group by',
        "",
        "[owners]",
        '# Owners that mean "not routed yet": the integration user that creates web leads',
        "# and the intake queue the router reads. Their Tasks are automation, never a touch.",
        "holding = [",
        f"    {_q(ids[cat.integration])},  # User: {name[cat.integration]}",
        f"    {_q(ids[cat.holding_queue])},  # Queue: {name[cat.holding_queue]}",
        "]",
        '# Owners that mean "routing failed": the catch-all. A lead whose first routed owner',
        "# is one of these failed routing; a later move there is a bounce instead.",
        "fallback = [",
        f"    {_q(ids[cat.fallback_queue])},  # Queue: {name[cat.fallback_queue]}",
        "]",
        "# Every other 005 owner is a rep; every other 00G owner is a working queue:",
        *[f"#   {ids[q]} = Queue: {name[q]}" for q in cat.working_queues],
        "",
        "[statuses]",
        "# Lead.Status API names. A change into `accepted` (or a touch) within",
        "# windows.accept_hours of the rep assignment is an acceptance.",
        f"accepted = {_list(ACCEPTED_STATUSES)}",
        f"rejected = {_list(REJECTED_STATUSES)}",
        "# A closed or converted lead sitting in a queue does not count as queued.",
        f"closed = {_list(CLOSED_STATUSES)}",
        "",
        "[regions]",
        "# Region = Lead.Region__c when set, else the country map below, else this default.",
        f"default = {_q(DEFAULT_REGION)}",
        "",
        "[regions.by_country]",
        "# CountryCode -> region. Countries not listed (the demo has leads from ZA and AE)",
        "# fall in the default region.",
    ]
    for region in REGIONS:
        lines += [f"{code} = {_q(region.name)}  # {country}"
                  for code, country, _ in region.countries]
    lines += [
        "",
        "[regions.calendars]",
        "# Region -> business-hours calendar ([calendars.*] at the end). A region without",
        "# one (here: Unknown) only has wall-clock SLA clocks.",
        *[f"{r.name} = {_q(r.calendar)}" for r in REGIONS],
        "",
        "[tiers]",
        "# SLA tier = Lead.Rating mapped below; any other value (Cold, empty) -> default.",
        f"default = {_q(DEFAULT_TIER)}",
        "",
        "[tiers.by_value]",
        *[f"{value} = {_q(tier)}" for value, tier in TIER_BY_RATING.items()],
    ]
    for tier, (assign, touch, clock) in SLA.items():
        lines += [
            "",
            f"[tiers.sla.{tier}]",
            f"assign_minutes = {assign:<6}  # CreatedDate -> first owned by a rep",
            f"touch_minutes = {touch:<7}  # CreatedDate -> first Task/Event of a non-holding owner",
            f"clock = {_q(clock):<15}  # the clock of this tier's SLA alerts: wall or business",
        ]
    lines += [
        "",
        "[windows]",
        "# An unrouted lead older than this has failed routing (younger: pending).",
        f"routing_grace_minutes = {WINDOWS['routing_grace_minutes']}",
        "# An owner change within this many hours of the first rep assignment is a bounce.",
        f"bounce_hours = {WINDOWS['bounce_hours']}",
        "# The rep accepts (status change or touch) within this many hours of assignment.",
        f"accept_hours = {WINDOWS['accept_hours']}",
        "# A lead waiting in a queue longer than this is over the queue-age limit.",
        f"queue_age_limit_hours = {WINDOWS['queue_age_limit_hours']}",
        "",
        "[alerts]",
        "# Every rule of the spec's alert table is on with its default threshold. Override",
        "# a rule in [alerts.rules.<rule>] and a segment in [[alerts.overrides]].",
        "reminder_hours = 4  # while an alert stays firing, remind at most this often",
        "",
        "[[alerts.overrides]]",
        "# An example segment override: APAC standard-tier leads may dip to 99% success.",
        'rule = "assignment_success"',
        'region = "APAC"',
        'tier = "standard"',
        "threshold = 0.99",
        "",
        "[change_safety]",
        "# Routing flows watched after each activation: a segment clearly worse than the same",
        "# hours before it opens a flow_regression incident (docs/change-safety.md).",
        'flows = ["Lead_Router"]',
        "# Compare everything since the activation, up to a week (default: the last 24 h), so",
        "# a regression is judged on days of leads, not on one day's handful per segment.",
        "window_hours = 168",
        "",
        "[change_safety.kill_switch]",
        "# The checkbox Lead_Router reads first. While it is on, leads sent to the triage",
        "# (fallback) queue are 'triaged', not routing failures; on for longer than",
        "# limit_hours raises the kill_switch alert.",
        'object = "Routing_Switch__mdt"',
        'field = "Kill_Switch__c"',
        "where = \"DeveloperName = 'Lead_Routing'\"",
        "limit_hours = 2",
    ]
    for region in REGIONS:
        days = [d for d, _, keys in holiday_rows if region.calendar in keys]
        interval = _list([f"{region.open_hhmm}-{region.close_hhmm}"])
        lines += [
            "",
            f"[calendars.{region.calendar}]",
            f'# {region.name} office hours (Salesforce BusinessHours "{region.hours_name}").',
            f"timezone = {_q(region.timezone)}",
            *[f"{day} = {interval}" for day in WEEKDAY_KEYS],
            "# saturday and sunday are not listed: closed. Holidays are whole local days.",
            "holidays = [",
            *[f"    {_q(d.isoformat())}," for d in days],
            "]",
        ]
    lines += [
        "",
        "# Who shares leads, with what weight, and when a split is uneven (issue 17;",
        "# docs/configuration.md#fairness). Every key is optional: without the table each",
        "# region's reps form a pool of equal weights and only User.IsActive says who cannot",
        "# take leads. These are the defaults.",
        "[fairness]",
        '# out_of_office_field = "Out_of_Office__c"  # a User checkbox, synced when set',
        "min_leads = 20        # pool leads a period needs before it can be flagged",
        "max_ratio = 2.0       # max/min share-per-weight ratio judged uneven ...",
        "max_gini = 0.3        # ... or the Gini index of the weight-normalised counts ...",
        "max_p_value = 0.05    # ... and only when so uneven a split is this unlikely by chance",
        "",
        "# [fairness.weights]",
        f'# "{ids[cat.pools[0, 0]]}" = 2.0   # a rep who should get twice the leads of others',
        "",
        "# [[fairness.pools]]",
        '# name = "AMER enterprise"',
        f'# reps = ["{ids[cat.pools[0, 0]]}", "{ids[cat.pools[0, 1]]}"]',
        '# region = "AMER"',
    ]
    return "\n".join(lines) + "\n"
