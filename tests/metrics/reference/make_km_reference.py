"""Writes ``km_lifelines.json``: Kaplan–Meier quantiles computed by ``lifelines`` for the
survival tests (``tests/metrics/test_survival.py``).

lifelines pins pandas < 3 while the product runs on pandas 3, so it is not a test dependency;
run this in a throwaway virtualenv to regenerate the file::

    python -m venv /tmp/km && /tmp/km/bin/pip install lifelines==0.30.3
    /tmp/km/bin/python tests/metrics/reference/make_km_reference.py

Each case: durations, observed flags, and for q in QS lifelines'
``KaplanMeierFitter().fit(d, e).percentile(1 - q)`` (inf when not reached -> null) and its
survival function at each distinct event time.
"""

import json
import math
from pathlib import Path

import lifelines
import numpy as np
from lifelines import KaplanMeierFitter

QS = (0.5, 0.9, 0.95)


def case(durations: list[float], observed: list[bool]) -> dict:
    km = KaplanMeierFitter().fit(durations, event_observed=observed)
    quantiles = {}
    for q in QS:
        value = float(km.percentile(round(1 - q, 12)))  # 0.1, not 0.09999999999999998
        quantiles[str(q)] = None if math.isinf(value) else value
    curve = km.survival_function_.iloc[:, 0]
    events = sorted({d for d, e in zip(durations, observed, strict=True) if e})
    return {
        "durations": durations,
        "observed": observed,
        "quantiles": quantiles,
        "survival_at_events": [[t, float(curve.loc[t])] for t in events],
    }


def main() -> None:
    rng = np.random.default_rng(20261204)
    cases = [
        case([1.0, 2.0, 3.0, 4.0], [True, True, True, True]),
        case([5.0, 5.0, 5.0, 8.0, 8.0, 12.0], [True, False, True, True, False, False]),
        case([2.0, 3.0, 3.0, 3.0, 10.0], [False, True, True, False, True]),
    ]
    for size in (1, 2, 7, 20, 60, 200, 1000):
        for censor_share in (0.0, 0.3, 0.8):
            # Minutes on a coarse grid so ties (events and censorings at one time) happen.
            durations = np.round(rng.exponential(120.0, size) / 5) * 5
            observed = rng.random(size) >= censor_share
            cases.append(case(durations.tolist(), observed.tolist()))
    out = {"lifelines": lifelines.__version__, "qs": list(QS), "cases": cases}
    path = Path(__file__).with_name("km_lifelines.json")
    path.write_text(json.dumps(out, indent=0) + "\n")
    print(f"{len(cases)} cases -> {path}")


if __name__ == "__main__":
    main()
