"""``POST /slack/interactions`` end to end: the Slack emulator clicks a button of a message it
recorded and POSTs Slack's signed ``block_actions`` payload to the live server (issue 14, point 6).

Signatures are made by the emulator with ``hmac`` (``sandbox.slack_clicks``), independently of
the verifier under test. Evaluations use explicit times; the click happens at the wall clock,
frozen with time_machine where the test needs to know it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.forms.models import model_to_dict
from django.test import Client

from routing_health.alerts.service import run_evaluation
from routing_health.models import AlertIncident, IncidentEvent, Notification
from routing_health.sandbox.slack_clicks import (
    block_actions_payload,
    click_button,
    post,
    signed_request,
)
from routing_health.sandbox.slack_emulator import SlackEmulator
from routing_health.sandbox.slack_state import RecordedMessage
from routing_health.slack.transport import SlackTransport
from tests.alerts.conftest import ONLY_ROUTING_FAILURES, T0, DbOrg, make_transport
from tests.conftest import SLACK_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "e2e-signing-secret-0123456789abcdef"
CLICK = T0 + timedelta(minutes=5)
REMINDED_AT = T0 + timedelta(hours=4, minutes=5)  # past the 4 h reminder interval


@pytest.fixture
def slack(settings: Any, slack_emulator: SlackEmulator) -> SlackEmulator:
    """Slack configured for the app (bot token, channel, signing secret) on the emulator."""
    settings.SLACK_SIGNING_SECRET = SECRET
    settings.SLACK_BOT_TOKEN = SLACK_TOKEN
    settings.SLACK_CHANNEL = "#routing-alerts"
    settings.SLACK_API_URL = slack_emulator.api_url
    settings.PUBLIC_URL = "https://health.example.com"
    return slack_emulator


@pytest.fixture
def org(db: None) -> DbOrg:
    org = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES)
    org.failing(3)
    return org


@pytest.fixture
def transport(slack: SlackEmulator) -> SlackTransport:
    return make_transport(slack)


@pytest.fixture
def url(live_server: Any) -> str:
    return f"{live_server.url}/slack/interactions"


@pytest.fixture
def fired(org: DbOrg, transport: SlackTransport, slack: SlackEmulator) -> RecordedMessage:
    """The incident has fired at T0: its message (with buttons) is in the channel."""
    run_evaluation(config=org.config, as_of=T0, now=T0, transport=transport)
    [message] = slack.messages
    return message


@pytest.fixture
def frozen() -> Iterator[Callable[[datetime], Any]]:
    travellers: list[Any] = []

    def at(moment: datetime) -> Any:
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)
        return traveller

    yield at
    for traveller in reversed(travellers):
        traveller.stop()


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll ``condition`` (the thread reply is posted after the response has been sent)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def replies(slack: SlackEmulator, parent: RecordedMessage) -> list[RecordedMessage]:
    return [m for m in slack.messages if m.thread_ts == parent.ts]


def snapshot() -> tuple[dict, int, int]:
    incident = AlertIncident.objects.get()
    return model_to_dict(incident), IncidentEvent.objects.count(), Notification.objects.count()


# -- a signed click -------------------------------------------------------------------------


@pytest.mark.parametrize("acknowledged", [True, False], ids=["acknowledged", "not-acknowledged"])
def test_a_signed_acknowledge_stops_the_reminders_and_without_it_one_is_posted(
    acknowledged: bool, org: DbOrg, transport: SlackTransport, slack: SlackEmulator,
    fired: RecordedMessage, url: str, frozen: Callable[[datetime], Any],
) -> None:
    if acknowledged:
        frozen(CLICK)
        reply = click_button(fired, "rh_ack", url=url, signing_secret=SECRET,
                             user_id="U0ONCALL01", user_name="ana")
        assert reply.status == 200
        assert wait_for(lambda: len(replies(slack, fired)) == 1)

    run_evaluation(config=org.config, as_of=REMINDED_AT, now=REMINDED_AT, transport=transport)

    texts = [m.text for m in replies(slack, fired)]
    if acknowledged:
        assert texts == ["Acknowledged by <@U0ONCALL01> (ana): no more reminders until it "
                         "resolves."]
        incident = AlertIncident.objects.get()
        assert (incident.acknowledged_by, incident.acknowledged_by_slack_id,
                incident.acknowledged_at) == ("ana", "U0ONCALL01", CLICK)
        assert IncidentEvent.objects.get(kind="acknowledged").note == "by ana (Slack U0ONCALL01)"
    else:
        assert len(texts) == 1 and texts[0].startswith("Still firing")


def test_a_signed_snooze_for_1_h_snoozes_until_the_click_time_plus_1_h(
    routing_config: Any, slack: SlackEmulator, fired: RecordedMessage, url: str,
    frozen: Callable[[datetime], Any],
) -> None:
    routing_config.write_text('[report]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    clicked = datetime(2026, 11, 20, 12, 5, 30, tzinfo=UTC)
    frozen(clicked)

    reply = click_button(fired, "rh_snooze_1h", url=url, signing_secret=SECRET,
                         user_id="U0ONCALL01", user_name="ana")

    assert reply.status == 200
    incident = AlertIncident.objects.get()
    assert incident.snoozed_until == clicked + timedelta(hours=1)
    assert (incident.snoozed_by, incident.snoozed_at) == ("ana (Slack U0ONCALL01)", clicked)
    assert wait_for(lambda: len(replies(slack, fired)) == 1)
    [thread_reply] = replies(slack, fired)
    # 13:05 UTC is 14:05 in Berlin (CET in November)
    assert thread_reply.text == ("Snoozed for 1 h by <@U0ONCALL01> (ana) (until 2026-11-20 "
                                 "14:05 CET): no notifications until then.")


def test_a_signed_snooze_for_4_h_silences_the_reminder(
    org: DbOrg, transport: SlackTransport, slack: SlackEmulator, fired: RecordedMessage,
    url: str, frozen: Callable[[datetime], Any],
) -> None:
    frozen(CLICK)
    assert click_button(fired, "rh_snooze_4h", url=url, signing_secret=SECRET).status == 200
    assert AlertIncident.objects.get().snoozed_until == CLICK + timedelta(hours=4)
    assert wait_for(lambda: len(replies(slack, fired)) == 1)

    run_evaluation(config=org.config, as_of=T0 + timedelta(hours=4), now=T0 + timedelta(hours=4),
                   transport=transport)

    assert len(replies(slack, fired)) == 1  # the snooze reply only: the reminder is silenced


def test_a_slack_user_name_with_a_channel_mention_is_escaped_in_the_thread_reply(
    slack: SlackEmulator, fired: RecordedMessage, url: str
) -> None:
    reply = click_button(fired, "rh_ack", url=url, signing_secret=SECRET,
                         user_id="U0ONCALL01", user_name="<!channel> pwned & <https://x.io|y>")

    assert reply.status == 200
    assert wait_for(lambda: len(replies(slack, fired)) == 1)
    [thread_reply] = replies(slack, fired)
    assert thread_reply.text == (
        "Acknowledged by <@U0ONCALL01> (&lt;!channel&gt; pwned &amp; &lt;https://x.io|y&gt;): "
        "no more reminders until it resolves."
    )
    assert "<!channel>" not in thread_reply.text


def test_the_alerts_page_shows_who_acknowledged_after_the_click(
    routing_config: Any, slack: SlackEmulator, fired: RecordedMessage, url: str,
    signed_in: Client, frozen: Callable[[datetime], Any],
) -> None:
    routing_config.write_text('[report]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    frozen(CLICK)
    assert click_button(fired, "rh_ack", url=url, signing_secret=SECRET,
                        user_id="U0ONCALL01", user_name="ana").status == 200

    page = signed_in.get("/alerts").content.decode()

    # 12:05 UTC = 13:05 CET; the who as recorded, with its Slack user id.
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert "Acknowledged by ana (Slack U0ONCALL01) at 2026-11-20 13:05 CET" in text
    incident = AlertIncident.objects.get()
    assert f'action="/alerts/{incident.pk}/acknowledge"' not in page  # nothing left to do
    assert f'action="/alerts/{incident.pk}/snooze"' in page


def test_a_second_click_on_acknowledge_changes_nothing_and_posts_nothing(
    slack: SlackEmulator, fired: RecordedMessage, url: str
) -> None:
    for user in ("ana", "bob"):  # a double click, or a second person
        assert click_button(fired, "rh_ack", url=url, signing_secret=SECRET,
                            user_name=user).status == 200
    time.sleep(0.3)

    assert [m.text.split(":")[0] for m in replies(slack, fired)] == [
        "Acknowledged by <@U0ONCALL01> (ana)"]
    assert IncidentEvent.objects.filter(kind="acknowledged").count() == 1
    assert AlertIncident.objects.get().acknowledged_by == "ana"


def test_a_click_on_the_reminders_button_replies_in_the_original_thread(
    org: DbOrg, transport: SlackTransport, slack: SlackEmulator, fired: RecordedMessage,
    url: str,
) -> None:
    at = T0 + timedelta(hours=4)
    run_evaluation(config=org.config, as_of=at, now=at, transport=transport)
    [reminder] = replies(slack, fired)

    assert click_button(reminder, "rh_snooze_4h", url=url, signing_secret=SECRET).status == 200

    assert wait_for(lambda: len(replies(slack, fired)) == 2)
    assert replies(slack, fired)[1].text.startswith("Snoozed for 4 h by <@U0ONCALL01>")


# -- requests that must change nothing ------------------------------------------------------


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param({"bad_signature": True}, id="wrong-signature"),
        pytest.param({"age_seconds": 6 * 60}, id="stale-6-minutes"),
    ],
)
@pytest.mark.parametrize("action", ["rh_ack", "rh_snooze_1h"])
def test_a_bad_or_stale_signature_answers_401_and_changes_nothing(
    forge: dict[str, Any], action: str, slack: SlackEmulator, fired: RecordedMessage, url: str
) -> None:
    before = snapshot()

    reply = click_button(fired, action, url=url, signing_secret=SECRET, **forge)

    assert reply.status == 401
    assert reply.body == b"Invalid or stale Slack signature.\n"
    time.sleep(0.3)  # a reply, if any, would be posted after the response
    assert snapshot() == before
    assert slack.messages == [fired]


def test_a_timestamp_4_minutes_old_is_still_accepted(
    slack: SlackEmulator, fired: RecordedMessage, url: str
) -> None:
    reply = click_button(fired, "rh_ack", url=url, signing_secret=SECRET, age_seconds=4 * 60)
    assert reply.status == 200
    assert AlertIncident.objects.get().acknowledged_at is not None


def test_missing_signature_headers_answer_401(
    slack: SlackEmulator, fired: RecordedMessage, url: str
) -> None:
    before = snapshot()
    body, headers = signed_request(block_actions_payload(fired, "rh_ack"), signing_secret=SECRET)
    for missing in ("X-Slack-Signature", "X-Slack-Request-Timestamp"):
        partial = {k: v for k, v in headers.items() if k != missing}
        assert post(url, body, partial).status == 401
    malformed = {**headers, "X-Slack-Request-Timestamp": "soon"}
    assert post(url, body, malformed).status == 401
    assert snapshot() == before


def test_the_signature_covers_the_body(slack: SlackEmulator, fired: RecordedMessage,
                                       url: str) -> None:
    before = snapshot()
    body, headers = signed_request(block_actions_payload(fired, "rh_ack"), signing_secret=SECRET)
    tampered = body.replace(b"rh_ack", b"rh_snooze_4h")
    assert tampered != body
    assert post(url, tampered, headers).status == 401
    assert snapshot() == before


def test_without_a_signing_secret_the_endpoint_answers_404(
    settings: Any, slack: SlackEmulator, fired: RecordedMessage, url: str
) -> None:
    before = snapshot()
    settings.SLACK_SIGNING_SECRET = None

    reply = click_button(fired, "rh_ack", url=url, signing_secret=SECRET)

    assert reply.status == 404
    assert snapshot() == before


def test_an_unknown_action_or_incident_answers_200_and_changes_nothing(
    slack: SlackEmulator, fired: RecordedMessage, url: str
) -> None:
    before = snapshot()
    payload = block_actions_payload(fired, "rh_ack")
    payload["actions"][0]["action_id"] = "rh_delete_everything"
    assert post(url, *signed_request(payload, signing_secret=SECRET)).status == 200
    payload = block_actions_payload(fired, "rh_ack")
    payload["actions"][0]["value"] = '{"incidents":[[999999,1]]}'
    assert post(url, *signed_request(payload, signing_secret=SECRET)).status == 200
    payload["actions"][0]["value"] = "not ours"
    assert post(url, *signed_request(payload, signing_secret=SECRET)).status == 200

    time.sleep(0.3)
    assert snapshot() == before
    assert slack.messages == [fired]


def test_the_endpoint_needs_no_login_and_no_csrf_token(
    slack: SlackEmulator, fired: RecordedMessage
) -> None:
    body, headers = signed_request(block_actions_payload(fired, "rh_ack"), signing_secret=SECRET)
    client = Client(enforce_csrf_checks=True)  # anonymous, CSRF enforced like a browser

    response = client.generic("POST", "/slack/interactions", body,
                              content_type=headers["Content-Type"],
                              headers={k: v for k, v in headers.items() if k.startswith("X-")})

    assert response.status_code == 200
    assert AlertIncident.objects.get().acknowledged_by == "on-call"
    # The test client closes the response, which posts the reply before returning.
    assert [m.text for m in replies(slack, fired)] == [
        "Acknowledged by <@U0ONCALL01> (on-call): no more reminders until it resolves."]


# -- the Alerts page ------------------------------------------------------------------------


def test_a_dashboard_user_acknowledges_from_the_alerts_page_with_its_csrf_token(
    slack: SlackEmulator, fired: RecordedMessage, user: Any
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    incident = AlertIncident.objects.get()
    page = client.get("/alerts").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    action = f"/alerts/{incident.pk}/acknowledge"
    assert f'action="{action}"' in page

    refused = client.post(action, {"episode": "1"})
    response = client.post(action, {"episode": "1", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.acknowledged_by, incident.acknowledged_by_slack_id) == ("ana", "")
    assert IncidentEvent.objects.get(kind="acknowledged").note == "by ana (dashboard)"
    text = re.sub(r"<[^>]+>", "", client.get("/alerts").content.decode())
    assert "Acknowledged by ana (dashboard) at" in re.sub(r"\s+", " ", text)
    csv = b"".join(client.get("/alerts?format=csv").streaming_content).decode()
    header, row = csv.splitlines()[:2]
    assert header.endswith(",snoozed_until,snoozed_by,acknowledged_at,acknowledged_by")
    assert row.endswith(",ana (dashboard)")


def test_acknowledging_from_the_page_needs_a_signed_in_user(fired: RecordedMessage) -> None:
    incident = AlertIncident.objects.get()
    response = Client().post(f"/alerts/{incident.pk}/acknowledge", {"episode": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert AlertIncident.objects.get().acknowledged_at is None


@pytest.mark.parametrize("acknowledged", [True, False], ids=["acknowledged", "not-acknowledged"])
def test_a_signed_acknowledge_on_a_group_message_stops_the_groups_reminders(
    acknowledged: bool, transport: SlackTransport, slack: SlackEmulator, url: str,
    frozen: Callable[[datetime], Any],
) -> None:
    group = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES)
    group.failing(1)
    group.lead(created_at=T0 - timedelta(minutes=5), failed_node="Second node")
    run_evaluation(config=group.config, as_of=T0, now=T0, transport=transport)
    [parent] = slack.messages
    assert "2 alerts firing" in parent.blocks[0]["text"]["text"]
    if acknowledged:  # one click acknowledges every incident of the group
        frozen(CLICK)
        reply = click_button(parent, "rh_ack", url=url, signing_secret=SECRET,
                             user_id="U0ONCALL01", user_name="ana")
        assert reply.status == 200
        assert wait_for(lambda: len(replies(slack, parent)) == 1)
        assert AlertIncident.objects.filter(acknowledged_by="ana").count() == 2

    run_evaluation(config=group.config, as_of=REMINDED_AT, now=REMINDED_AT, transport=transport)

    reminders = [m for m in replies(slack, parent) if m.text.startswith("Still firing")]
    assert len(reminders) == (0 if acknowledged else 1)
