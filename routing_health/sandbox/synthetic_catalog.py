"""The fixed part of the synthetic org: regions, people, queues, statuses, flows, calendars, words.

Everything here depends only on the seed (never on ``now`` or the lead count), so the Ids of users,
queues and flows are stable for a seed and ``examples/routing_health.example.toml`` matches every
demo org generated with the default seed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from routing_health.sandbox.synthetic_columns import id_counters, id_list

REGION_NAMES = ("AMER", "EMEA", "APAC")
DEFAULT_REGION = "Unknown"
REGION_SHARE = (0.45, 0.33, 0.22)


@dataclass(frozen=True)
class RegionInfo:
    name: str
    calendar: str  # key of [calendars.<key>] in the config
    hours_name: str  # BusinessHours.Name
    timezone: str
    open_hhmm: str
    close_hhmm: str
    rep_timezones: tuple[str, ...]
    countries: tuple[tuple[str, str, float], ...]  # CountryCode, Country, weight
    company_suffixes: tuple[str, ...]

    @property
    def open_seconds(self) -> int:
        return _hhmm_seconds(self.open_hhmm)

    @property
    def close_seconds(self) -> int:
        return _hhmm_seconds(self.close_hhmm)


def _hhmm_seconds(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


REGIONS = (
    RegionInfo(
        "AMER", "amer", "AMER Hours", "America/New_York", "09:00", "17:00",
        ("America/New_York", "America/Chicago", "America/Los_Angeles"),
        (("US", "United States", 0.72), ("CA", "Canada", 0.14), ("BR", "Brazil", 0.08),
         ("MX", "Mexico", 0.06)),
        ("Inc.", "LLC", "Corp."),
    ),
    RegionInfo(
        "EMEA", "emea", "EMEA Hours", "Europe/Berlin", "09:00", "17:30",
        ("Europe/Berlin", "Europe/London", "Europe/Paris"),
        (("DE", "Germany", 0.30), ("GB", "United Kingdom", 0.30), ("FR", "France", 0.18),
         ("NL", "Netherlands", 0.12), ("ES", "Spain", 0.10)),
        ("GmbH", "Ltd", "SA", "BV"),
    ),
    RegionInfo(
        "APAC", "apac", "APAC Hours", "Asia/Singapore", "09:00", "18:00",
        ("Asia/Singapore", "Australia/Sydney", "Asia/Tokyo"),
        (("SG", "Singapore", 0.30), ("AU", "Australia", 0.30), ("JP", "Japan", 0.22),
         ("IN", "India", 0.18)),
        ("Pte Ltd", "Pty Ltd", "KK"),
    ),
)
# Countries an admin forgot in [regions.by_country]: leads from them fall in the default region.
UNMAPPED_COUNTRIES = (("ZA", "South Africa"), ("AE", "United Arab Emirates"))

RATINGS = ("Hot", "Warm", "Cold")  # Lead.Rating picklist; empty is common too
RATING_SHARE = (0.15, 0.35, 0.35, 0.15)  # Hot, Warm, Cold, empty
TIER_BY_RATING = {"Hot": "hot", "Warm": "warm"}  # anything else -> the default tier
TIERS = ("hot", "warm", "standard")
DEFAULT_TIER = "standard"
SLA = {  # tier -> (assign_minutes, touch_minutes, clock)
    "hot": (5, 15, "wall"),
    "warm": (60, 240, "business"),
    "standard": (240, 1440, "business"),
}
WINDOWS = {
    "routing_grace_minutes": 60,
    "bounce_hours": 168,
    "accept_hours": 24,
    "queue_age_limit_hours": 24,
}

# (ApiName, IsConverted, IsDefault); order = SortOrder.
LEAD_STATUSES = (
    ("Open - Not Contacted", False, True),
    ("Working - Contacted", False, False),
    ("Qualified", False, False),
    ("Closed - Converted", True, False),
    ("Closed - Not Converted", False, False),
)
STATUS_OPEN, STATUS_WORKING, STATUS_QUALIFIED, STATUS_CONVERTED, STATUS_REJECTED = range(5)
ACCEPTED_STATUSES = ("Working - Contacted", "Qualified")
REJECTED_STATUSES = ("Closed - Not Converted",)
CLOSED_STATUSES = ("Closed - Converted", "Closed - Not Converted")

LEAD_SOURCES = (
    ("Web", 0.34), ("Content Download", 0.16), ("Webinar", 0.12), ("Inbound Call", 0.08),
    ("Partner Referral", 0.10), ("Trade Show", 0.08), ("Purchased List", 0.07), ("Other", 0.05),
)
REJECTION_REASONS = (
    "Duplicate", "Not a fit", "Bad contact data", "Student / personal", "Competitor",
    "Wrong region",
)
BASELINE_FAILED_NODES = ("Decision: Region Router", "Get Records: Territory")
INCIDENT_FAILED_NODE = "Decision: Assign by Territory"
INCIDENT_REGION = "EMEA"
INCIDENT_RATING = "Hot"
BACKLOG_REGION = "APAC"

FIRST_NAMES = (
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Mateo", "Sofia", "Lucas", "Mia", "Ethan", "Amara",
    "Kenji", "Priya", "Arjun", "Chen", "Mei", "Hiroshi", "Yuki", "Lars", "Ingrid", "Jonas", "Lena",
    "Felix", "Clara", "Pierre", "Camille", "Luca", "Giulia", "Diego", "Lucía", "Omar", "Layla",
    "Tomás", "Ana", "Sven", "Freya", "Kwame", "Zanele", "Ravi", "Ananya", "Daniel", "Grace",
    "Henry", "Isla", "Jack", "Chloé", "Samuel", "Ruby",
)
LAST_NAMES = (
    "Smith", "Johnson", "Garcia", "Martinez", "Brown", "Lee", "Wong", "Tanaka", "Suzuki", "Kim",
    "Park", "Patel", "Sharma", "Singh", "Nguyen", "Müller", "Schmidt", "Schneider", "Fischer",
    "Weber", "Dubois", "Martin", "Bernard", "Rossi", "Russo", "Bianchi", "Silva", "Santos",
    "Okafor", "Mensah", "Nakamura", "Lindqvist", "Johansson", "Andersen", "Novak", "Kowalski",
    "O'Brien", "Murphy", "Walsh", "Taylor", "Wilson", "Clarke", "Evans", "Hughes", "Cohen", "Levi",
    "Haddad", "Khan", "Ali", "Reyes",
)
COMPANY_WORDS = (
    "Northwind", "Blue Harbor", "Summit", "Evergreen", "Brightline", "Crescent", "Ironwood",
    "Silverline", "Redwood", "Atlas", "Pioneer", "Keystone", "Horizon", "Lumen", "Cobalt",
    "Granite", "Meridian", "Nimbus", "Quantum", "Sterling", "Vertex", "Orchid", "Falcon",
    "Harbor & Hale", "Juniper", "Polaris", "Riverbend", "Sable", "Tidewater", "Zenith",
)
COMPANY_TRADES = (
    "Logistics", "Analytics", "Health", "Robotics", "Foods", "Capital", "Software", "Energy",
    "Labs", "Media", "Systems", "Networks", "Biotech", "Retail", "Insurance", "Freight",
    "Security", "Cloud", "Manufacturing", "Travel", "Learning", "Payments", "Consulting",
    "Materials",
)
# Demo-only leads whose values must be escaped everywhere they are shown (Slack mrkdwn, HTML).
NASTY_LEADS = (  # FirstName, LastName, Company, Email
    ("<!channel>", "Ping", "Broadcast <!here> Industries", "ping@broadcast.example"),
    ("Robert", "Tables", "</script><script>alert(1)</script>", "bobby@tables.example"),
    ("Ampersand", "&<>", "Smith & Sons <Holdings>", "amp@smith-sons.example"),
    ("Zoë", "Łukasiewicz-Ñúñez", "株式会社 山田商事 🚀", "zoe@yamada.example"),
)
FLOWS = (  # ApiName, Label, versions, TriggerType, description
    ("Lead_Router", "Lead Router", 8, "RecordAfterSave",
     "Assigns new leads to a regional queue or rep by territory and rating."),
    ("Lead_Enrichment", "Lead Enrichment", 3, "RecordBeforeSave",
     "Normalises country and fills Region__c."),
    ("Lead_SLA_Escalation", "Lead SLA Escalation", 2, "Scheduled",
     "Draft: escalates untouched hot leads."),
)


def ascii_fold(text: str) -> str:
    """Lower-case ASCII for e-mail local parts and domains ('Müller' -> 'muller')."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


