"""The Block Kit payload for an alert, tested as a plain dict (no Slack, no network)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing_health.alerts.message import AlertMessage, RecordLink
from routing_health.alerts.slack_blocks import build_payload
from routing_health.lib.format import format_duration
from routing_health.lib.mrkdwn import escape_mrkdwn, fit_mrkdwn, plain_text, text_length
from routing_health.sandbox.slack_limits import validate_message

INSTANCE = "https://acme.my.salesforce.com"
DASHBOARD = "https://routing.example.com/alerts/"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def lead_id(n: int) -> str:
    """An 18-character Lead Id with a correct case-check suffix (Salesforce's algorithm)."""
    id15 = f"00Q5e00000{n:05d}"
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return id15 + suffix


def lead_url(n: int) -> str:
    return f"{INSTANCE}/lightning/r/Lead/{lead_id(n)}/view"


def message(**overrides: Any) -> AlertMessage:
    fields: dict[str, Any] = {
        "kind": "firing",
        "rule": "assignment_success",
        "title": "Assignment success below target",
        "segment": {"region": "EMEA", "tier": "hot"},
        "value": 0.97,
        "threshold": 0.995,
        "comparison": "<",
        "window": "leads created in the last 24 h",
        "value_format": "rate",
        "failure_reasons": (("No matching assignment rule", 12), ("Inactive owner", 3)),
        "records": (RecordLink(lead_id(1), "Ada Lovelace"),),
        "total_records": 1,
        "dashboard_url": DASHBOARD,
        "first_seen": NOW - timedelta(hours=3, minutes=5),
        "as_of": NOW,
    }
    fields.update(overrides)
    return AlertMessage(**fields)


def texts(payload: dict[str, Any]) -> list[str]:
    """Every text string in the blocks, in order."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(payload["blocks"])
    return found


def mrkdwn_texts(payload: dict[str, Any]) -> list[str]:
    """The mrkdwn-parsed strings: every mrkdwn text object, plus the fallback `text`."""
    found = [payload["text"]]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn":
                found.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(payload["blocks"])
    return found


def section_text(payload: dict[str, Any], heading: str) -> str:
    for block in payload["blocks"]:
        if block["type"] == "section" and "text" in block:
            if block["text"]["text"].startswith(heading):
                return block["text"]["text"]
    raise AssertionError(f"no section starting with {heading!r}")


LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>")


def links(text: str) -> list[tuple[str, str]]:
    return LINK.findall(text)


def assert_inert(text: str) -> None:
    """Every `<` opens one of our links; every `&` starts an escape entity."""
    without_links = LINK.sub("", text)
    assert "<" not in without_links and ">" not in without_links, text
    for match in re.finditer("&", text):
        assert re.match(r"&(amp|lt|gt);", text[match.start() :]), text
    for url, _ in links(text):
        assert url.startswith((INSTANCE + "/lightning/r/Lead/", DASHBOARD)), url


# -- escaping ---------------------------------------------------------------------------------


def test_escape_mrkdwn_escapes_the_three_control_characters() -> None:
    assert escape_mrkdwn("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape_mrkdwn("<!channel>") == "&lt;!channel&gt;"


def test_plain_text_collapses_newlines_and_drops_invisible_controls() -> None:
    assert plain_text("a\n\tb\u202e c\x00d ") == "a b c d"


def test_a_lead_named_like_a_channel_mention_is_shown_not_pinged() -> None:
    payload = build_payload(
        message(records=(RecordLink(lead_id(1), "<!channel>"),)), instance_url=INSTANCE
    )

    leads = section_text(payload, "*Example leads*")
    assert f"• <{lead_url(1)}|&lt;!channel&gt;>" in leads.splitlines()
    assert "<!channel>" not in json.dumps(payload)
    assert "<!" not in "".join(mrkdwn_texts(payload))


def test_a_lead_named_like_a_link_cannot_become_a_link() -> None:
    payload = build_payload(
        message(records=(RecordLink(lead_id(1), "<https://evil|click>"),)), instance_url=INSTANCE
    )

    leads = section_text(payload, "*Example leads*")
    assert f"• <{lead_url(1)}|&lt;https://evil click&gt;>" in leads.splitlines()
    assert links(leads) == [(lead_url(1), "&lt;https://evil click&gt;")]
    for text in mrkdwn_texts(payload):
        assert_inert(text)


def test_ampersand_and_angle_brackets_are_escaped_in_every_salesforce_value() -> None:
    payload = build_payload(
        message(
            title="&<>",
            segment={"region": "&<>"},
            failure_reasons=(("&<>", 2),),
            records=(RecordLink(lead_id(1), "&<>"),),
        ),
        instance_url=INSTANCE,
    )

    assert f"• <{lead_url(1)}|&amp;&lt;&gt;>" in section_text(payload, "*Example leads*")
    assert "• &amp;&lt;&gt; — 2" in section_text(payload, "*Failure reasons*")
    fields = [f["text"] for f in payload["blocks"][1]["fields"]]
    assert "*Segment*\nregion &amp;&lt;&gt;" in fields
    assert payload["text"] == (
        "Routing alert: &amp;&lt;&gt; [assignment_success] for region &amp;&lt;&gt;: 97.0%, "
        "below the threshold of 99.50%, over leads created in the last 24 h."
    )
    # plain_text is not parsed by Slack: the header shows the characters as they are.
    assert payload["blocks"][0]["text"] == {"type": "plain_text", "text": "🔴 &<> (region &<>)"}


def test_mention_like_segment_and_reason_values_are_escaped_everywhere() -> None:
    payload = build_payload(
        message(
            segment={"region": "<!here>"},
            failure_reasons=(("<@U123> <#C123> <!subteam^S1>", 1),),
            window="<https://evil|last day>",
        ),
        instance_url=INSTANCE,
    )

    for text in mrkdwn_texts(payload):
        assert_inert(text)
    assert "region &lt;!here&gt;" in payload["text"]
    assert "&lt;@U123&gt; &lt;#C123&gt; &lt;!subteam^S1&gt;" in section_text(
        payload, "*Failure reasons*"
    )


def test_mrkdwn_text_objects_are_verbatim_so_bare_urls_are_not_linkified() -> None:
    payload = build_payload(message(), instance_url=INSTANCE)

    objects = [f for f in payload["blocks"][1]["fields"]]
    objects += [b["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    assert objects and all(o["verbatim"] is True for o in objects)


# -- the content ------------------------------------------------------------------------------


def test_the_fallback_text_says_rule_segment_value_threshold_and_window_in_plain_words() -> None:
    payload = build_payload(message(), instance_url=INSTANCE)

    assert payload["text"] == (
        "Routing alert: Assignment success below target [assignment_success] for region EMEA, "
        "tier hot: 97.0%, below the threshold of 99.50%, over leads created in the last 24 h."
    )
    assert payload["unfurl_links"] is False and payload["unfurl_media"] is False


def test_the_blocks_show_header_numbers_reasons_records_and_dashboard_link() -> None:
    payload = build_payload(message(), instance_url=INSTANCE)

    assert [b["type"] for b in payload["blocks"]] == [
        "header",
        "section",
        "section",
        "section",
        "context",
    ]
    assert payload["blocks"][0]["text"]["text"] == (
        "🔴 Assignment success below target (region EMEA, tier hot)"
    )
    assert [f["text"] for f in payload["blocks"][1]["fields"]] == [
        "*Value*\n97.0%",
        "*Threshold*\nalert when &lt; 99.50%",
        "*Segment*\nregion EMEA, tier hot",
        "*Window*\nleads created in the last 24 h",
        "*Rule*\n`assignment_success`",
        "*Firing since*\n2026-11-20 08:55 UTC (3.1 h)",
    ]
    assert section_text(payload, "*Failure reasons*") == (
        "*Failure reasons*\n• No matching assignment rule — 12\n• Inactive owner — 3"
    )
    assert section_text(payload, "*Example leads*") == (
        f"*Example leads* (1 in all)\n• <{lead_url(1)}|Ada Lovelace>"
    )
    assert payload["blocks"][-1]["elements"][0]["text"] == (
        f"<{DASHBOARD}?region=EMEA&amp;tier=hot|Open in Routing Health>"
        " · as of 2026-11-20 12:00 UTC"
    )


def test_the_dashboard_link_encodes_segment_values_and_keeps_existing_filters() -> None:
    payload = build_payload(
        message(
            segment={"region": "A&B|C <x>", "tier": "hot"},
            dashboard_url=f"{DASHBOARD}?tier=warm",
        ),
        instance_url=INSTANCE,
    )

    context = payload["blocks"][-1]["elements"][0]["text"]
    assert links(context) == [
        (f"{DASHBOARD}?tier=warm&amp;region=A%26B%7CC+%3Cx%3E", "Open in Routing Health")
    ]


def test_a_dashboard_url_that_is_not_http_is_left_out() -> None:
    payload = build_payload(message(dashboard_url="javascript:alert(1)"), instance_url=INSTANCE)

    assert payload["blocks"][-1]["elements"][0]["text"] == "as of 2026-11-20 12:00 UTC"


def test_it_shows_at_most_ten_record_links_then_how_many_more() -> None:
    records = tuple(RecordLink(lead_id(n), f"Lead {n}") for n in range(25))
    payload = build_payload(message(records=records, total_records=25), instance_url=INSTANCE)

    leads = section_text(payload, "*Example leads*")
    assert len(links(leads)) == 10
    assert leads.splitlines()[-1] == "+15 more"


def test_more_counts_the_records_behind_the_alert_not_only_those_passed() -> None:
    records = tuple(RecordLink(lead_id(n), f"Lead {n}") for n in range(12))
    payload = build_payload(message(records=records, total_records=500), instance_url=INSTANCE)

    leads = section_text(payload, "*Example leads*")
    assert leads.splitlines()[0] == "*Example leads* (500 in all)"
    assert leads.splitlines()[-1] == "+490 more"


def test_no_more_line_when_every_record_is_shown() -> None:
    records = tuple(RecordLink(lead_id(n), f"Lead {n}") for n in range(3))
    payload = build_payload(message(records=records, total_records=3), instance_url=INSTANCE)

    assert "more" not in section_text(payload, "*Example leads*")


def test_an_id_that_is_not_a_salesforce_id_never_goes_into_a_url() -> None:
    bad = ("javascript:alert(1)", "00Q/../../setup", "00Q5e00000000011AAA", lead_id(2)[:-1] + "Z")
    records = (*(RecordLink(b, "Bad") for b in bad), RecordLink(lead_id(3)[:15], "Short"))
    payload = build_payload(message(records=records, total_records=5), instance_url=INSTANCE)

    leads = section_text(payload, "*Example leads*")
    assert links(leads) == [(f"{INSTANCE}/lightning/r/Lead/{lead_id(3)[:15]}/view", "Short")]
    assert leads.splitlines()[-1] == "+4 more"


def test_a_pipe_in_a_label_is_stripped_and_an_empty_label_shows_the_id() -> None:
    records = (RecordLink(lead_id(1), "Acme | Corp"), RecordLink(lead_id(2), " \n "))
    payload = build_payload(message(records=records, total_records=2), instance_url=INSTANCE)

    assert links(section_text(payload, "*Example leads*")) == [
        (lead_url(1), "Acme Corp"),
        (lead_url(2), lead_id(2)),
    ]


def test_rates_get_enough_decimals_to_differ_from_the_threshold() -> None:
    payload = build_payload(message(value=0.9949), instance_url=INSTANCE)

    fields = [f["text"] for f in payload["blocks"][1]["fields"]]
    assert fields[:2] == ["*Value*\n99.49%", "*Threshold*\nalert when &lt; 99.50%"]


def test_minutes_and_missing_values_read_naturally() -> None:
    payload = build_payload(
        message(rule="tta_p95", value=None, threshold=5.0, comparison=">", value_format="minutes"),
        instance_url=INSTANCE,
    )

    assert "—, above the threshold of 5 min" in payload["text"]


def test_a_reminder_says_it_is_still_firing() -> None:
    payload = build_payload(message(kind="reminder"), instance_url=INSTANCE)

    assert payload["blocks"][0]["text"]["text"].startswith("🔴 Still firing: ")
    assert payload["text"].startswith("Still firing: ")


def test_the_resolved_message_names_rule_segment_when_it_fired_and_how_long_it_lasted() -> None:
    payload = build_payload(message(kind="resolved", value=0.998), instance_url=INSTANCE)

    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "context"]
    assert payload["blocks"][0]["text"]["text"] == (
        "✅ Resolved: Assignment success below target (region EMEA, tier hot)"
    )
    assert payload["blocks"][1]["text"]["text"] == (
        "*Assignment success below target* is back to normal for region EMEA, tier hot.\n"
        "Rule `assignment_success` fired at 2026-11-20 08:55 UTC and lasted 3.1 h "
        "(resolved 2026-11-20 12:00 UTC).\n"
        "Now: 99.80% (threshold 99.50%)."
    )
    assert payload["text"] == (
        "Resolved: Assignment success below target [assignment_success] for region EMEA, "
        "tier hot, after 3.1 h (fired 2026-11-20 08:55 UTC)."
    )


def test_durations_read_naturally() -> None:
    assert format_duration(timedelta(seconds=20)) == "20 s"
    assert format_duration(timedelta(minutes=45)) == "45 min"
    assert format_duration(timedelta(hours=2)) == "2 h"
    assert format_duration(timedelta(days=2, hours=5, minutes=7)) == "2.2 d"  # 3,187 min


# -- limits -----------------------------------------------------------------------------------


def assert_within_slack_limits(payload: dict[str, Any]) -> None:
    blocks = payload["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "header":
            assert 0 < text_length(block["text"]["text"]) <= 150
        if block["type"] == "section":
            if "text" in block:
                assert 0 < text_length(block["text"]["text"]) <= 3000
            for field in block.get("fields", []):
                assert 0 < text_length(field["text"]) <= 2000
    assert 0 < text_length(payload["text"]) <= 4000
    assert sum(text_length(t) for t in texts(payload)) <= 12000
    assert validate_message(payload["text"], blocks) is None


def test_huge_data_still_fits_slack_limits() -> None:
    name = "Ω" * 10_000
    payload = build_payload(
        message(
            title="T" * 10_000,
            segment={"region": "R" * 10_000, "tier": "&" * 10_000},
            window="W" * 10_000,
            failure_reasons=tuple((f"reason {n} " + "&" * 10_000, n) for n in range(120)),
            records=tuple(RecordLink(lead_id(n), f"{n} {name}") for n in range(500)),
            total_records=500,
            dashboard_url=DASHBOARD,
        ),
        instance_url=INSTANCE,
    )

    assert_within_slack_limits(payload)
    assert text_length(payload["blocks"][0]["text"]["text"]) == 150  # the emoji counts 2
    assert payload["blocks"][0]["text"]["text"].endswith("…")
    reasons = section_text(payload, "*Failure reasons*")
    assert re.fullmatch(r"_…and [0-9]+ more reasons \([0-9,]+ leads\)_", reasons.splitlines()[-1])
    leads = section_text(payload, "*Example leads*")
    assert len(links(leads)) == 10
    assert leads.splitlines()[-1] == "+490 more"
    for text in mrkdwn_texts(payload):
        assert_inert(text)
    # the segment is too long to filter on: the link falls back to the unfiltered page
    assert links(payload["blocks"][-1]["elements"][0]["text"])[0][0] == DASHBOARD


def test_a_long_instance_url_drops_links_whole_rather_than_cutting_one() -> None:
    instance = "https://" + "a" * 900 + ".my.salesforce.com"
    records = tuple(RecordLink(lead_id(n), "L" * 500) for n in range(10))
    payload = build_payload(message(records=records, total_records=10), instance_url=instance)

    leads = section_text(payload, "*Example leads*")
    assert_within_slack_limits(payload)
    assert 0 < len(links(leads)) < 10
    assert leads.splitlines()[-1] == f"+{10 - len(links(leads))} more"


def test_truncation_never_cuts_an_escape_entity_or_a_link() -> None:
    assert fit_mrkdwn("&amp;" * 10, 12) == "&amp;&amp;…"
    assert fit_mrkdwn("ab <https://x.example|label> cd", 10) == "ab…"
    assert fit_mrkdwn("short", 10) == "short"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    label=st.text(min_size=0, max_size=300),
    reason=st.text(min_size=0, max_size=300),
    region=st.text(min_size=0, max_size=300),
    title=st.text(min_size=0, max_size=300),
)
def test_any_text_stays_inert_and_within_limits(
    label: str, reason: str, region: str, title: str
) -> None:
    payload = build_payload(
        message(
            title=title,
            segment={"region": region},
            failure_reasons=((reason, 1),) * 30,
            records=tuple(RecordLink(lead_id(n), label) for n in range(15)),
            total_records=15,
        ),
        instance_url=INSTANCE,
    )

    assert_within_slack_limits(payload)
    for text in mrkdwn_texts(payload):
        assert_inert(text)


# -- the message ------------------------------------------------------------------------------


def test_an_alert_message_is_immutable_and_needs_aware_times() -> None:
    alert = message()
    with pytest.raises(TypeError):
        alert.segment["region"] = "APAC"  # type: ignore[index]
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(alert, as_of=datetime(2026, 11, 20, 12, 0))
    with pytest.raises(ValueError, match="kind"):
        replace(alert, kind="exploded")
