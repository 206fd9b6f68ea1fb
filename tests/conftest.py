"""Shared fixtures, defined once for the whole suite.

- The Salesforce emulator family: ``org`` (the tiny org's, overridden where a test area needs
  another one), ``emulator`` serving it over HTTPS, ``sf_client`` (our ``SalesforceClient``)
  and ``sf`` (a plain simple_salesforce client) on it; ``tiny``, ``config``, ``configured`` and
  ``small_pages`` for the sync tests.
- The Slack emulator: ``slack_emulator``, one server per session, reset around every test.
- A real local SMTP server (aiosmtpd): ``smtp_server``, one per session, reset around every
  test, with ``EMAIL_URL`` / ``ALERT_EMAIL_FROM`` pointing at it.
- The synthetic demo org synced from the HTTPS emulator: ``synced_org``. The sync runs once per
  session; its rows are kept in memory and bulk-loaded into each test's transaction.
"""

from __future__ import annotations

import copy
import email
import email.message
import email.policy
import logging
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.test import override_settings
from django.utils import timezone
from simple_salesforce import Salesforce

from routing_health.config import RoutingConfig, parse_config
from routing_health.facts.kill_switch import forget_changes
from routing_health.salesforce import ConnectionSettings, SalesforceClient
from routing_health.sandbox.org import Org
from routing_health.sandbox.serve import build_org
from routing_health.sandbox.server import SalesforceEmulator
from routing_health.sandbox.slack_emulator import SlackEmulator
from routing_health.sync import service as sync_module
from routing_health.sync.outcome import SyncOutcome
from routing_health.sync.service import sync_salesforce
from tests.orgs import TinyOrg, build_tiny_org, tiny_config, tiny_config_text

pytest_plugins = ["tests.ci_strict"]

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SLACK_TOKEN = "xoxb-test-token"
DEMO_ORG = {"leads": 400, "seed": 11, "now": NOW, "scenario": "demo", "days": 21}


# -- the Salesforce emulator ------------------------------------------------------------------


@contextmanager
def serve_salesforce(org: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceEmulator]:
    """``org`` served by the HTTPS emulator, its CA trusted by requests while the block runs."""
    with SalesforceEmulator(org) as emulator:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_path))
        yield emulator


def salesforce_client(emulator: SalesforceEmulator, **options: Any) -> SalesforceClient:
    """Our Salesforce client pointed at ``emulator`` (Bulk polls every 10 ms)."""
    settings = ConnectionSettings(
        instance_url=emulator.url, access_token=emulator.access_token, bulk_poll_seconds=0.01
    )
    return SalesforceClient(settings, **options)


@pytest.fixture(autouse=True)
def _fresh_kill_switch_memo() -> Iterator[None]:
    """Each test reads the kill switch's changes from its own database: the per-process memo
    of ``routing_health.facts.kill_switch`` (60 s) must not carry one test's rows into the
    next (rows bulk-loaded by fixtures send no signal)."""
    forget_changes()
    yield
    forget_changes()


@pytest.fixture
def tiny() -> TinyOrg:
    return build_tiny_org()


@pytest.fixture
def org(tiny: TinyOrg) -> Org:
    """The org the ``emulator`` serves: the tiny org unless a test area overrides it."""
    return tiny.org


@pytest.fixture
def emulator(org: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceEmulator]:
    with serve_salesforce(org, monkeypatch) as emu:
        yield emu


@pytest.fixture
def sf_client(emulator: SalesforceEmulator) -> SalesforceClient:
    return salesforce_client(emulator, backoff_seconds=0.01)


@pytest.fixture
def sf(emulator: SalesforceEmulator) -> Salesforce:
    """A plain simple_salesforce client on the emulator."""
    return Salesforce(
        instance_url=emulator.url, session_id=emulator.access_token, version=emulator.api_version
    )


@pytest.fixture
def config(tiny: TinyOrg) -> RoutingConfig:
    return tiny_config(tiny)


