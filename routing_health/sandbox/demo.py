"""The one-command demo (spec section 9): emulators, the real pipeline, the dashboard.

Everything runs locally with no network: the Salesforce emulator (HTTPS, a synthetic org with
the incident scenario, new leads every few seconds), the Slack emulator, then the real
``sync_salesforce`` → ``compute_metrics`` → ``evaluate_alerts``, a demo login, the web server and
the django-q2 cluster. Ctrl-C stops every process it started.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

SLACK_TOKEN = "xoxb-demo-token"
SLACK_CHANNEL = "C0ROUTING01"
DEMO_USER = "demo"


def free_port(preferred: int = 0) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Demo:
    """The processes of a running demo, stopped together."""

    workdir: Path
    say: Callable[[str], None]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def spawn(self, name: str, argv: Sequence[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.workdir / f"{name}.log", "wb") as log:  # the child keeps its own copy
            proc = subprocess.Popen(
                list(argv), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(proc)
        return proc

    def run(self, name: str, argv: Sequence[str], env: dict[str, str], *,
            expected_codes: tuple[int, ...] = (0,)) -> None:
        started = time.monotonic()
        result = subprocess.run(list(argv), env=env, capture_output=True, text=True)
        (self.workdir / f"{name}.log").write_text(result.stdout + result.stderr)
        summary = [line for line in result.stdout.splitlines() if line.strip()][-1:] or [""]
        if result.returncode not in expected_codes:
            raise RuntimeError(
                f"{name} failed (see {self.workdir / (name + '.log')}):\n"
                f"{result.stderr.strip()[-2000:]}"
            )
        self.say(f"  {name:<16} ok in {time.monotonic() - started:5.1f}s  {summary[0][:110]}")

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for proc in self.processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def write_env_file(path: Path, values: dict[str, str]) -> Path:
    """``values`` as ``KEY='value'`` lines a POSIX shell can source (``set -a; . FILE``);
    readable by the owner only (it holds the emulators' tokens)."""
    lines = [f"{key}={shlex.quote(value)}" for key, value in values.items()]
    path.write_text("# Routing Health demo settings: set -a; . " + path.name + "; set +a\n"
                    + "\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def _shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies under it (shorter to copy)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _wait_for_file(path: Path, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout:.0f}s")
        time.sleep(0.2)


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on port {port}") from None
            time.sleep(0.2)


def _wait_for_http(url: str, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a loopback URL of ours
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer at {url}") from None
            time.sleep(0.3)


def run_demo(
    *, leads: int, port: int, live_seconds: float, say: Callable[[str], None], wait: bool = True
) -> dict[str, str]:
    """Start everything, print the URL and login, and block until interrupted."""
    workdir = Path(settings.DATA_DIR) / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in workdir.glob("*"):
        if stale.is_file():
            stale.unlink()
    demo = Demo(workdir=workdir, say=say)
    python = sys.executable
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    try:
        say(f"Routing Health demo — working folder {workdir}")
        info_file = workdir / "salesforce.json"
        sf = demo.spawn(
            "salesforce-emulator",
            [
                python,
                "-m",
                "routing_health.sandbox.serve",
                "--leads",
                str(leads),
                "--scenario",
                "demo",
                "--input-gap",
                "--workdir",
                str(workdir),
                "--info-file",
                str(info_file),
                "--live-seconds",
                str(live_seconds),
                "--shadow",
            ],
            dict(os.environ),
        )
        _wait_for_file(info_file, sf, "the Salesforce emulator")
        info = json.loads(info_file.read_text())
        say(f"  Salesforce emulator  {info['url']} ({leads} leads, demo incident)")
        slack_port = free_port()
        slack = demo.spawn(
            "slack-emulator",
            [
                python,
                "-m",
                "routing_health.sandbox.slack_emulator",
                "--port",
                str(slack_port),
                "--token",
                SLACK_TOKEN,
            ],
            dict(os.environ),
        )
        web_port = free_port(port)
        if port and web_port != port:
            say(f"  Port {port} is in use: the dashboard takes port {web_port} instead")
        public_url = f"http://127.0.0.1:{web_port}"
        demo_settings = {
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{workdir / 'demo.sqlite3'}",
            "SALESFORCE_INSTANCE_URL": info["url"],
            "SALESFORCE_ACCESS_TOKEN": info["access_token"],
            "SALESFORCE_BULK_POLL_SECONDS": "0.1",
            # The routing test pack's connection: the demo org is itself a sandbox.
            "SALESFORCE_SANDBOX_INSTANCE_URL": info["url"],
            "SALESFORCE_SANDBOX_ACCESS_TOKEN": info["access_token"],
            "REQUESTS_CA_BUNDLE": info["ca_path"],
            "ROUTING_HEALTH_CONFIG": info["config_path"],
            "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_CHANNEL": SLACK_CHANNEL,
            "PUBLIC_URL": public_url,
            "SYNC_INTERVAL_MINUTES": "1",
        }
        env = {**os.environ, **demo_settings}
        env_file = write_env_file(workdir / "demo.env", demo_settings)
        _wait_for_port(slack_port, slack, "the Slack emulator")
        say(f"  Slack emulator       http://127.0.0.1:{slack_port}/api/")
        demo.run("migrate", [python, manage, "migrate", "--noinput"], env)
        demo.run("sync_salesforce", [python, manage, "sync_salesforce"], env)
        demo.run("compute_metrics", [python, manage, "compute_metrics"], env)
        demo.run("evaluate_alerts", [python, manage, "evaluate_alerts"], env)
        # The weekly review of the last complete week (the incident's), stored for the Reports
        # page; not posted: the demo pages Slack only for its three problems.
        demo.run("weekly_report", [python, manage, "weekly_report"], env)
        # The demo org is a sandbox with a router: the example pack's run shows the EMEA
        # territory case failing (exit 1 by design) on the Routing tests page.
        pack = str(Path(settings.BASE_DIR) / "examples" / "routing-pack.toml")
        demo.run("routing_test", [python, manage, "routing_test", "run", pack, "--connection",
                                  "sandbox", "--create"], env, expected_codes=(0, 1))
        demo.run("setup_schedules", [python, manage, "setup_schedules"], env)
        password = secrets.token_urlsafe(9)
        demo.run("create login", [python, manage, "shell", "-c", _create_user(password)], env)
        web = demo.spawn(
            "web", [python, manage, "runserver", "--noreload", f"127.0.0.1:{web_port}"], env
        )
        demo.spawn("qcluster", [python, manage, "qcluster"], env)
        _wait_for_http(f"{public_url}/healthz", web, "the web server")
        say("")
        say(f"  Dashboard: {public_url}/")
        say(f"  Login:     {DEMO_USER} / {password}")
        say("")
        say(f"  New leads arrive every {live_seconds:g}s; the sync runs every minute.")
        say("  Logs are in the working folder. Press Ctrl-C to stop everything.")
        say("")
        say("  Run any command against this demo from another terminal:")
        say(f"    set -a; . {_shown_path(env_file)}; set +a")
        say("    .venv/bin/python manage.py export_metrics --by region")
        details = {"url": public_url, "user": DEMO_USER, "password": password}
        (workdir / "login.json").write_text(json.dumps(details))
        (workdir / "pids.json").write_text(json.dumps([p.pid for p in demo.processes]))
        if wait:
            _block_until_interrupted(demo)
        return details
    finally:
        if wait:
            demo.stop()
            say("Demo stopped; every process it started has exited.")


def _block_until_interrupted(demo: Demo) -> None:
    stop = {"now": False}

    def handler(signum: int, frame: object) -> None:
        stop["now"] = True

    # Both, explicitly: a shell that starts a job in the background ignores SIGINT in it, and
    # Python then installs no KeyboardInterrupt handler of its own.
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    try:
        while not stop["now"]:
            for proc in demo.processes:
                if proc.poll() is not None:
                    raise RuntimeError(f"a demo process exited unexpectedly: {proc.args}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


def _create_user(password: str) -> str:
    return (
        "from django.contrib.auth.models import User\n"
        f"u, _ = User.objects.get_or_create(username={DEMO_USER!r})\n"
        f"u.set_password({password!r}); u.is_staff = True; u.is_superuser = True; u.save()\n"
        "print('demo login ready')\n"
    )
