"""``manage.py demo`` (what ``make demo`` runs), end to end, then stopped cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def test_the_demo_serves_the_incident_and_stops_everything_it_started(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "SALESFORCE_", "SLACK_", "ROUTING_"))
    }
    env |= {"DJANGO_DEBUG": "1", "ROUTING_HEALTH_DATA_DIR": str(tmp_path)}
    demo = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "demo",
            "--leads",
            "1200",
            "--port",
            "0",
            "--live-seconds",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    login_file = tmp_path / "demo" / "login.json"
    output: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while not login_file.exists():
            assert demo.poll() is None, "".join(output) + (
                demo.stdout.read() if demo.stdout else ""
            )
            assert time.monotonic() < deadline, "the demo did not come up in 180 s"
            time.sleep(0.5)
        login = json.loads(login_file.read_text())
        session = requests.Session()
        page = session.get(f"{login['url']}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = session.post(
            f"{login['url']}/accounts/login/",
            data={
                "username": login["user"],
                "password": login["password"],
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{login['url']}/accounts/login/"},
            timeout=10,
        )
        assert response.status_code == 200 and "/accounts/login/" not in response.url
        overview = session.get(f"{login['url']}/", timeout=30)
        assert overview.status_code == 200
        facts = json.loads((tmp_path / "demo" / "facts.json").read_text())
        incident = facts["incident"]
        assert incident["failed_node"] in overview.text
        assert incident["region"] in overview.text
        # The example routing test pack ran against the demo (a sandbox): EMEA territory fails.
        tests_page = session.get(f"{login['url']}/routing-tests", timeout=30)
        assert "runbook-edge-cases" in tests_page.text and "6 of 7" in tests_page.text
        pids = json.loads((tmp_path / "demo" / "pids.json").read_text())
        # Grouped alerts (spec section 6): one top-level Slack message per region at most,
        # and the EMEA one leads with its root cause, the flow version (issue 16).
        posted = (tmp_path / "demo" / "slack-emulator.log").read_text().splitlines()
        top = [line for line in posted if line.startswith("[") and "(thread " not in line]
        assert 1 <= len(top) <= 4, top
        [emea] = [line for line in top if " in EMEA;" in line]
        # (With this small org, 1,200 leads, the last 24 h hold fewer than min_leads EMEA hot
        # leads, so the flow check waits and the routing failures lead; test_demo_story.py
        # checks the default demo, where the flow regression is the top line.)
        assert ("worst: Routing worse since a flow activation: Lead_Router" in emea
                or f"worst: Routing failures: {incident['failed_node']}" in emea), emea
        # Any command runs against the live demo once its settings file is sourced.
        env_file = tmp_path / "demo" / "demo.env"
        assert env_file.stat().st_mode & 0o077 == 0  # it holds the emulators' tokens
        bare = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
        exported = subprocess.run(
            ["bash", "-c", f"set -a; . '{env_file}'; set +a; "
             f"'{sys.executable}' manage.py export_metrics --by region"],
            cwd=ROOT, env=bare, capture_output=True, text=True, timeout=120,
        )
        assert exported.returncode == 0, exported.stderr
        regions = {row["region"] for row in json.loads(exported.stdout)["rows"]}
        assert incident["region"] in regions
    finally:
        demo.send_signal(signal.SIGINT)
        out, _ = demo.communicate(timeout=60)
        output.append(out)
    assert demo.returncode == 0, out
    assert "Dashboard: http://127.0.0.1:" in out
    assert "demo.env; set +a" in out
    assert "every process it started has exited" in out
    time.sleep(0.5)
    assert [pid for pid in pids if _alive(pid)] == []
