"""Salesforce values are data, never markup: a hostile lead name renders inert."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

HOSTILE = "</script><script>alert(1)</script>"


@pytest.fixture
def hostile_lead(make_lead):
    return make_lead(name=HOSTILE, company='"><img src=x onerror=alert(2)>', status=HOSTILE)


def test_a_hostile_lead_name_is_escaped_on_the_lead_list(signed_in, hostile_lead):
    body = signed_in.get("/leads").content.decode()
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert" not in body
    assert "<img src=x" not in body


def test_a_hostile_lead_name_is_escaped_on_the_lead_timeline(signed_in, hostile_lead):
    body = signed_in.get(f"/leads/{hostile_lead.id}").content.decode()
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert" not in body
    assert "<img src=x" not in body


def test_a_hostile_filter_value_is_escaped_in_the_filter_bar_and_chips(signed_in, make_lead):
    make_lead()
    body = signed_in.get("/leads", {"region": HOSTILE}).content.decode()
    assert "<script>alert" not in body
    assert "Region: &lt;/script&gt;" in body


def test_no_template_marks_anything_safe():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = [
        str(path)
        for path in root.rglob("*.html")
        if "|safe" in path.read_text() or "autoescape off" in path.read_text()
    ]
    assert offenders == []


def test_a_hostile_shadow_explanation_is_escaped_on_the_lead_timeline(
    signed_in, make_lead, routing_config
):
    routing_config.write_text(
        '[shadow]\ncandidate_field = "AI_Owner__c"\nexplanation_field = "AI_Reason__c"\n',
        encoding="utf-8",
    )
    lead = make_lead(raw_fields={"AI_Owner__c": "005000000000001AAA",
                                 "AI_Reason__c": "<script>alert(1)</script> & more"})
    page = signed_in.get(f"/leads/{lead.id}").content.decode()
    assert "Recommended because &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<script>alert(1)" not in page