@dataclass(frozen=True)
class Catalog:
    """People, queues and configuration objects of the org, with their Ids (18-character).

    Owners (users then queues) are addressed by index into ``owner_ids``/``owner_names``; the
    timeline generator works on those integer indices.
    """

    users: list[dict]  # User rows without timestamps
    roles: list[dict]
    groups: list[dict]  # queues plus one non-queue group
    owner_ids: list[str]
    owner_names: list[str]
    owner_is_user: np.ndarray
    integration: int  # owner index of the integration user (automation)
    admin: int
    holding_queue: int
    fallback_queue: int
    working_queues: tuple[int, ...]  # per region
    pools: np.ndarray  # [region, slot] -> owner index of a rep (padded with -1)
    pool_sizes: np.ndarray
    inactive_rep: int  # left during the window (last slot of the AMER pool)
    departed_rep: int  # left before the window; owns nothing recent
    status_ids: list[str]
    hours_ids: list[str]
    flow_ids: list[str]
    flow_version_ids: list[list[str]]
    holiday_counters: np.ndarray


def build_catalog(rng: np.random.Generator) -> Catalog:
    """Draw the org's people and objects; consumes ``rng`` identically for every ``now``/size."""
    reps_per_region = rng.integers(4, 9, size=len(REGIONS))
    name_pairs = rng.permutation(len(FIRST_NAMES) * len(LAST_NAMES))
    role_ids = id_list("00E", id_counters(rng, 4))
    roles = [
        {"Id": role_ids[i], "Name": name, "DeveloperName": name.replace(" ", "_")}
        for i, name in enumerate(("AMER Sales", "EMEA Sales", "APAC Sales", "Sales Operations"))
    ]
    people: list[tuple[str, str, str, str | None, str, bool]] = [
        ("Integration", "User", "GMT", role_ids[3], "Integration (automation)", True),
        ("Dana", "Whitfield", "America/New_York", role_ids[3], "RevOps Manager", True),
    ]
    pool_members: list[list[int]] = []
    taken = 0
    for r, region in enumerate(REGIONS):
        members = []
        for j in range(int(reps_per_region[r])):
            pair = int(name_pairs[taken])
            taken += 1
            first = FIRST_NAMES[pair // len(LAST_NAMES)]
            last = LAST_NAMES[pair % len(LAST_NAMES)]
            zone = region.rep_timezones[j % len(region.rep_timezones)]
            members.append(len(people))
            title = f"{region.name} Account Executive"
            people.append((first, last, zone, role_ids[r], title, True))
        pool_members.append(members)
    pair = int(name_pairs[taken])
    departed = len(people)
    people.append((FIRST_NAMES[pair // len(LAST_NAMES)], LAST_NAMES[pair % len(LAST_NAMES)],
                   "Europe/London", role_ids[1], "EMEA Account Executive", False))
    inactive = pool_members[0][-1]
    user_ids = id_list("005", id_counters(rng, len(people)))
    users = []
    for i, (first, last, zone, role, title, active) in enumerate(people):
        login = f"{ascii_fold(first)}.{ascii_fold(last)}"
        users.append({
            "Id": user_ids[i], "Username": f"{login}@routing-health-demo.example",
            "FirstName": first, "LastName": last, "Name": f"{first} {last}",
            "Email": f"{login}@routing-health-demo.example", "Alias": login[:8],
            "IsActive": active and i != inactive, "UserType": "Standard",
            "TimeZoneSidKey": zone, "UserRoleId": role, "Title": title,
        })
    queue_specs = [("Lead Intake", "Lead_Intake", "Queue")]
    queue_specs += [(f"{r.name} Inbound", f"{r.name}_Inbound", "Queue") for r in REGIONS]
    queue_specs += [("Lead Triage", "Lead_Triage", "Queue"), ("Sales Managers", "Sales_Managers",
                                                              "Regular")]
    group_ids = id_list("00G", id_counters(rng, len(queue_specs)))
    groups = [
        {"Id": group_ids[i], "Name": name, "DeveloperName": dev, "Type": kind,
         "Email": f"{dev.lower()}@routing-health-demo.example" if kind == "Queue" else None}
        for i, (name, dev, kind) in enumerate(queue_specs)
    ]
    queues = [g for g in groups if g["Type"] == "Queue"]
    owner_ids = [u["Id"] for u in users] + [q["Id"] for q in queues]
    owner_names = [u["Name"] for u in users] + [q["Name"] for q in queues]
    first_queue = len(users)
    pools = np.full((len(REGIONS), max(len(m) for m in pool_members)), -1, dtype=np.int64)
    for r, members in enumerate(pool_members):
        pools[r, : len(members)] = members
    return Catalog(
        users=users, roles=roles, groups=groups, owner_ids=owner_ids, owner_names=owner_names,
        owner_is_user=np.arange(len(owner_ids)) < first_queue,
        integration=0, admin=1, holding_queue=first_queue,
        working_queues=tuple(first_queue + 1 + r for r in range(len(REGIONS))),
        fallback_queue=first_queue + 1 + len(REGIONS),
        pools=pools, pool_sizes=np.array([len(m) for m in pool_members], dtype=np.int64),
        inactive_rep=inactive, departed_rep=departed,
        status_ids=id_list("01J", id_counters(rng, len(LEAD_STATUSES))),
        hours_ids=id_list("01m", id_counters(rng, len(REGIONS))),
        flow_ids=id_list("300", id_counters(rng, len(FLOWS))),
        flow_version_ids=[id_list("301", id_counters(rng, f[2])) for f in FLOWS],
        holiday_counters=id_counters(rng, 256),
    )


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """``nth`` (1-based; -1 = last) ``weekday`` (Monday 0) of a month."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def holidays(first_year: int, last_year: int) -> list[tuple[date, str, tuple[str, ...]]]:
    """Public holidays as (date, name, calendar keys), sorted by date then name."""
    rows: dict[tuple[date, str], list[str]] = {}
    for year in range(first_year, last_year + 1):
        per_calendar = {
            "amer": [(date(year, 1, 1), "New Year's Day"),
                     (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
                     (date(year, 7, 4), "Independence Day"),
                     (_nth_weekday(year, 9, 0, 1), "Labor Day"),
                     (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
                     (date(year, 12, 25), "Christmas Day")],
            "emea": [(date(year, 1, 1), "New Year's Day"), (date(year, 5, 1), "Labour Day"),
                     (date(year, 10, 3), "German Unity Day"), (date(year, 12, 25), "Christmas Day"),
                     (date(year, 12, 26), "St. Stephen's Day")],
            "apac": [(date(year, 1, 1), "New Year's Day"), (date(year, 5, 1), "Labour Day"),
                     (date(year, 8, 9), "National Day"), (date(year, 12, 25), "Christmas Day")],
        }
        for key, days in per_calendar.items():
            for day, name in days:
                rows.setdefault((day, name), []).append(key)
    return [(day, name, tuple(keys)) for (day, name), keys in sorted(rows.items())]
