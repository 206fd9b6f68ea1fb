"""Turn the integer timeline into Salesforce-shaped frames: Lead, LeadHistory, Task, Event, Contact.

Strings are only materialised here, by integer code into small dictionaries (``take_strings``), so a
million leads cost a handful of pyarrow ``take`` calls per column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from routing_health.sandbox.synthetic_arrays import Timeline
from routing_health.sandbox.synthetic_catalog import (
    BASELINE_FAILED_NODES,
    COMPANY_TRADES,
    COMPANY_WORDS,
    FIRST_NAMES,
    INCIDENT_FAILED_NODE,
    LAST_NAMES,
    LEAD_SOURCES,
    LEAD_STATUSES,
    NASTY_LEADS,
    RATINGS,
    REGION_NAMES,
    REGIONS,
    REJECTION_REASONS,
    Catalog,
    ascii_fold,
)
from routing_health.sandbox.synthetic_columns import (
    NAT,
    date_column,
    datetime_column,
    id_column,
    id_counters,
    join_strings,
    take_strings,
)
from routing_health.sandbox.synthetic_timeline import NEVER, Window, country_codes

STATUS_NAMES = [s[0] for s in LEAD_STATUSES]
TOUCH_TASK_SUBJECTS = ("Call", "Email: Intro", "Left voicemail", "LinkedIn message",
                       "Follow-up call")
TOUCH_TASK_SUBTYPES = ("Call", "Email", "Call", "Task", "Call")
AUTOMATION_SUBJECT = "Email: Welcome (nurture step 1)"
EVENT_SUBJECTS = ("Discovery call", "Intro meeting", "Product demo")
EVENT_MINUTES = np.array([15, 30, 45, 60])
ARCHIVE_AFTER_DAYS = 21


def _times(seconds: np.ndarray) -> pd.Series:
    return datetime_column(np.where(seconds >= NEVER, NAT, seconds))


def lead_frames(
    tl: Timeline, cat: Catalog, win: Window, rng: np.random.Generator, ids_rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """The Lead, Contact, LeadHistory, Task and Event frames of a timeline."""
    n = len(tl.created)
    lead_ids = id_column("00Q", id_counters(ids_rng, n))
    nasty = tl.nasty >= 0
    first_code = np.where(nasty, len(FIRST_NAMES) + tl.nasty, rng.integers(0, len(FIRST_NAMES), n))
    last_code = np.where(nasty, len(LAST_NAMES) + tl.nasty, rng.integers(0, len(LAST_NAMES), n))
    firsts = list(FIRST_NAMES) + [row[0] for row in NASTY_LEADS]
    lasts = list(LAST_NAMES) + [row[1] for row in NASTY_LEADS]
    first_name = take_strings(firsts, first_code)
    last_name = take_strings(lasts, last_code)
    word = rng.integers(0, len(COMPANY_WORDS), n)
    trade = rng.integers(0, len(COMPANY_TRADES), n)
    suffixes = [s for region in REGIONS for s in region.company_suffixes]
    suffix_start = np.cumsum([0] + [len(r.company_suffixes) for r in REGIONS])[:-1]
    suffix_count = np.array([len(r.company_suffixes) for r in REGIONS])
    suffix = suffix_start[tl.region_true] + (
        rng.random(n) * suffix_count[tl.region_true]
    ).astype(np.int64)
    company = join_strings(take_strings(COMPANY_WORDS, word), take_strings(COMPANY_TRADES, trade),
                           take_strings(suffixes, suffix), separator=" ")
    domains = [f"{ascii_fold(w)}-{ascii_fold(t)}.example" for w in COMPANY_WORDS
               for t in COMPANY_TRADES]
    email = join_strings(
        take_strings([ascii_fold(f) for f in firsts], first_code), ".",
        take_strings([ascii_fold(x) for x in lasts], last_code), "@",
        take_strings(domains, word * len(COMPANY_TRADES) + trade),
    )
    where_nasty = np.flatnonzero(nasty)
    if len(where_nasty):
        company.iloc[where_nasty] = [NASTY_LEADS[k][2] for k in tl.nasty[where_nasty]]
        email.iloc[where_nasty] = [NASTY_LEADS[k][3] for k in tl.nasty[where_nasty]]

    converted = tl.converted_at < NEVER
    converting = np.flatnonzero(converted)
    converting = converting[np.argsort(tl.converted_at[converting], kind="stable")]
    contact_of = np.full(n, -1, dtype=np.int64)
    contact_of[converting] = np.arange(len(converting))
    contact_ids = id_column("003", id_counters(ids_rng, len(converting)))
    countries = country_codes()
    owner_ids = cat.owner_ids
    lead = pd.DataFrame({
        "Id": lead_ids,
        "FirstName": first_name,
        "LastName": last_name,
        "Name": join_strings(first_name, last_name, separator=" "),
        "Company": company,
        "Email": email,
        "LeadSource": take_strings([s for s, _ in LEAD_SOURCES], tl.source),
        "Country": take_strings([c[1] for c in countries], tl.country),
        "CountryCode": take_strings([c[0] for c in countries], tl.country),
        "Region__c": take_strings(REGION_NAMES, tl.region_field),
        "Rating": take_strings(RATINGS, tl.rating),
        "Status": take_strings(STATUS_NAMES, tl.final_status),
        "OwnerId": take_strings(owner_ids, tl.final_owner),
        "IsConverted": converted,
        "ConvertedDate": date_column(np.where(converted, tl.converted_at, NAT)),
        "ConvertedContactId": take_strings(contact_ids, contact_of),
        "Routing_Failed_Node__c": take_strings(
            [*BASELINE_FAILED_NODES, INCIDENT_FAILED_NODE], tl.failed_node),
        "Rejection_Reason__c": take_strings(REJECTION_REASONS, tl.rejection_reason),
        "IsDeleted": tl.deleted_at < NEVER,
        "CreatedDate": _times(tl.created),
        "CreatedById": take_strings(owner_ids, tl.created_by),
        "LastModifiedDate": _times(tl.modstamp),
        "SystemModstamp": _times(tl.modstamp),
    })
    contact_modstamp = np.minimum(win.now, tl.converted_at[converting] + rng.integers(0, 60, len(
        converting)))
    contact = pd.DataFrame({
        "Id": contact_ids,
        "FirstName": first_name.take(converting).reset_index(drop=True),
        "LastName": last_name.take(converting).reset_index(drop=True),
        "Name": lead["Name"].take(converting).reset_index(drop=True),
        "Email": email.take(converting).reset_index(drop=True),
        "LeadSource": lead["LeadSource"].take(converting).reset_index(drop=True),
        "OwnerId": take_strings(owner_ids, tl.final_owner[converting]),
        "IsDeleted": np.zeros(len(converting), dtype=bool),
        "CreatedDate": _times(tl.converted_at[converting]),
        "CreatedById": take_strings(owner_ids, tl.final_owner[converting]),
        "LastModifiedDate": _times(contact_modstamp),
        "SystemModstamp": _times(contact_modstamp),
    })
    who = pd.concat([lead_ids, contact_ids], ignore_index=True)
    who_code = np.where(contact_of >= 0, n + contact_of, np.arange(n))
    frames = {"Lead": lead, "Contact": contact, "LeadHistory": _history(tl, cat, ids_rng, lead_ids)}
    frames.update(_activity_frames(tl, cat, win, rng, ids_rng, who, who_code))
    return frames


def _history(
    tl: Timeline, cat: Catalog, ids_rng: np.random.Generator, lead_ids: pd.Series
) -> pd.DataFrame:
    """Owner changes as an EntityId row plus a Text row; Status and Rating changes as one row."""
    owners = len(cat.owner_ids)
    lead_o, slot_o = np.nonzero(tl.change_time < NEVER)
    prev = np.where(slot_o == 0, tl.initial_owner[lead_o],
                    tl.change_owner[lead_o, np.maximum(slot_o - 1, 0)])
    new = tl.change_owner[lead_o, slot_o]
    lead_s, slot_s = np.nonzero(tl.status_time < NEVER)
    lead_r = np.flatnonzero(tl.rating_change_time < NEVER)
    status_base, rating_base = 2 * owners, 2 * owners + len(STATUS_NAMES)
    rating_old, rating_new = tl.rating_change_old[lead_r], tl.rating[lead_r]
    parts = [  # lead, time, seq, field, datatype, old, new, by
        (lead_o, tl.change_time[lead_o, slot_o], 2 * slot_o, 0, 0, prev, new,
         tl.change_by[lead_o, slot_o]),
        (lead_o, tl.change_time[lead_o, slot_o], 2 * slot_o + 1, 0, 1, owners + prev,
         owners + new, tl.change_by[lead_o, slot_o]),
        (lead_s, tl.status_time[lead_s, slot_s], 10 + slot_s, 1, 1,
         status_base + tl.status_old[lead_s, slot_s], status_base + tl.status_new[lead_s, slot_s],
         tl.first_rep[lead_s]),
        (lead_r, tl.rating_change_time[lead_r], np.full(len(lead_r), 20), 2, 1,
         np.where(rating_old < 0, -1, rating_base + rating_old),
         np.where(rating_new < 0, -1, rating_base + rating_new),
         np.full(len(lead_r), cat.integration)),
    ]
    cols = [np.concatenate([np.broadcast_to(np.asarray(p[i]), (len(p[0]),)) for p in parts])
            for i in range(8)]
    order = np.lexsort((cols[2], cols[0], cols[1]))
    lead, when, _, fld, dtype, old, new, by = (c[order] for c in cols)
    values = [*cat.owner_ids, *cat.owner_names, *STATUS_NAMES, *RATINGS]
    return pd.DataFrame({
        "Id": id_column("017", id_counters(ids_rng, len(lead))),
        "LeadId": take_strings(lead_ids, lead),
        "Field": take_strings(["Owner", "Status", "Rating"], fld),
        "DataType": take_strings(["EntityId", "Text"], dtype),
        "OldValue": take_strings(values, old),
        "NewValue": take_strings(values, new),
        "CreatedDate": _times(when),
        "CreatedById": take_strings(cat.owner_ids, by),
        "IsDeleted": tl.deleted_at[lead] < NEVER,
    })


def _activity_frames(
    tl: Timeline, cat: Catalog, win: Window, rng: np.random.Generator,
    ids_rng: np.random.Generator, who: pd.Series, who_code: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """Tasks and Events; on conversion their WhoId is the new Contact, as Salesforce moves them."""
    lead, when, owner = tl.activity_lead, tl.activity_time, tl.activity_owner
    count = len(lead)
    is_event = ~tl.activity_auto & (rng.random(count) < 0.2)
    lead_gone = tl.deleted_at[lead]
    own_delete = rng.random(count) < 0.01
    deleted = own_delete | (lead_gone < NEVER)
    delete_at = np.where(lead_gone < NEVER, np.maximum(lead_gone, when),
                         when + (rng.random(count) * (win.now - when)).astype(np.int64))
    modstamp = np.where(deleted, delete_at,
                        np.minimum(win.now, when + rng.integers(0, 60, count)))
    archived = ~deleted & (when < win.now - ARCHIVE_AFTER_DAYS * 86_400) & (
        rng.random(count) < 0.05)
    subject = rng.integers(0, len(TOUCH_TASK_SUBJECTS), count)
    subject = np.where(tl.activity_auto, len(TOUCH_TASK_SUBJECTS), subject)
    event_subject = rng.integers(0, len(EVENT_SUBJECTS), count)
    minutes = EVENT_MINUTES[rng.integers(0, len(EVENT_MINUTES), count)]

    def common(mask: np.ndarray, prefix: str) -> dict[str, pd.Series | np.ndarray]:
        return {
            "Id": id_column(prefix, id_counters(ids_rng, int(mask.sum()))),
            "WhoId": take_strings(who, who_code[lead[mask]]),
            "OwnerId": take_strings(cat.owner_ids, owner[mask]),
        }

    def tail(mask: np.ndarray) -> dict[str, pd.Series | np.ndarray]:
        return {
            "CreatedDate": _times(when[mask]),
            "CreatedById": take_strings(cat.owner_ids, owner[mask]),
            "LastModifiedDate": _times(modstamp[mask]),
            "SystemModstamp": _times(modstamp[mask]),
            "IsDeleted": deleted[mask],
            "IsArchived": archived[mask],
        }

    task, event = ~is_event, is_event
    tasks = pd.DataFrame({
        **common(task, "00T"),
        "Subject": take_strings([*TOUCH_TASK_SUBJECTS, AUTOMATION_SUBJECT], subject[task]),
        "TaskSubtype": take_strings([*TOUCH_TASK_SUBTYPES, "Email"], subject[task]),
        "Status": take_strings(["Completed"], np.zeros(int(task.sum()), dtype=np.int64)),
        "Priority": take_strings(["Normal"], np.zeros(int(task.sum()), dtype=np.int64)),
        "IsClosed": np.ones(int(task.sum()), dtype=bool),
        **tail(task),
    })
    events = pd.DataFrame({
        **common(event, "00U"),
        "Subject": take_strings(EVENT_SUBJECTS, event_subject[event]),
        "EventSubtype": take_strings(["Event"], np.zeros(int(event.sum()), dtype=np.int64)),
        "StartDateTime": _times(when[event] - 60 * minutes[event]),
        "EndDateTime": _times(when[event]),
        "DurationInMinutes": minutes[event].astype(np.int64),
        **tail(event),
    })
    return {"Task": tasks, "Event": events}
