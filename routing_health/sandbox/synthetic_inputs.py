"""The routing-input story of the synthetic org (issue 17, item 5), behind ``input_gap=True``:
the web form stops sending Country on one day.

From local midnight (report timezone) of the day before ``now``, every ``Web`` lead arrives
without ``Country`` (``CountryCode``, which maps the region, still arrives: the story moves no
lead to another region). Every other one of them (in Id order) is fixed by hand
two hours later: its current values are the real ones and a LeadHistory row (Field ``Country``,
OldValue null) records the change, so only the field history tells that it arrived without
one. Their routing outcomes are the generated ones (the demo router reads Region__c first):
the story must not add routing failures that would outrank the demo's incident on the
Overview. The configuration gets a
``[data_quality]`` table listing Country (with its allowed values) and CountryCode.

Without the option the org is byte-identical to before (hash tests).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from routing_health.sandbox.synthetic_config import REPORT_TIMEZONE

GAP_SOURCE = "Web"
GAP_FIELD = "Country"
FIX_DELAY = timedelta(hours=2)


def gap_start(now: datetime) -> datetime:
    """Local midnight of the day before ``now`` (report timezone), as UTC."""
    zone = ZoneInfo(REPORT_TIMEZONE)
    day = now.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day, time(), zone).astimezone(UTC)


def apply_input_gap(tables: dict[str, pd.DataFrame], now: datetime) -> dict[str, Any]:
    """Blank the gap leads' country in ``tables`` (in place) and return the story's facts."""
    lead = tables["Lead"]
    start = gap_start(now)
    created = pd.to_datetime(lead["CreatedDate"], utc=True)
    gap = ((lead["LeadSource"] == GAP_SOURCE) & (created >= start)).to_numpy(dtype=bool)
    rows = np.flatnonzero(gap)
    rows = rows[np.argsort(lead["Id"].to_numpy()[rows], kind="stable")]
    fixed = rows[0::2]
    fixed = fixed[(created.iloc[fixed] + FIX_DELAY <= now).to_numpy(dtype=bool)]
    blank = np.setdiff1d(rows, fixed)
    original = lead["Country"].to_numpy(dtype=object)[fixed]
    values = lead["Country"].to_numpy(dtype=object).copy()
    values[blank] = None
    lead["Country"] = pd.Series(values, dtype=object)
    history = tables["LeadHistory"]
    fixes = pd.DataFrame({
        "Id": [f"017GAP{i:09d}AAA"[:18] for i in range(len(fixed))],
        "LeadId": lead["Id"].to_numpy(dtype=object)[fixed],
        "Field": GAP_FIELD,
        "DataType": "Text",
        "OldValue": None,
        "NewValue": original,
        "CreatedDate": (created.iloc[fixed] + FIX_DELAY).to_numpy(),
        "CreatedById": lead["CreatedById"].to_numpy(dtype=object)[fixed],
        "IsDeleted": lead["IsDeleted"].to_numpy(dtype=bool)[fixed],
    })
    combined = pd.concat([history, fixes], ignore_index=True)
    for column in history.columns:
        try:
            combined[column] = combined[column].astype(history[column].dtype)
        except (TypeError, ValueError):
            pass  # keep the common dtype pandas chose
    tables["LeadHistory"] = combined
    return {
        "source": GAP_SOURCE, "field": GAP_FIELD, "start": start,
        "lead_ids": lead["Id"].to_numpy(dtype=object)[rows].tolist(),
        "fixed_lead_ids": lead["Id"].to_numpy(dtype=object)[fixed].tolist(),
        "blank_lead_ids": lead["Id"].to_numpy(dtype=object)[blank].tolist(),
    }


def data_quality_toml(countries: list[str]) -> str:
    """The ``[data_quality]`` table of the story's configuration."""
    allowed = ", ".join(f'"{c}"' for c in countries)
    return "\n".join([
        "",
        "[data_quality]",
        "# Routing-critical Lead fields: the share of new leads missing them at creation, per",
        "# lead source and day (the Data quality page), and the input_missing alert.",
        'fields = ["Country", "CountryCode"]',
        'source_field = "LeadSource"',
        "min_leads = 5                   # a demo source sends about ten leads a day",
        "[data_quality.rules.Country]",
        f"allowed = [{allowed}]",
        "[data_quality.rules.CountryCode]",
        'pattern = "[A-Z]{2}"',
        "",
    ])
