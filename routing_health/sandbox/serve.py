"""Run the Salesforce emulator with a synthetic org in its own process.

``python -m routing_health.sandbox.serve --leads 2000 --scenario demo --info-file run.json``
generates the org, serves it over HTTPS on 127.0.0.1 and writes (and prints) one JSON line:
``{"url", "ca_path", "access_token", "config_path", "facts_path"}`` so a parent process can
point the real client at it. It runs until interrupted. The benchmark and ``make demo`` use it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from routing_health.sandbox.live import LiveFeed
from routing_health.sandbox.org import Org
from routing_health.sandbox.router import demo_router
from routing_health.sandbox.server import SalesforceEmulator
from routing_health.sandbox.synthetic import generate_org


def build_org(*, leads: int, seed: int, now: datetime, scenario: str, days: int,
              sandbox: bool = False, router_delay: float | None = None,
              shadow: bool = False, input_gap: bool = False) -> tuple[Org, Any]:
    """An emulator org loaded with a synthetic org; returns ``(org, synthetic)``.

    Besides the synthetic tables the org gets its flows' versions (FlowVersionView), the
    routing kill switch (``Routing_Switch__mdt.Lead_Routing``, off since the window's start),
    ``Organization.IsSandbox = sandbox``, the routing test pack's marker field
    ``Lead.Routing_Test_Run__c`` and, with ``router_delay`` (seconds), the demo router
    for leads created through the API (routing_health/sandbox/router.py). ``shadow`` adds the
    shadow-routing story (``synthetic_shadow``: the candidate-owner fields and ``[shadow]``);
    ``input_gap`` the routing-input story (``synthetic_inputs``)."""
    synthetic = generate_org(leads=leads, seed=seed, now=now, days=days, scenario=scenario,
                             shadow=shadow, input_gap=input_gap)
    org = Org(seed_defaults=False)
    org.load(
        {name: synthetic.records(name) for name in synthetic.tables},
        custom_fields=synthetic.custom_fields,
    )
    facts = synthetic.facts
    org.add_flow_versions(facts["flows"])
    org.set_kill_switch(False, at=facts["start"])
    org.is_sandbox = sandbox
    # The routing test pack's marker field (examples/routing-pack.toml, docs/change-safety.md).
    org.add_field("Lead", "Routing_Test_Run__c", "string", label="Routing Test Run")
    if router_delay is not None:
        org.configure_router(demo_router(facts, delay_seconds=router_delay))
    return org, synthetic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--scenario", default="demo", choices=("demo", "plain"))
    parser.add_argument(
        "--now", default=None, help="ISO instant of 'now' in the org (default: now)"
    )
    parser.add_argument(
        "--input-gap", action="store_true",
        help="the web form stops sending Country the day before now (the Data quality story)",
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workdir", default=None, help="where to write the config, CA and facts")
    parser.add_argument("--info-file", default=None)
    parser.add_argument(
        "--live-seconds", type=float, default=0, help="add and route a new lead this often"
    )
    parser.add_argument(
        "--production",
        action="store_true",
        help="serve a production org (Organization.IsSandbox = false); default: a sandbox",
    )
    parser.add_argument(
        "--router-delay",
        type=float,
        default=5.0,
        help="the org's router routes leads created through the API this many seconds after "
        "creation (default 5)",
    )
    parser.add_argument(
        "--no-router", action="store_true", help="leads created through the API stay unrouted"
    )
    parser.add_argument(
        "--shadow", action="store_true",
        help="add the shadow-routing story (an AI candidate-owner field and [shadow])",
    )
    args = parser.parse_args(argv)

    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    now = now.replace(microsecond=0) - timedelta(seconds=1)
    started = time.monotonic()
    org, synthetic = build_org(
        leads=args.leads,
        seed=args.seed,
        now=now,
        scenario=args.scenario,
        days=args.days,
        sandbox=not args.production,
        router_delay=None if args.no_router else args.router_delay,
        shadow=args.shadow,
        input_gap=args.input_gap,
    )
    workdir = Path(args.workdir) if args.workdir else None
    emulator = SalesforceEmulator(org, port=args.port, tls_dir=workdir)
    emulator.start()
    info: dict[str, Any] = {
        "url": emulator.url,
        "ca_path": str(emulator.ca_path),
        "access_token": emulator.access_token,
        "leads": args.leads,
        "seconds_to_start": round(time.monotonic() - started, 2),
    }
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        config_path = workdir / "routing_health.toml"
        config_path.write_text(synthetic.config_toml)
        facts_path = workdir / "facts.json"
        facts_path.write_text(json.dumps(synthetic.facts, default=str, indent=2))
        info |= {"config_path": str(config_path), "facts_path": str(facts_path)}
    line = json.dumps(info)
    if args.info_file:
        Path(args.info_file).write_text(line + "\n")
    print(line, flush=True)

    feed = LiveFeed(org, synthetic.facts, seconds=args.live_seconds) if args.live_seconds else None
    if feed is not None:
        feed.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if feed is not None:
            feed.stop()
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
