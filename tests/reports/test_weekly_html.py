"""``render_weekly_html``: one self-contained, escaped HTML file."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from plotly.offline import get_plotlyjs

from routing_health.models import FlowVersionChange, Lead
from routing_health.reports.render import render_weekly_html
from routing_health.reports.weekly import build_weekly_report
from tests.conftest import NOW

NASTY = "</script><script>alert(1)</script>"
PLOTLY_BANNER = re.compile(r"plotly\.js v\d+\.\d+\.\d+")


class Collector(HTMLParser):
    """Tags with their attributes, and the text of every <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script":
            self._in_script, self._buffer = attributes, []

    def handle_data(self, data):
        if self._in_script is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            self.scripts.append((self._in_script, "".join(self._buffer)))
            self._in_script = None


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


@pytest.fixture
def html(config) -> str:
    return render_weekly_html(build_weekly_report(config, "2026-W46", NOW))


def test_the_html_parses_and_references_nothing_on_the_network(html):
    parsed = parse(html)
    assert html.startswith("<!doctype html>")
    for tag, attrs in parsed.tags:
        if tag == "script":
            assert "src" not in attrs
        if tag == "link":
            assert attrs.get("rel") != "stylesheet"
        if tag in ("img", "iframe", "embed", "source"):
            assert not (attrs.get("src") or "").startswith(("http:", "https:", "//"))
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert "@import" not in html


def test_the_plotly_bundle_is_embedded_exactly_once(html):
    banner = PLOTLY_BANNER.search(get_plotlyjs()).group(0)
    assert html.count(banner) == 1
    executable = [text for attrs, text in parse(html).scripts if attrs.get("type") is None]
    assert len(executable) == 2  # plotly.js, then the chart bootstrap
    assert banner in executable[0]


def test_every_chart_has_its_data_as_json(html):
    parsed = parse(html)
    data_blocks = {
        attrs["id"]: json.loads(text)
        for attrs, text in parsed.scripts
        if attrs.get("type") == "application/json"
    }
    charts = [attrs["data-chart"] for tag, attrs in parsed.tags if "data-chart" in attrs]
    assert charts == ["chart-daily-data", "chart-tta-data", "chart-failures-data"]
    for chart in charts:
        assert data_blocks[chart]["data"], chart


def test_the_html_has_a_print_stylesheet_that_keeps_tables_whole(html):
    assert "@media print" in html
    print_css = html[html.index("@media print"):]
    assert "break-inside: avoid" in print_css
    assert "break-before: page" in print_css
    assert "nav.toc" in print_css


def test_salesforce_text_is_escaped_everywhere(config):
    first = build_weekly_report(config, "2026-W47", NOW).worst_leads[0].lead_id
    Lead.objects.filter(id=first).update(name=NASTY, company=NASTY, failed_node=NASTY)
    FlowVersionChange.objects.create(
        flow_api_name="Lead_Router", label=NASTY, new_active_version_id="3010000000000AB",
        changed_at=NOW,
    )
    report = build_weekly_report(config, "2026-W47", NOW)
    assert report.worst_leads[0].name == NASTY
    assert any(r.reason == NASTY for r in report.failure_reasons)
    html = render_weekly_html(report)
    assert "<script>alert" not in html
    assert "</script><script>" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # tables and lists
    assert "&amp;lt;/script&amp;gt;" not in html  # not double-escaped in the tables
    # Chart labels are HTML-escaped for plotly's label markup (plotly shows them literally),
    # and the JSON block is escaped by json_script.
    failures = next(
        json.loads(text) for attrs, text in parse(html).scripts
        if attrs.get("id") == "chart-failures-data"
    )
    labels = [label for trace in failures["data"] for label in trace["y"]]
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in labels


def test_the_demo_orgs_hostile_lead_names_are_escaped(config, synced_org):
    # The hostile names are incident leads of the last day; keep them the week's worst served.
    failed = set(synced_org.facts["incident"]["failed_lead_ids"])
    Lead.objects.filter(id__in=failed - set(synced_org.facts["nasty_lead_ids"])).delete()
    report = build_weekly_report(config, "2026-W47", NOW)
    html = render_weekly_html(report)
    names = [lead.name for lead in report.worst_leads]
    assert "<!channel> Ping" in names
    assert "&lt;!channel&gt; Ping" in html
    assert "<!channel>" not in html
    assert "<script>alert" not in html


def test_a_week_without_leads_renders_without_charts_or_plotly(config):
    Lead.objects.all().delete()
    html = render_weekly_html(build_weekly_report(config, "2026-W46", NOW))
    assert "No leads were created in 2026-W46" in html
    assert PLOTLY_BANNER.search(html) is None
    parse(html)