@pytest.fixture
def configured(
    emulator: SalesforceEmulator, tiny: TinyOrg, settings: Any, tmp_path: Path
) -> Path:
    """The tiny org's configuration file, and the settings that point the commands at it and
    at the emulator; returns the file's path."""
    path = tmp_path / "routing_health.toml"
    path.write_text(tiny_config_text(tiny))
    settings.ROUTING_HEALTH_CONFIG = str(path)
    settings.SALESFORCE = {
        **settings.SALESFORCE,
        "instance_url": emulator.url,
        "access_token": emulator.access_token,
    }
    return path


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of a few rows, so a small org spans many pages on both paths."""
    monkeypatch.setattr(sync_module, "REST_BATCH", 200)
    monkeypatch.setattr(sync_module, "BULK_PAGE", 5)


# -- the Slack emulator -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def _slack_server() -> Iterator[SlackEmulator]:
    with SlackEmulator(valid_tokens={SLACK_TOKEN}) as server:
        server.add_channel("old-news", id="C0ARCHIVED", archived=True)
        server.add_channel("elsewhere", id="C0NOTMEMBR", member=False)
        yield server


@pytest.fixture
def slack_emulator(_slack_server: SlackEmulator) -> Iterator[SlackEmulator]:
    """The Slack emulator (one per session), with no messages, calls or faults left over."""
    _slack_server.reset()
    yield _slack_server
    _slack_server.reset()


# -- a local SMTP server ------------------------------------------------------------------------

SMTP_USER = "routing@example.com"
SMTP_PASSWORD = "s3cret p@ss/w:rd"  # URL-encoded in EMAIL_URL: the settings must decode it
SMTP_PASSWORD_QUOTED = "s3cret%20p%40ss%2Fw%3Ard"
EMAIL_FROM = "Routing Health <routing-health@example.com>"


@dataclass(frozen=True)
class ReceivedMail:
    """One message the server accepted: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: email.message.EmailMessage


class RecordingHandler:
    """An aiosmtpd handler recording every message; it can refuse recipients (550 for RCPT TO)
    and defer messages (451 after DATA) for a number of transactions."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.messages: list[ReceivedMail] = []
        self.refused: set[str] = set()
        self.deferrals = 0
        self.rcpt_calls: list[str] = []

    def refuse(self, *addresses: str) -> None:
        self.refused.update(a.lower() for a in addresses)

    def defer(self, times: int) -> None:
        """Answer the next ``times`` messages with 451 after DATA."""
        self.deferrals = times

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_calls.append(address)
        if address.lower() in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.deferrals > 0:
            self.deferrals -= 1
            return "451 4.3.0 Temporary local problem, try again later"
        parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                          policy=email.policy.default)
        self.messages.append(ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), parsed))
        return "250 OK: queued"


@dataclass
class SmtpServer:
    """The running server: ``handler`` records and misbehaves, ``url`` is its EMAIL_URL."""

    host: str
    port: int
    handler: RecordingHandler

    @property
    def url(self) -> str:
        return f"smtp://{SMTP_USER}:{SMTP_PASSWORD_QUOTED}@{self.host}:{self.port}?timeout=5"

    @property
    def messages(self) -> list[ReceivedMail]:
        return self.handler.messages


def _smtp_authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
    )
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def _smtp_controller() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=_free_port(), authenticator=_smtp_authenticator,
        auth_require_tls=False, ready_timeout=10,
    )
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(_smtp_controller: SmtpServer, settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (one per session, reset around every test), with
    ``EMAIL_URL`` (user and password, the password URL-encoded) and ``ALERT_EMAIL_FROM``
    pointing at it."""
    _smtp_controller.handler.reset()
    settings.EMAIL_URL = _smtp_controller.url
    settings.ALERT_EMAIL_FROM = EMAIL_FROM
    # aiosmtpd logs every DATA line at DEBUG; under a test's caplog DEBUG that slows the server
    # enough for a big message to time out on a busy machine. Its log is not ours to check.
    server_log = logging.getLogger("mail.log")
    level = server_log.level
    server_log.setLevel(logging.INFO)
    yield _smtp_controller
    server_log.setLevel(level)
    _smtp_controller.handler.reset()


# -- syncing an org into the test database ----------------------------------------------------


def _sync(org: Org, config_text: str, monkeypatch: pytest.MonkeyPatch) -> SyncOutcome:
    with serve_salesforce(org, monkeypatch) as emu:
        outcome = sync_salesforce(client=salesforce_client(emu), config=parse_config(config_text))
    assert outcome.ok, outcome.summary()
    return outcome


@pytest.fixture
def sync_org(db, settings, monkeypatch, tmp_path) -> Callable[[Org, str], SyncOutcome]:
    """A function syncing an emulator ``Org`` into the test DB: it writes ``config_text`` as
    the configured routing file, serves the org from the HTTPS emulator, runs one sync and
    asserts it succeeded."""

    def sync(org: Org, config_text: str) -> SyncOutcome:
        config_path = tmp_path / "routing_health.toml"
        config_path.write_text(config_text)
        settings.ROUTING_HEALTH_CONFIG = str(config_path)
        return _sync(org, config_text, monkeypatch)

    return sync


