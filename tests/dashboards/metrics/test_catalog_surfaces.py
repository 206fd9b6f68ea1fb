"""The metric pages speak the catalog's vocabulary: every metric they show is a catalog row, its
heading is the catalog's label or short label, and its value reads by the one formatter.

Expected strings are worked out by hand from the rules of ``routing_health.lib.format``: a rate
within one point of 100 % has two decimals, 3,000 minutes is 50 h (two days or more: days, one
decimal, 2.08 → "2.1 d"), an empty denominator reads an em dash.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import numpy as np
import pytest

from dashboards.metrics import segments as segments_page
from dashboards.metrics import trends as trends_page
from dashboards.metrics.specs import METRICS, SECTIONS, MetricSpec
from dashboards.ops.reps import REP_COLUMNS
from routing_health.metrics import catalog
from routing_health.models import DailyRollup, MetricsState
from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime
from tests.conftest import NOW

DAY = date(2026, 11, 10)
ONE_DAY = {"start": DAY.isoformat(), "end": DAY.isoformat()}
START, END = date(2026, 11, 6), date(2026, 11, 19)
RANGE = {"start": START.isoformat(), "end": END.isoformat()}


def test_every_metric_a_page_shows_is_a_catalog_row() -> None:
    exported = set(catalog.exported_names())
    shown = {key for _title, _page, keys in SECTIONS for key in keys}
    shown |= {spec.key for spec in (*trends_page.TREND_METRICS, *trends_page.COMPARE_METRICS,
                                    *segments_page.HEATMAP_METRICS)}
    shown |= set(REP_COLUMNS)
    assert shown <= set(METRICS) | set(REP_COLUMNS)
    assert shown <= exported, shown - exported


def test_a_page_metric_without_a_catalog_row_fails_loudly() -> None:
    with pytest.raises(KeyError, match="unknown metric 'no_such_rate'"):
        _ = MetricSpec("no_such_rate").label


def test_a_metric_spec_takes_its_words_unit_direction_and_help_from_the_catalog() -> None:
    for key, spec in METRICS.items():
        row = catalog.metric(key)
        assert (spec.label, spec.short, spec.unit, spec.better, spec.help) == (
            row.label, row.short_label, row.unit, row.better, row.description
        )


@pytest.fixture
def computed(synced_org):
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    return synced_org


@pytest.mark.django_db
@pytest.mark.parametrize("clock", ["wall", "business"])
def test_the_overview_headings_are_the_catalog_labels_on_either_clock(computed, signed_in, clock):
    response = signed_in.get("/", {**RANGE, "clock": clock})
    page = response.content.decode()
    tiles = [tile for section in response.context["sections"] for tile in section.tiles]
    assert [tile.spec.key for tile in tiles] == [k for _t, _p, keys in SECTIONS for k in keys]
    for tile in tiles:
        twin = catalog.metric(tile.spec.key).business_twin
        read = twin if clock == "business" and twin else tile.spec.key
        assert tile.key == read
        assert tile.label == catalog.metric(read).label
        assert f'id="metric-{read}" title="{catalog.metric(tile.spec.key).description}">' \
               f"{catalog.metric(read).label}</h3>" in page.replace("&#x27;", "'")
        assert tile.value_text == catalog.format_metric(read, tile.value)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/trends", "/segments"])
def test_table_headings_are_the_catalog_short_labels(computed, signed_in, path):
    response = signed_in.get(path, RANGE)
    headings = response.context["table_metrics"]
    listed = trends_page.TREND_METRICS if path == "/trends" else segments_page.HEATMAP_METRICS
    assert headings == [(catalog.metric(s.key).short_label, catalog.metric(s.key).label)
                        for s in listed]
    page = response.content.decode()
    for short, label in headings:
        assert f'<abbr title="{label}">{short}</abbr>' in page


@pytest.mark.django_db
def test_the_reps_table_headings_are_the_catalog_short_labels(computed, signed_in):
    response = signed_in.get("/reps", RANGE)
    page = response.content.decode()
    shorts = re.findall(r'<th scope="col" class="num"><abbr title="([^"]+)">([^<]+)</abbr>', page)
    assert shorts == [(catalog.metric(n).label, catalog.metric(n).short_label)
                      for n in REP_COLUMNS]
    row, _links, cells = response.context["groups"][0]["lines"][0]
    # Acceptance, the median first touch, bounce, rejection: each by the catalog's formatter.
    expected = [row.accepted / row.acceptance_base, row.first_touch_p50,
                row.bounced / row.assigned, row.rejected / row.assigned]
    assert [c.text for c in cells] == [
        catalog.format_metric(name, value) for name, value in zip(REP_COLUMNS, expected,
                                                                  strict=True)
    ]


# --- One hand-built rollup, read on the Overview ----------------------------------------------


@pytest.fixture
def hand_rollup(db):
    """One day, one segment: 9,953 routed and 47 failed (success 0.9953), ten assigned leads
    whose TTA values are ten times 3,000 minutes (p95 3,000), no lead past its acceptance
    window (acceptance base 0: a null rate)."""
    MetricsState.objects.create(pk=1, as_of=datetime(2026, 11, 11, 12, 0, tzinfo=UTC))
    DailyRollup.objects.create(
        day=DAY, region="EMEA", tier="hot", source="Web",
        leads=10_000, succeeded=9_953, failed=47, assigned=10, acceptance_base=0,
        tta_values=np.full(10, 3000.0).tobytes(),
    )


def test_the_overview_reads_a_hand_built_rollup_by_the_one_formatter(hand_rollup, signed_in):
    response = signed_in.get("/", ONE_DAY)
    page = response.content.decode()

    def tile_value(key: str) -> str:
        start = page.index(f'id="metric-{key}"')
        anchor = page.index('class="metric__value"', start)
        return page[page.index(">", anchor) + 1 : page.index("</a>", anchor)]

    assert tile_value("assignment_success_rate") == "99.53%"
    assert tile_value("tta_p95_minutes") == "2.1 d"
    assert tile_value("acceptance_rate") == "—"
    assert tile_value("leads") == "10,000"
    # The target on the card: the assignment-success rule's 0.995, by the same rate rule.
    assert "Target ≥ 99.50%" in page
    # The region × tier table reads the same numbers.
    cells = [cell for row in response.context["segment_rows"] for triple in row.cells
             for cell in triple]
    assert [c.text for c in cells] == ["10,000", "99.53%", "2.1 d"]
