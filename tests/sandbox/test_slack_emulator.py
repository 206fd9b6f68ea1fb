"""The Slack emulator, driven by the real slack_sdk WebClient."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from routing_health.sandbox.slack_emulator import DEFAULT_CHANNEL_ID, SlackEmulator
from routing_health.sandbox.slack_limits import validate_blocks
from tests.conftest import SLACK_TOKEN

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


def client(
    slack_emulator: SlackEmulator, *, token: str | None = SLACK_TOKEN, **kwargs: Any
) -> WebClient:
    kwargs.setdefault("retry_handlers", [])
    kwargs.setdefault("timeout", 5)
    return WebClient(token=token, base_url=slack_emulator.api_url, **kwargs)


def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


# -- the API ----------------------------------------------------------------------------------


def test_it_serves_plain_http_on_a_free_local_port(slack_emulator: SlackEmulator) -> None:
    assert slack_emulator.api_url == f"http://127.0.0.1:{slack_emulator.port}/api/"
    assert slack_emulator.port > 0


def test_auth_test_accepts_a_valid_bearer_token(slack_emulator: SlackEmulator) -> None:
    response = client(slack_emulator).auth_test()

    assert response["ok"] is True and response["team_id"] == "T0EMULATED"


def test_a_wrong_token_is_invalid_auth_answered_with_http_200(
    slack_emulator: SlackEmulator,
) -> None:
    error = api_error(lambda: client(slack_emulator, token="xoxb-wrong").auth_test())

    assert error.response.status_code == 200
    assert error.response.data == {"ok": False, "error": "invalid_auth"}


def test_no_token_is_not_authed(slack_emulator: SlackEmulator) -> None:
    error = api_error(
        lambda: client(slack_emulator, token=None).chat_postMessage(channel="x", text="t")
    )

    assert error.response["error"] == "not_authed"


def test_conversations_info_reports_the_channel_and_its_archived_flag(
    slack_emulator: SlackEmulator,
) -> None:
    live = client(slack_emulator).conversations_info(channel=DEFAULT_CHANNEL_ID)["channel"]
    archived = client(slack_emulator).conversations_info(channel="C0ARCHIVED")["channel"]

    assert (live["name"], live["is_archived"]) == ("routing-alerts", False)
    assert archived["is_archived"] is True


def test_post_message_is_recorded_and_answered_with_channel_and_ts(
    slack_emulator: SlackEmulator,
) -> None:
    response = client(slack_emulator).chat_postMessage(
        channel="#routing-alerts", text="fallback", blocks=[SECTION]
    )

    [message] = slack_emulator.messages
    assert response["channel"] == DEFAULT_CHANNEL_ID and response["ts"] == message.ts
    assert (message.channel, message.text, message.blocks) == (
        DEFAULT_CHANNEL_ID,
        "fallback",
        [SECTION],
    )
    assert message.thread_ts is None and message.updated is False


def test_post_message_accepts_a_form_body_with_blocks_as_a_json_string(
    slack_emulator: SlackEmulator,
) -> None:
    client(slack_emulator).api_call(
        "chat.postMessage",
        params={"channel": DEFAULT_CHANNEL_ID, "text": "form", "blocks": json.dumps([SECTION])},
    )

    [message] = slack_emulator.messages
    assert (message.text, message.blocks) == ("form", [SECTION])


def test_posting_to_unknown_archived_or_foreign_channels_fails_like_slack(
    slack_emulator: SlackEmulator,
) -> None:
    web = client(slack_emulator)
    errors = [
        api_error(lambda c=channel: web.chat_postMessage(channel=c, text="t")).response["error"]
        for channel in ("C0NOPE", "C0ARCHIVED", "#elsewhere")
    ]

    assert errors == ["channel_not_found", "is_archived", "not_in_channel"]
    assert slack_emulator.messages == []


def test_a_reply_is_recorded_in_its_thread(slack_emulator: SlackEmulator) -> None:
    web = client(slack_emulator)
    parent = web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="parent")["ts"]
    web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="reply", thread_ts=parent)

    assert [(m.text, m.thread_ts) for m in slack_emulator.messages] == [
        ("parent", None),
        ("reply", parent),
    ]


def test_a_reply_to_an_unknown_thread_is_rejected(slack_emulator: SlackEmulator) -> None:
    error = api_error(
        lambda: client(slack_emulator).chat_postMessage(
            channel=DEFAULT_CHANNEL_ID, text="reply", thread_ts="1.000001"
        )
    )

    assert error.response["error"] == "thread_not_found"


def test_update_replaces_the_message_and_marks_it_updated(slack_emulator: SlackEmulator) -> None:
    web = client(slack_emulator)
    ts = web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="firing")["ts"]
    response = web.chat_update(channel=DEFAULT_CHANNEL_ID, ts=ts, text="resolved", blocks=[])

    [message] = slack_emulator.messages
    assert response["ts"] == ts
    assert (message.text, message.updated, message.update_count) == ("resolved", True, 1)


def test_update_needs_a_channel_id_and_an_existing_ts(slack_emulator: SlackEmulator) -> None:
    web = client(slack_emulator)
    ts = web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="firing")["ts"]

    by_name = api_error(lambda: web.chat_update(channel="#routing-alerts", ts=ts, text="x"))
    unknown = api_error(lambda: web.chat_update(channel=DEFAULT_CHANNEL_ID, ts="1.2", text="x"))
    assert by_name.response["error"] == "channel_not_found"
    assert unknown.response["error"] == "message_not_found"


# -- Slack's limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([SECTION] * 51, "/blocks"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "/blocks/0/text/type"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}], "/blocks/0/text"),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
            "/blocks/0/fields/0",
        ),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "/blocks/0/text/text"),
        ([SECTION, {"type": "nonsense"}], "/blocks/1/type"),
    ],
    ids=["51 blocks", "header 151", "mrkdwn header", "section 3001", "field 2001", "empty", "type"],
)
def test_blocks_beyond_slacks_limits_are_invalid_blocks(
    slack_emulator: SlackEmulator, blocks: list[dict[str, Any]], pointer: str
) -> None:
    error = api_error(
        lambda: client(slack_emulator).chat_postMessage(
            channel=DEFAULT_CHANNEL_ID, text="t", blocks=blocks
        )
    )

    assert error.response.status_code == 200
    assert error.response["error"] == "invalid_blocks"
    assert any(f"[json-pointer:{pointer}" in problem for problem in error.response["errors"])
    assert slack_emulator.messages == []


def test_blocks_at_slacks_limits_are_accepted() -> None:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3000}}]
    blocks += [{"type": "divider"}] * 48

    assert validate_blocks(blocks) == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_too_long_text_is_msg_too_long_and_no_content_is_no_text(
    slack_emulator: SlackEmulator,
) -> None:
    web = client(slack_emulator)
    long_text = api_error(
        lambda: web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="x" * 40001)
    )
    empty = api_error(lambda: web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text=" "))

    assert long_text.response["error"] == "msg_too_long"
    assert empty.response["error"] == "no_text"


# -- faults -----------------------------------------------------------------------------------


def test_ratelimited_answers_429_with_retry_after_the_given_times(
    slack_emulator: SlackEmulator,
) -> None:
    slack_emulator.faults.add(kind="ratelimited", times=2, retry_after=1)
    web = client(slack_emulator)

    for _ in range(2):
        error = api_error(lambda: web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="t"))
        assert error.response.status_code == 429
        assert error.response.headers["Retry-After"] == "1"
        assert error.response["error"] == "ratelimited"
    web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="t")

    assert [c.status for c in slack_emulator.calls] == [429, 429, 200]
    assert len(slack_emulator.messages) == 1


def test_slack_sdks_own_rate_limit_handler_honours_the_retry_after(
    slack_emulator: SlackEmulator,
) -> None:
    slack_emulator.faults.add(kind="ratelimited", times=1, retry_after=0)
    web = client(slack_emulator, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])

    web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="t")

    assert [c.status for c in slack_emulator.calls] == [429, 200]


def test_a_server_error_answers_the_status_with_an_html_page(slack_emulator: SlackEmulator) -> None:
    slack_emulator.faults.add(kind="server_error", times=1, status=503, retry_after=2)

    error = api_error(lambda: client(slack_emulator).auth_test())

    assert error.response.status_code == 503
    assert error.response.headers["Retry-After"] == "2"
    assert slack_emulator.calls[0].error == "http_503"


def test_an_error_fault_answers_a_slack_error_then_clears(slack_emulator: SlackEmulator) -> None:
    slack_emulator.faults.add(
        kind="error", error="channel_not_found", times=1, method="chat.postMessage"
    )
    web = client(slack_emulator)

    web.auth_test()  # another method is not affected
    error = api_error(lambda: web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="t"))
    web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="t")

    assert (error.response.status_code, error.response["error"]) == (200, "channel_not_found")
    assert slack_emulator.faults.active == []


def test_a_timeout_fault_answers_late_and_still_posts(slack_emulator: SlackEmulator) -> None:
    slack_emulator.faults.add(kind="timeout", times=1, delay=0.6)

    with pytest.raises((TimeoutError, URLError)):
        client(slack_emulator, timeout=0.1).chat_postMessage(
            channel=DEFAULT_CHANNEL_ID, text="late"
        )

    deadline = time.monotonic() + 3
    while not slack_emulator.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m.text for m in slack_emulator.messages] == [
        "late"
    ]  # posted although the client gave up


def test_down_resets_connections_until_cleared(slack_emulator: SlackEmulator) -> None:
    slack_emulator.faults.add(kind="down")
    web = client(slack_emulator)

    for _ in range(2):
        with pytest.raises((ConnectionError, URLError, OSError)):
            web.auth_test()
    slack_emulator.faults.clear()

    assert web.auth_test()["ok"] is True
    assert [c.error for c in slack_emulator.calls] == ["connection_reset", "connection_reset", None]


def test_unknown_fault_kinds_are_refused(slack_emulator: SlackEmulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        slack_emulator.faults.add(kind="gremlins")


# -- housekeeping -----------------------------------------------------------------------------


def test_it_is_quiet(slack_emulator: SlackEmulator, capfd: pytest.CaptureFixture[str]) -> None:
    slack_emulator.faults.add(kind="down", times=1)
    slack_emulator.faults.add(kind="server_error", times=1)
    web = client(slack_emulator)
    for _ in range(2):
        with pytest.raises((SlackApiError, URLError, OSError)):
            web.auth_test()
    web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="t")

    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_concurrent_posts_are_all_recorded_with_distinct_ts(slack_emulator: SlackEmulator) -> None:
    def post(n: int) -> None:
        web = client(slack_emulator)
        for i in range(5):
            web.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text=f"{n}-{i}")

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(slack_emulator.messages) == 40
    assert len({m.ts for m in slack_emulator.messages}) == 40


def test_after_stop_the_port_refuses_connections() -> None:
    with SlackEmulator(valid_tokens={SLACK_TOKEN}) as emulator:
        url = emulator.api_url
    with pytest.raises(RuntimeError):
        _ = emulator.api_url
    with pytest.raises(URLError):
        urllib.request.urlopen(url + "auth.test", data=b"", timeout=1)
