"""Which lead a synced Task or Event belongs to (spec section 4, "A touch is ...").

An activity on a lead (WhoId = the lead) belongs to that lead, and the sync remembers it
(``seen_lead_id``) after Salesforce moves the activity to the converted Contact. An activity
found on a Contact belongs to one of the leads converted into that Contact:

1. the lead the sync saw it on, if any;
2. else the lead open when it was created: CreatedDate ≤ the activity's CreatedDate, and the
   activity's (UTC) date ≤ ConvertedDate, a date; the latest-created on a tie;
3. else the lead converted last before it (latest ConvertedDate, then latest-created);
4. else (it predates every one of them) the earliest-created, as an activity of a single
   converted lead's Contact belongs to that lead whenever it was created.

Exact ties of those times go to the larger Id. Both sides of the rule arrive through the sync in
any order, so both writers apply it: a page of activities is linked as it is written
(``link_activities``), and a page of leads re-links the stored activities of the Contacts those
leads converted into (``relink_contact_activities``). The stored ``lead_id`` is then the same
whether the rows came through a backfill or through increments, except for what the sync saw
on a lead, which is the point of rule 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from django.utils import timezone

from routing_health.lib.sfid import CONTACT_PREFIX, LEAD_PREFIX
from routing_health.models import Activity, Lead

ID_CHUNK = 2000  # Ids per IN (…) list

ACTIVITY_INPUT = ("id", "who_id", "created_at")
LEAD_INPUT = ("id", "converted_contact_id", "created_at", "converted_date")


def contact_activity_leads(activities: pd.DataFrame, leads: pd.DataFrame) -> pd.Series:
    """The lead each Contact activity belongs to by rules 2–4 of the module docstring.

    ``activities``: ``ACTIVITY_INPUT`` columns (``created_at`` aware UTC), the Contact Id in
    ``who_id``. ``leads``: ``LEAD_INPUT`` columns of the leads converted into those Contacts
    (``converted_date`` a date, or null when Salesforce has not set it yet: such a lead stays
    open). Returns the lead Id (str) indexed by activity Id; an activity whose Contact no lead
    converted into is left out.
    """
    candidates = leads.loc[:, list(LEAD_INPUT)].rename(
        columns={
            "id": "lead",
            "converted_contact_id": "who_id",
            "created_at": "lead_created",
            "converted_date": "converted_on",
        }
    )
    pairs = activities.loc[:, list(ACTIVITY_INPUT)].merge(candidates, on="who_id")
    if pairs.empty:
        return pd.Series([], index=pd.Index([], dtype=object), dtype=object, name="lead_id")
    at = _utc_ns(pairs["created_at"])
    created = _utc_ns(pairs["lead_created"])
    day_ns = 86_400 * 10**9
    at_day = at - at % day_ns
    converted = pd.to_datetime(pairs["converted_on"]).to_numpy(dtype="datetime64[ns]")
    has_converted = ~np.isnat(converted)
    converted_day = np.where(has_converted, converted.astype("int64"), np.iinfo(np.int64).max)
    is_open = (created <= at) & (at_day <= converted_day)
    before = has_converted & (converted_day < at_day)
    rank = np.select([is_open, before], [0, 1], 2)
    # One ascending sort key per rule: latest-created open lead; latest-converted, then
    # latest-created, earlier lead; earliest-created lead.
    pairs["rank"] = rank
    pairs["first_key"] = np.select([rank == 0, rank == 1], [-created, -converted_day], created)
    pairs["second_key"] = np.where(rank == 1, -created, 0)
    chosen = pairs.sort_values(
        ["id", "rank", "first_key", "second_key", "lead"],
        ascending=[True, True, True, True, False],
        kind="stable",
    ).drop_duplicates("id")
    return pd.Series(chosen["lead"].to_numpy(), index=chosen["id"].to_numpy(), name="lead_id")


def link_activities(rows: Sequence[Activity]) -> list[Activity]:
    """Set ``lead_id`` and ``seen_lead_id`` of a page of activities; returns those that
    belong to a lead of ours (the others are not kept)."""
    on_contacts = []
    for row in rows:
        if row.who_id.startswith(LEAD_PREFIX):
            row.lead_id = row.seen_lead_id = row.who_id
        else:
            row.lead_id = row.seen_lead_id = ""
            on_contacts.append(row)
    seen = _stored_seen_leads([row.id for row in on_contacts])
    unseen = []
    for row in on_contacts:
        row.seen_lead_id = row.lead_id = seen.get(row.id, "")
        if not row.lead_id and row.who_id.startswith(CONTACT_PREFIX):
            unseen.append(row)
    if unseen:
        frame = pd.DataFrame(
            {
                "id": [r.id for r in unseen],
                "who_id": [r.who_id for r in unseen],
                "created_at": pd.to_datetime([r.created_at for r in unseen], utc=True),
            }
        )
        owners = contact_activity_leads(frame, _converted_leads({r.who_id for r in unseen}))
        for row in unseen:
            row.lead_id = owners.get(row.id, "")
    return [row for row in rows if row.lead_id]


def link_activity_columns(columns: dict[str, Any]) -> dict[str, Any]:
    """``link_activities`` for a page given as columns (``id``, ``who_id``, ``created_at``
    ...): adds ``lead_id`` and ``seen_lead_id`` and keeps the rows that belong to a lead."""
    ids = np.asarray(columns["id"], dtype=object)
    who = pd.Series(np.asarray(columns["who_id"], dtype=object))
    on_lead = who.str.startswith(LEAD_PREFIX).to_numpy(dtype=bool)
    lead = np.where(on_lead, who.to_numpy(), "").astype(object)
    on_contacts = np.flatnonzero(~on_lead)
    seen = _stored_seen_leads(ids[on_contacts].tolist())
    if seen:
        lead[on_contacts] = [seen.get(i, "") for i in ids[on_contacts]]
    seen_lead = lead.copy()
    unseen = (lead == "") & who.str.startswith(CONTACT_PREFIX).to_numpy(dtype=bool)
    if unseen.any():
        frame = pd.DataFrame(
            {
                "id": ids[unseen],
                "who_id": who.to_numpy()[unseen],
                "created_at": pd.DatetimeIndex(columns["created_at"])[unseen],
            }
        )
        owners = contact_activity_leads(frame, _converted_leads(set(frame["who_id"])))
        lead[unseen] = pd.Series(ids[unseen]).map(owners).fillna("").to_numpy(dtype=object)
    keep = lead != ""
    out = {name: values[keep] for name, values in columns.items()}
    out["lead_id"], out["seen_lead_id"] = lead[keep], seen_lead[keep]
    return out


def relink_contact_activities(contact_ids: Iterable[str]) -> int:
    """Re-apply the rule to the stored activities of these Contacts that the sync did not see
    on a lead (after leads converted into them were written); returns how many moved to
    another lead. A moved activity gets a new ``synced_at``, so the rollups recompute both
    leads."""
    contacts = sorted({c for c in contact_ids if c})
    moved = 0
    for i in range(0, len(contacts), ID_CHUNK):
        chunk = contacts[i : i + ID_CHUNK]
        stored = pd.DataFrame.from_records(
            Activity.objects.filter(who_id__in=chunk, seen_lead_id="").values_list(
                *ACTIVITY_INPUT, "lead_id"
            ),
            columns=[*ACTIVITY_INPUT, "lead_id"],
        )
        if stored.empty:
            continue
        stored["created_at"] = pd.to_datetime(stored["created_at"], utc=True)
        owners = contact_activity_leads(stored, _converted_leads(chunk))
        new = stored["id"].map(owners).fillna(stored["lead_id"])
        changed = stored.assign(new=new)[new != stored["lead_id"]]
        now = timezone.now()
        for lead_id, group in changed.groupby("new", sort=True):
            ids = group["id"].tolist()
            Activity.objects.filter(id__in=ids).update(lead_id=lead_id, synced_at=now)
            moved += len(ids)
    return moved


def _stored_seen_leads(ids: Sequence[str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for i in range(0, len(ids), ID_CHUNK):
        seen.update(
            Activity.objects.filter(id__in=ids[i : i + ID_CHUNK])
            .exclude(seen_lead_id="")
            .values_list("id", "seen_lead_id")
        )
    return seen


def _converted_leads(contact_ids: Iterable[str]) -> pd.DataFrame:
    contacts = sorted(contact_ids)
    rows: list[tuple] = []
    for i in range(0, len(contacts), ID_CHUNK):
        chunk = contacts[i : i + ID_CHUNK]
        rows += Lead.objects.filter(converted_contact_id__in=chunk).values_list(*LEAD_INPUT)
    frame = pd.DataFrame.from_records(rows, columns=list(LEAD_INPUT))
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def _utc_ns(values: pd.Series) -> np.ndarray:
    """Aware datetimes as int64 nanoseconds since the epoch (UTC)."""
    return (
        pd.to_datetime(values, utc=True).dt.tz_convert(None).astype("datetime64[ns]")
        .to_numpy()
        .astype("int64")
    )
