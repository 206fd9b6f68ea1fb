"""``make bench``: run the benchmarks and write one JSON file per benchmark to bench/results/.

Usage: ``python -m bench.run [--only NAME ...] [--scale small|full]``. Each ``bench/bench_*.py``
module has ``run(scale: str) -> dict | list[dict]`` returning records with at least ``name``.
Targets are reported, not asserted: a missed target prints ``MISSED`` but still writes JSON.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BENCHES = ("sync", "metrics", "business_hours", "pages", "volumes", "fairness", "inputs",
           "duplicates", "scale")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=None, help=f"subset of {', '.join(BENCHES)}")
    parser.add_argument("--scale", choices=("small", "full"), default="full")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in args.only or BENCHES:
        try:
            module = importlib.import_module(f"bench.bench_{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.bench_{name}":
                print(f"[skip] {name}: no benchmark module yet")
                continue
            raise
        started = time.monotonic()
        run = module.run
        records = run(args.scale) if inspect.signature(run).parameters else run()
        records = records if isinstance(records, list) else [records]
        for record in records:
            record.setdefault("measured_at", datetime.now(UTC).isoformat())
            record.setdefault(
                "machine", {"python": sys.version.split()[0], "cpu": platform.machine()}
            )
            out = RESULTS / f"{record['name']}.json"
            out.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
            verdict = record.get("verdict", "")
            print(f"[{verdict or 'done'}] {record['name']}: {_headline(record)} -> {out}")
        print(f"  ({name} took {time.monotonic() - started:.1f}s)")
    return 0


def _headline(record: dict) -> str:
    keys = [k for k in record if k not in {"name", "machine", "measured_at", "verdict", "detail"}]
    return ", ".join(f"{k}={record[k]}" for k in keys[:8])


if __name__ == "__main__":
    sys.exit(main())
