"""Filters that know the data: choices with lead counts from the rollups, case-insensitive
matching, and an unknown value shown as such (the closest value named), never as a healthy or
empty page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dashboards.filter_choices import (
    Choice,
    FilterChoices,
    build_choices,
    canonical,
    choice_counts,
    closest,
    resolve,
)
from dashboards.filters import Filters, UnknownValue
from routing_health.models import AlertIncident, DailyRollup, MetricsState
from tests.conftest import NOW

START, END = date(2026, 11, 6), date(2026, 11, 12)
RANGE = {"start": START.isoformat(), "end": END.isoformat()}
REGIONS = (Choice("AMER", 4), Choice("APAC", 0), Choice("EMEA", 5))


@pytest.fixture
def small_org(db):
    """Four rollup rows: three in the range, one (APAC) a month before it."""
    MetricsState.objects.create(pk=1, as_of=NOW)
    rows = [
        (date(2026, 11, 7), "EMEA", "hot", "Web", 3),
        (date(2026, 11, 9), "EMEA", "warm", "Partner", 2),
        (date(2026, 11, 7), "AMER", "hot", "Web", 4),
        (date(2026, 10, 7), "APAC", "hot", "Event", 5),
        (date(2026, 11, 8), "", "", "", 1),  # a lead with no region, tier or source
    ]
    for day, region, tier, source, leads in rows:
        DailyRollup.objects.create(
            day=day, region=region, tier=tier, source=source, leads=leads, succeeded=leads
        )


def test_the_choices_are_the_values_in_the_rollups_with_their_leads_in_the_range(small_org):
    counts = choice_counts(Filters(start=START, end=END))
    # By hand: EMEA 3 + 2; AMER 4; APAC only outside the range; hot 3 + 4; Web 3 + 4.
    assert counts == {
        "region": {"EMEA": 5, "AMER": 4, "APAC": 0},
        "tier": {"hot": 7, "warm": 2},
        "source": {"Web": 7, "Partner": 2, "Event": 0},
    }


def test_the_choices_are_sorted_labelled_with_counts_and_include_the_configured_tiers():
    choices = build_choices(
        {"region": {"EMEA": 1204, "AMER": 4}, "tier": {"hot": 7}}, ["standard", "hot"], known=True
    )
    assert [c.label for c in choices.region] == ["AMER (4)", "EMEA (1,204)"]
    assert [c.label for c in choices.tier] == ["hot (7)", "standard (0)"]
    assert choices.source == ()


def test_a_value_is_matched_case_insensitively_to_the_datas_spelling():
    assert canonical("emea", REGIONS) == "EMEA"
    assert canonical("Emea", REGIONS) == "EMEA"
    assert canonical("EMEA", REGIONS) == "EMEA"
    assert canonical("Europe", REGIONS) is None


def test_the_closest_value_is_named_for_a_typo():
    assert closest("Europe", REGIONS) == "EMEA"  # ties AMER on the ratio, shares the "E"
    assert closest("APCA", REGIONS) == "APAC"
    assert closest("xyz", REGIONS) == ""


def test_resolve_spells_a_known_value_as_the_data_does_and_keeps_the_links():
    filters = Filters(start=START, end=END, region="emea", explicit=frozenset({"region"}))
    resolved = resolve(filters, FilterChoices(region=REGIONS, known=True))
    assert resolved.region == "EMEA"
    assert resolved.unknown == ()
    assert resolved.querystring() == "?region=EMEA"
    assert resolved.segment() == {"region": "EMEA"}


def test_resolve_marks_an_unknown_value_with_the_closest_and_the_links_to_fix_it():
    filters = Filters(
        start=START, end=END, region="Europe", tier="hot",
        explicit=frozenset({"region", "tier"}),
    )
    choices = FilterChoices(region=REGIONS, tier=(Choice("hot", 7),), known=True)
    resolved = resolve(filters, choices)
    assert resolved.region == "Europe"  # kept: the URL still says what was asked
    assert resolved.unknown == (
        UnknownValue("region", "Europe", "EMEA", "?region=EMEA&tier=hot", "?tier=hot"),
    )
    assert resolved.unknown[0].message == "No region 'Europe' in the data — did you mean 'EMEA'?"


def test_an_unknown_value_without_any_likeness_is_still_named():
    assert UnknownValue("source", "xyz").message == "No source 'xyz' in the data."


def test_before_the_first_compute_nothing_is_called_unknown():
    filters = Filters(start=START, end=END, region="Europe", explicit=frozenset({"region"}))
    assert resolve(filters, FilterChoices(known=False)) is filters


def test_the_filter_bar_offers_the_values_with_counts_and_selects_the_matched_one(
    signed_in, small_org
):
    response = signed_in.get("/", {**RANGE, "region": "emea"})
    body = response.content.decode()
    assert response.context["filters"].region == "EMEA"
    assert '<option value="EMEA" selected>EMEA (5)</option>' in body
    assert '<option value="AMER">AMER (4)</option>' in body
    assert '<option value="APAC">APAC (0)</option>' in body
    assert '<option value="Partner">Partner (2)</option>' in body
    assert "region=EMEA" in body and "region=emea" not in body
    assert "in the data" not in body


@pytest.mark.parametrize(
    "path", ["/", "/trends", "/segments", "/queues", "/failures", "/reps", "/leads"]
)
def test_an_unknown_region_shows_a_warning_never_a_healthy_or_empty_page(
    signed_in, small_org, make_lead, path
):
    make_lead(created_at=NOW - timedelta(days=10), region="EMEA")
    body = signed_in.get(path, {**RANGE, "region": "Europe"}).content.decode()
    assert "No region &#x27;Europe&#x27; in the data — did you mean &#x27;EMEA&#x27;?" in body
    assert "Unknown filter" in body
    assert "?start=2026-11-06&amp;end=2026-11-12&amp;region=EMEA" in body  # "Show EMEA"
    for healthy_or_empty in ("Nothing firing", "No leads", "No failures", "None over the limit",
                             "No lead was assigned", "No routing failures"):
        assert healthy_or_empty not in body, healthy_or_empty


def test_a_known_region_without_leads_in_the_range_is_no_warning(signed_in, small_org):
    body = signed_in.get("/", {**RANGE, "region": "apac"}).content.decode()
    assert "Unknown filter" not in body
    assert "No leads in this range" in body  # the states the unknown-value test rules out
    assert "Nothing firing" in body


def test_the_broken_now_panel_counts_in_plain_words(signed_in, small_org):
    for n in range(10):
        AlertIncident.objects.create(
            fingerprint=f"fp-{n}", rule="routing_failures", region="EMEA", tier="hot",
            failure_reason=f"Node {n}", state=AlertIncident.State.FIRING,
            first_seen=NOW - timedelta(hours=3), last_seen=NOW, current_value=9.0,
            threshold=1.0, comparison=">=", sample=9,
        )
    body = signed_in.get("/", RANGE).content.decode()
    assert "10 alerts firing, the first 8 shown" in body
    assert "8+2" not in body
    assert "2 more on the Alerts page" in body


def test_firing_words_say_how_many_fire_and_how_many_are_listed():
    from dashboards.metrics.targets import firing_words

    assert firing_words(1, 0) == "1 alert firing"
    assert firing_words(3, 0) == "3 alerts firing"
    assert firing_words(8, 8) == "16 alerts firing, the first 8 shown"
    assert firing_words(8, 1200) == "1,208 alerts firing, the first 8 shown"


def test_before_the_first_compute_the_filter_bar_offers_text_fields(signed_in, make_lead):
    make_lead(region="EMEA")
    body = signed_in.get("/leads", {"region": "Europe"}).content.decode()
    assert 'type="text" id="filter-region" name="region" value="Europe"' in body
    assert 'type="text" id="filter-tier"' in body
    assert "<select" not in body.split('class="filterbar"')[1].split("</form>")[0]
    assert "Unknown filter" not in body
