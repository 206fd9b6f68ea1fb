"""The Data quality page (issue 17, item 4): per source and field, hand-computed; the drill-down
to the leads missing a field; the CSV; the empty state without ``[data_quality]``."""

from __future__ import annotations

import csv
import io

import pytest

from routing_health.models import FieldChange, Lead
from tests.export.test_export_data_quality import CONFIG, CREATED, REP, TRIAGE, lead

pytestmark = pytest.mark.django_db
RANGE = {"start": "2026-11-10", "end": "2026-11-10"}


@pytest.fixture
def org(routing_config):
    routing_config.write_text(CONFIG)
    leads = [
        lead(1, REP, "Web", "US"),  # Country "" at creation (history): missing, routed
        lead(2, TRIAGE, "Web", ""),  # missing, failed
        lead(3, TRIAGE, "Web", "DE"),  # complete, failed
        lead(4, REP, "Partner", "Germany"),  # invalid, routed
        lead(5, REP, "Partner", "US"),  # complete, routed
    ]
    leads[1].name = "<b>Bobby</b> & Co"
    Lead.objects.bulk_create(leads)
    FieldChange.objects.create(id="017000000000001AAA", lead_id=leads[0].id, field="Country",
                               created_at=CREATED.replace(hour=11), old_value=None,
                               new_value="US")
    return leads


def cells(html: str, table_id: str) -> list[list[str]]:
    import re

    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)[1:]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r,
                                                                      flags=re.S)]
            for r in rows]


def test_each_source_shows_its_share_missing_and_the_failure_rates(signed_in, org):
    response = signed_in.get("/data-quality", RANGE)
    assert response.status_code == 200
    rows = cells(response.content.decode(), "dq-sources")
    # Partner: 1 of 2 missing (invalid "Germany"), routed; the complete one routed: 0% vs 0%,
    # no ratio (0 / 0). Web: 2 of 3 missing; 1 of the 2 failed (50%); the complete one failed.
    assert rows == [
        ["Partner", "Country", "2", "1", "50.0%", "0%", "0%", "+0.0 pts", "—"],
        ["Web", "Country", "3", "2", "66.7%", "50.0%", "100%", "-50.0 pts", "0.5×"],
    ]
    days = cells(response.content.decode(), "dq-days")
    assert [d[:3] + d[4:] for d in days] == [
        ["2026-11-10", "Partner", "Country", "1", "50.0%"],
        ["2026-11-10", "Web", "Country", "2", "66.7%"],
    ]


def test_the_drill_down_lists_the_leads_missing_the_field_escaped(signed_in, org):
    response = signed_in.get("/data-quality", {**RANGE, "field": "Country",
                                               "lead_source": "Web"})
    html = response.content.decode()
    assert "Leads from Web missing Country" in html
    assert f"/leads/{org[0].id}" in html and f"/leads/{org[1].id}" in html
    assert f"/leads/{org[2].id}" not in html  # complete
    assert "&lt;b&gt;Bobby&lt;/b&gt; &amp; Co" in html and "<b>Bobby" not in html
    export = signed_in.get("/data-quality", {**RANGE, "field": "Country",
                                             "lead_source": "Web", "format": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert lines[0] == ["lead_id", "created_at", "lead_source", "missing_fields", "outcome"]
    assert sorted(line[0] for line in lines[1:]) == sorted([org[0].id, org[1].id])


def test_the_csv_has_a_row_per_source_day_and_field(signed_in, org):
    response = signed_in.get("/data-quality", {**RANGE, "format": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0][:5] == ["lead_source", "day", "field", "leads", "missing"]
    assert [line[:5] for line in lines[1:]] == [["Partner", "2026-11-10", "Country", "2", "1"],
                                                 ["Web", "2026-11-10", "Country", "3", "2"]]


def test_without_data_quality_fields_the_page_says_how_to_configure_them(signed_in):
    response = signed_in.get("/data-quality")
    assert response.status_code == 200
    assert "No routing-critical field is configured" in response.content.decode()
