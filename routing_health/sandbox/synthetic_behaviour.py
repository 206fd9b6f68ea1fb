"""How the synthetic org's people behave: a real org's noise (``plain``) or a healthy baseline
(``demo``, so that the demo's three injected problems are what stands out; spec section 9).

Both profiles are read by ``synthetic_timeline``, which draws the same random numbers for either:
only the probabilities and time scales differ, so a ``plain`` org is identical whatever the
``demo`` profile says.

The ``demo`` profile is calibrated against the dashboard's targets on the wall clock (the
Segments page's default view): routing places a lead within seconds, the regional queues are
worked round the clock by a follow-the-sun desk, reps accept and touch nearly every lead within
their tier's SLA, failures and rejections are rare. See README.md, "The demo's story".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MINUTE = 60
HOUR = 3_600


@dataclass(frozen=True)
class Behaviour:
    """Probabilities and medians (seconds) of the lead lifecycles; per-tier arrays are ordered
    hot, warm, standard."""

    path_share: tuple[float, ...]  # created rep, created queue, via queue, direct, fallback, never
    slow_route_share: float  # the router takes minutes instead of seconds
    pickup_median: np.ndarray  # a queue's lead to a rep
    pickup_sigma: float
    accept_median: np.ndarray
    touch_median: np.ndarray
    touch_sigma: float
    office_hours_share: np.ndarray  # of people who wait for their office to open
    forgotten_standard_share: float  # standard leads nobody picks from a queue
    standard_repick_share: float  # bounced standard leads picked again from a queue
    accept_share: float
    late_accept_share: float  # accepted a day or more after assignment
    reject_share: float
    touched_share: float
    incident_triage_share: float  # incident leads someone moves out of the fallback queue
    fallback_triage_share: float  # other failed leads someone moves out of the fallback queue
    bounce_share: float
    failures_spare_hot: bool  # baseline failures never hit the hot tier (any would page)


PLAIN = Behaviour(
    path_share=(0.05, 0.04, 0.40, 0.505, 0.003, 0.002),
    slow_route_share=0.03,
    pickup_median=np.array([8 * MINUTE, 45 * MINUTE, 3 * HOUR]),
    pickup_sigma=1.0,
    accept_median=np.array([15 * MINUTE, 90 * MINUTE, 5 * HOUR]),
    touch_median=np.array([10 * MINUTE, 75 * MINUTE, 4 * HOUR]),
    touch_sigma=1.1,
    office_hours_share=np.array([0.35, 0.85, 0.85]),
    forgotten_standard_share=0.01,
    standard_repick_share=0.85,
    accept_share=0.8,
    late_accept_share=0.1,
    reject_share=0.08,
    touched_share=0.75,
    incident_triage_share=0.15,
    fallback_triage_share=0.4,
    bounce_share=0.07,
    failures_spare_hot=False,
)

DEMO = Behaviour(
    path_share=(0.05, 0.005, 0.015, 0.9297, 0.0002, 0.0001),
    slow_route_share=0.0,
    pickup_median=np.array([1 * MINUTE, 8 * MINUTE, 30 * MINUTE]),
    pickup_sigma=0.6,
    accept_median=np.array([5 * MINUTE, 30 * MINUTE, 2 * HOUR]),
    touch_median=np.array([2 * MINUTE, 20 * MINUTE, 2 * HOUR]),
    touch_sigma=0.5,
    office_hours_share=np.array([0.0, 0.0, 0.0]),
    forgotten_standard_share=0.0,
    standard_repick_share=1.0,
    accept_share=0.97,
    late_accept_share=0.01,
    reject_share=0.006,
    touched_share=0.998,
    incident_triage_share=0.0,
    fallback_triage_share=1.0,
    bounce_share=0.04,
    failures_spare_hot=True,
)