@dataclass(frozen=True)
class SyncedRows:
    """What one sync of the demo org left in the database, per model, and the org's facts.

    ``clock_fields`` names, per model, the datetime fields holding the wall-clock time of the
    sync (run start and end, last success), which fell between ``started`` and ``finished``."""

    synthetic: Any
    rows: list[tuple[type[models.Model], list[models.Model]]]
    started: datetime
    finished: datetime
    clock_fields: dict[type[models.Model], list[str]]

    def rows_as_of(self, now: datetime) -> Iterator[tuple[type[models.Model], list[models.Model]]]:
        """The rows, their wall-clock times moved as if the sync had just finished at ``now``:
        a test late in the session sees the same age of data as one at its start."""
        shift = now - self.finished
        for model, rows in self.rows:
            fields = self.clock_fields.get(model)
            if not fields:
                yield model, rows
                continue
            moved = []
            for row in rows:
                row = copy.copy(row)
                for name in fields:
                    value = getattr(row, name)
                    if value is not None and self.started <= value <= self.finished:
                        setattr(row, name, value + shift)
                moved.append(row)
            yield model, moved


def _project_models() -> list[type[models.Model]]:
    """The project's tables (no proxies, no unmanaged views)."""
    return [
        model
        for model in apps.get_app_config("routing_health").get_models()
        if model._meta.managed and not model._meta.proxy
    ]


@pytest.fixture(scope="session")
def _demo_rows(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> SyncedRows:
    """Sync the demo org once per session inside a transaction that is rolled back, keeping
    the rows it wrote (rows present before the sync, e.g. from migrations, are left out)."""
    return _synced_rows(DEMO_ORG, django_db_blocker, tmp_path_factory)


@pytest.fixture(scope="session")
def _shadow_rows(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> SyncedRows:
    """``_demo_rows`` for the demo org with the shadow-routing story (issue 17)."""
    return _synced_rows({**DEMO_ORG, "shadow": True}, django_db_blocker, tmp_path_factory)


def _synced_rows(
    org_kwargs: dict[str, Any], django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> SyncedRows:
    org, synthetic = build_org(**org_kwargs)
    path = tmp_path_factory.mktemp("demo-org") / "routing_health.toml"
    path.write_text(synthetic.config_toml)
    with (
        django_db_blocker.unblock(),
        override_settings(ROUTING_HEALTH_CONFIG=str(path)),
        pytest.MonkeyPatch.context() as monkeypatch,
        transaction.atomic(),
    ):
        before = {
            model: set(model._base_manager.values_list("pk", flat=True))
            for model in _project_models()
        }
        started = timezone.now()
        _sync(org, synthetic.config_toml, monkeypatch)
        finished = timezone.now()
        rows = [
            (model, [row for row in model._base_manager.all() if row.pk not in before[model]])
            for model in _project_models()
        ]
        transaction.set_rollback(True)
    rows = [(model, found) for model, found in rows if found]
    clock_fields = {
        model: names
        for model, found in rows
        if (names := _clock_fields(model, found, started, finished))
    }
    return SyncedRows(synthetic, rows, started, finished, clock_fields)


def _clock_fields(
    model: type[models.Model], rows: list[models.Model], start: datetime, end: datetime
) -> list[str]:
    """The datetime fields of ``model`` where some row holds a time between start and end."""
    return [
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateTimeField)
        and any(
            (value := getattr(row, field.attname)) is not None and start <= value <= end
            for row in rows
        )
    ]


@pytest.fixture
def synced_org(db: None, settings: Any, tmp_path: Path, _demo_rows: SyncedRows) -> Any:
    """The demo org (400 leads over 21 days, seed 11) as a sync from the emulator leaves it in
    the database, with its routing file configured; returns the org's synthetic facts.

    The sync runs once per session (``_demo_rows``); each test gets the rows bulk-loaded into
    its own transaction, so what a test writes is rolled back with it."""
    return _load_rows(settings, tmp_path, _demo_rows)


@pytest.fixture
def synced_shadow_org(db: None, settings: Any, tmp_path: Path, _shadow_rows: SyncedRows) -> Any:
    """``synced_org`` for the demo org with the shadow-routing story (a candidate-owner field
    and ``[shadow]`` in its routing file)."""
    return _load_rows(settings, tmp_path, _shadow_rows)


def _load_rows(settings: Any, tmp_path: Path, _demo_rows: SyncedRows) -> Any:
    config_path = tmp_path / "routing_health.toml"
    config_path.write_text(_demo_rows.synthetic.config_toml)
    settings.ROUTING_HEALTH_CONFIG = str(config_path)
    for model, rows in _demo_rows.rows_as_of(timezone.now()):
        model._base_manager.bulk_create(rows)
    # Rows came with their primary keys: move PostgreSQL's sequences past them.
    loaded = [model for model, _ in _demo_rows.rows]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), loaded):
            cursor.execute(statement)
    return _demo_rows.synthetic
