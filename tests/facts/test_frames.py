"""``load_frames``: any number of lead Ids in chunks, one owner-names query; local-day windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from routing_health.facts import frames as frames_module
from routing_health.facts.frames import Frames, concat_frames, load_frames, local_days_utc
from routing_health.models import Lead

TABLES = ("leads", "owner_changes", "status_changes", "activities")


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def test_many_lead_ids_load_in_chunks_like_one_query_with_one_names_query(
    synced_org, monkeypatch
):
    ids = sorted(Lead.objects.values_list("id", flat=True))
    whole = load_frames(lead_ids=ids, extra=["LeadSource", "Company"])
    calls = []
    names = frames_module.owner_names
    monkeypatch.setattr(frames_module, "owner_names", lambda: calls.append(1) or names())
    monkeypatch.setattr(frames_module, "ID_CHUNK", 37)
    chunked = load_frames(lead_ids=[*ids, *ids[:50]], extra=["LeadSource", "Company"])
    assert calls == [1]
    assert len(ids) > 37 * 3
    for table in TABLES:
        expected, got = getattr(whole, table), getattr(chunked, table)
        assert len(got) == len(expected) > 0, table
        pd.testing.assert_frame_equal(_by_id(got), _by_id(expected), obj=table)
    pd.testing.assert_series_equal(chunked.owner_names, whole.owner_names)


def test_concat_frames_keeps_each_id_once_and_the_first_names(synced_org):
    ids = sorted(Lead.objects.values_list("id", flat=True))
    whole = load_frames(lead_ids=ids)
    first = load_frames(lead_ids=ids[:100])
    second = load_frames(lead_ids=ids[90:])
    second = Frames(*(getattr(second, t) for t in TABLES), owner_names=pd.Series(dtype=object))
    joined = concat_frames([first, second])
    assert joined.owner_names is first.owner_names
    for table in TABLES:
        pd.testing.assert_frame_equal(
            _by_id(getattr(joined, table)), _by_id(getattr(whole, table)), obj=table
        )


def test_local_days_run_from_the_first_local_midnight_to_the_one_after_the_last_day():
    berlin = ZoneInfo("Europe/Berlin")
    assert local_days_utc(date(2026, 3, 29), date(2026, 3, 29), berlin) == (
        datetime(2026, 3, 28, 23, tzinfo=UTC),
        datetime(2026, 3, 29, 22, tzinfo=UTC),
    )
    assert local_days_utc(date(2026, 11, 16), date(2026, 11, 22), ZoneInfo("UTC")) == (
        datetime(2026, 11, 16, tzinfo=UTC),
        datetime(2026, 11, 23, tzinfo=UTC),
    )


def _leads_at(instants: dict[str, datetime]) -> None:
    for n, at in enumerate(instants.values()):
        Lead.objects.create(
            id=f"00Q{n:015d}", name=list(instants)[n], created_at=at, system_modstamp=at,
            owner_id="005000000000001AAA",
        )


def _loaded_names(frames: Frames) -> set[str]:
    return set(frames.leads["name"])


def test_the_window_is_half_open_to_the_microsecond(db):
    start, end = local_days_utc(date(2026, 11, 1), date(2026, 11, 1), ZoneInfo("America/New_York"))
    micro = timedelta(microseconds=1)
    _leads_at(
        {
            "before start": start - micro,
            "at start": start,
            "after start": start + micro,
            "before end": end - micro,
            "at end": end,
        }
    )
    loaded = load_frames(created_from=start, created_to=end)
    assert _loaded_names(loaded) == {"at start", "after start", "before end"}


def test_as_of_includes_a_lead_created_at_that_instant(db):
    as_of = datetime(2026, 11, 20, 12, tzinfo=UTC)
    micro = timedelta(microseconds=1)
    _leads_at({"at as_of": as_of, "after as_of": as_of + micro, "before as_of": as_of - micro})
    loaded = load_frames(created_from=as_of - timedelta(days=1), as_of=as_of)
    assert _loaded_names(loaded) == {"at as_of", "before as_of"}


def test_a_naive_bound_is_refused_with_its_name(db):
    with pytest.raises(ValueError, match="created_from must be a timezone-aware datetime"):
        load_frames(created_from=datetime(2026, 11, 1))
