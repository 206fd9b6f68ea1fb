"""``lib.columnar_upsert.insert_frame``: a frame written column by column reads back, through
the ORM, exactly as the same values saved by the ORM — on SQLite (Django's datetime text) and
on PostgreSQL (COPY of Arrow-written CSV) alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from routing_health.lib.columnar_upsert import COPY_BATCH, insert_frame
from routing_health.models import LeadFact

pytestmark = pytest.mark.django_db

WHOLE = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # no microseconds: SQLite text has none
MICRO = datetime(2026, 11, 1, 4, 0, 0, 1, tzinfo=UTC)
NASTY = 'tab\there, new\nline, back\\slash, "quoted", \\N, café'


def _frame(n: int = 3) -> pd.DataFrame:
    base = {
        "lead_id": ["00Q000000000001AAA", "00Q000000000002AAA", "00Q000000000003AAA"],
        "created_at": pd.to_datetime([WHOLE, MICRO, WHOLE], utc=True),
        "created_day": [date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 1)],
        "region": ["EMEA", "", NASTY],
        "outcome": ["succeeded", "failed", "pending"],
        "rep_assigned_at": pd.to_datetime([MICRO, None, WHOLE], utc=True),
        "tta_minutes": [0.1, np.nan, 1 / 3],
        "bounced": [True, False, True],
        "next_change_at": pd.to_datetime(
            [None, "2026-11-01T04:00:00.0000019Z", "2026-11-01T04:00:00.5Z"], utc=True
        ),
    }
    return pd.DataFrame(base).iloc[:n]


def test_values_read_back_exactly():
    assert insert_frame(LeadFact, _frame()) == 3
    rows = {f.lead_id: f for f in LeadFact.objects.all()}
    first, second, third = (rows[f"00Q00000000000{i}AAA"] for i in (1, 2, 3))
    assert (first.created_at, first.created_day, first.region) == (WHOLE, date(2026, 10, 31),
                                                                    "EMEA")
    assert (first.rep_assigned_at, first.tta_minutes, first.bounced) == (MICRO, 0.1, True)
    assert first.next_change_at is None
    assert (second.region, second.rep_assigned_at, second.tta_minutes) == ("", None, None)
    assert second.created_at == MICRO and second.bounced is False
    # Nanoseconds are truncated to the microsecond, as the ORM truncates a datetime.
    assert second.next_change_at == datetime(2026, 11, 1, 4, 0, 0, 1, tzinfo=UTC)
    assert third.region == NASTY
    assert third.tta_minutes == 1 / 3  # full float precision
    assert third.next_change_at == datetime(2026, 11, 1, 4, 0, 0, 500000, tzinfo=UTC)
    assert third.acceptance_pending is False  # a column not in the frame: its default


def test_stored_text_compares_like_the_orm():
    """A datetime filter finds the rows at their exact instants: on SQLite the stored text is
    Django's (no '.000000' for whole seconds), so ``=`` and ``>=`` on the bound match."""
    insert_frame(LeadFact, _frame())
    assert LeadFact.objects.filter(created_at=WHOLE).count() == 2
    assert LeadFact.objects.filter(created_at__gte=MICRO).count() == 1
    assert LeadFact.objects.filter(rep_assigned_at=MICRO).count() == 1
    assert LeadFact.objects.filter(created_day=date(2026, 11, 1)).count() == 2
    assert LeadFact.objects.filter(tta_minutes__isnull=True).count() == 1


def test_more_rows_than_one_batch(monkeypatch):
    monkeypatch.setattr("routing_health.lib.columnar_upsert.COPY_BATCH", 2)
    assert COPY_BATCH > 2
    assert insert_frame(LeadFact, _frame()) == 3
    assert LeadFact.objects.count() == 3


def test_empty_frame_writes_nothing():
    assert insert_frame(LeadFact, _frame(0)) == 0
    assert LeadFact.objects.count() == 0
