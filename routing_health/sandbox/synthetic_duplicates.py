"""The demo's duplicate-outreach story (issue 17 item 5), for the demo scenario only.

The base generator draws lead companies from 30 words × 24 trades, so in a large org every
company would recur hundreds of times across reps. The demo gives each lead its own company
instead (an invented three-syllable brand, a trade and the region's legal suffix, unique per lead,
with a matching ``brand-trade.example`` e-mail domain and, for every other lead, a Website), then
tells one story on that quiet baseline:

- **Northwind Traders**: five leads of one region in the last 10 days, routed to at least two
  reps: three write from ``northwind.example`` (one gives only its Website), two from a public
  mail domain under the company's name; the Account "Northwind Traders Inc." (Website
  ``https://www.northwind.example``) is owned by the rep of the first of them.
- **Accounts**: every 40th assigned lead's company is an Account owned by the lead's first rep
  (a match, no conflict), every 400th one owned by another rep of the lead's pool (a conflict).

Vectorised; nasty leads keep their values. Deterministic (no random draws: the order of the
leads decides).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from routing_health.sandbox.synthetic_arrays import Timeline
from routing_health.sandbox.synthetic_catalog import REGIONS, Catalog
from routing_health.sandbox.synthetic_clock import DAY
from routing_health.sandbox.synthetic_columns import (
    datetime_column,
    id_column,
    id_counters,
    join_strings,
    take_strings,
)
from routing_health.sandbox.synthetic_timeline import NEVER, Window

CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"
SYLLABLES = [c + v for c in CONSONANTS for v in VOWELS]
TRADES = ("Logistics", "Analytics", "Health", "Robotics", "Foods", "Capital", "Software",
          "Energy", "Labs", "Media", "Systems", "Networks")
STORY_COMPANIES = ("Northwind Traders, Inc.", "Northwind Traders", "NORTHWIND TRADERS INC",
                   "Northwind Traders", "Northwind Traders Inc")
STORY_EMAILS = ("olivia.brown@northwind.example", "kenji.tanaka@northwind.example", None,
                "northwind.buyer@gmail.com", "procurement.nw@outlook.com")
STORY_WEBSITE = "https://www.northwind.example"
STORY_ACCOUNT = "Northwind Traders Inc."
STORY_REGION = 0
MATCH_EVERY, CONFLICT_EVERY = 40, 400


def _brands(n: int) -> tuple[pd.Series, pd.Series]:
    """Per lead a unique ``Brand Trade`` and ``brand-trade`` (an index permutation into
    syllables³ × trades)."""
    s, t = len(SYLLABLES), len(TRADES)
    space = s**3 * t
    step = 7_919  # prime, not dividing ``space``: i -> i * step mod space is one-to-one
    code = (np.arange(n, dtype=np.int64) * step + 12_345) % space
    trade = code % t
    rest = code // t
    first, second, third = rest % s, (rest // s) % s, rest // (s * s)
    capital = [x.capitalize() for x in SYLLABLES]
    title = join_strings(take_strings(capital, first), take_strings(SYLLABLES, second),
                         take_strings(SYLLABLES, third))
    lower = join_strings(take_strings(SYLLABLES, first), take_strings(SYLLABLES, second),
                         take_strings(SYLLABLES, third))
    brand = join_strings(title, take_strings(TRADES, trade), separator=" ")
    domain = join_strings(lower, take_strings([x.lower() for x in TRADES], trade), separator="-")
    return brand, domain


def apply_duplicate_story(
    lead: pd.DataFrame, tl: Timeline, cat: Catalog, win: Window, ids_rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The demo's Lead frame with unique companies and the story, the Account frame, and the
    story's ground truth (``facts["duplicates"]``)."""
    n = len(lead)
    brand, domain = _brands(n)
    suffixes = [s for region in REGIONS for s in region.company_suffixes]
    start = np.cumsum([0] + [len(r.company_suffixes) for r in REGIONS])[:-1]
    count = np.array([len(r.company_suffixes) for r in REGIONS])
    suffix = start[tl.region_true] + np.arange(n) % count[tl.region_true]
    company = join_strings(brand, take_strings(suffixes, suffix), separator=" ")
    local = lead["Email"].str.split("@").str[0]
    email = join_strings(local, join_strings(domain, ".example"), separator="@")
    website = join_strings("https://www.", domain, ".example/")
    website = website.where(np.arange(n) % 2 == 0, None).astype(website.dtype)
    nasty = tl.nasty >= 0
    out = lead.copy()
    out["Company"] = company.where(~nasty, lead["Company"]).astype(lead["Company"].dtype)
    out["Email"] = email.where(~nasty, lead["Email"]).astype(lead["Email"].dtype)
    out["Website"] = website.where(~nasty, None).astype(website.dtype)

    alive = tl.deleted_at == NEVER
    assigned = alive & (tl.first_rep >= 0) & ~nasty
    recent = (tl.created >= win.now - 10 * DAY) & (tl.created <= win.now - 2 * DAY)
    pool = np.flatnonzero(assigned & recent & (tl.region_eff == STORY_REGION))
    story = _story_rows(pool, tl.first_rep)
    for k, row in enumerate(story):
        out.loc[row, "Company"] = STORY_COMPANIES[k]
        out.loc[row, "Email"] = STORY_EMAILS[k]
        out.loc[row, "Website"] = STORY_WEBSITE if STORY_EMAILS[k] is None else None

    picked = np.flatnonzero(assigned)
    picked = picked[~np.isin(picked, story)]
    matches = picked[::MATCH_EVERY]
    owner = tl.first_rep[matches].copy()
    conflict = np.arange(len(matches)) % (CONFLICT_EVERY // MATCH_EVERY) == 1
    owner[conflict] = _another_rep(cat, owner[conflict])
    head = [STORY_ACCOUNT] if story else []
    names = [*head, *out["Company"].take(matches).tolist()]
    sites = [*([STORY_WEBSITE] if story else []), *out["Website"].take(matches).tolist()]
    owners = [*(cat.owner_ids[tl.first_rep[story[0]]] for _ in head),
              *(cat.owner_ids[o] for o in owner)]
    created = win.start - 30 * DAY
    accounts = pd.DataFrame({
        "Id": id_column("001", _counters(ids_rng, len(names))),
        "Name": pd.Series(names, dtype="str"),
        "Website": pd.Series(sites, dtype="str"),
        "OwnerId": pd.Series(owners, dtype="str"),
        "CreatedDate": datetime_column(np.full(len(names), created, dtype=np.int64)),
        "LastModifiedDate": datetime_column(np.full(len(names), created, dtype=np.int64)),
        "SystemModstamp": datetime_column(np.full(len(names), created, dtype=np.int64)),
        "IsDeleted": np.zeros(len(names), dtype=bool),
    })
    ids = lead["Id"]
    truth = {
        "company": "Northwind Traders", "domain": "northwind.example",
        "account_id": str(accounts["Id"].iloc[0]) if story else None,
        "account_owner": owners[0] if story else None,
        "lead_ids": [str(ids.iloc[r]) for r in story],
        "reps": [cat.owner_ids[tl.first_rep[r]] for r in story],
        "healthy_accounts": int((~conflict).sum()), "conflict_accounts": int(conflict.sum()),
    }
    return out, accounts, truth


def _story_rows(pool: np.ndarray, first_rep: np.ndarray) -> list[int]:
    """Five leads of ``pool`` (in creation order), the first two of different reps."""
    if len(pool) < 5:
        return []
    first = int(pool[0])
    other = pool[first_rep[pool] != first_rep[first]]
    if not len(other):
        return []
    rest = [int(r) for r in pool if r not in (first, other[0])][:3]
    return [first, int(other[0]), *rest]


def _another_rep(cat: Catalog, reps: np.ndarray) -> np.ndarray:
    """For each rep, the next rep of its region pool (a rep of a one-rep pool stays)."""
    out = reps.copy()
    for k in range(len(cat.pool_sizes)):
        members = cat.pools[k, : cat.pool_sizes[k]]
        for i, rep in enumerate(members):
            out[reps == rep] = members[(i + 1) % len(members)]
    return out


def _counters(rng: np.random.Generator, count: int) -> np.ndarray:
    return id_counters(rng, count)
