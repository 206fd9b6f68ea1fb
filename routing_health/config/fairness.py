"""``[fairness]``: lead distribution pools, rep weights and the out-of-office field (issue 17,
"Fairness and capacity"; ``routing_health.metrics.fairness`` computes from it).

```toml
[fairness]
out_of_office_field = "Out_of_Office__c"  # optional User checkbox; unset: IsActive only
min_leads = 20        # pool leads a week needs before an imbalance index is judged
max_ratio = 2.0       # max/min share-per-weight ratio at or above this is imbalanced
max_gini = 0.3        # Gini of the weight-normalised counts at or above this is imbalanced
max_p_value = 0.05    # ... judged only when so uneven a split is less likely than this by chance

[fairness.weights]    # rep User Id -> weight (capacity); every other rep weighs 1
"005000000000001AAA" = 2.0

[[fairness.pools]]    # optional; without any, each region's reps form a pool
name = "AMER enterprise"
reps = ["005000000000001AAA", "005000000000002AAA"]
region = "AMER"       # optional: only the leads of this region count
```
"""

from __future__ import annotations

import re
from types import MappingProxyType

from routing_health.config.model import FairnessConfig, FairnessPool
from routing_health.config.reader import Table, check_number
from routing_health.lib.sfid import USER_PREFIX, id_problem, to_18

FAIRNESS_KEYS = ("out_of_office_field", "min_leads", "max_ratio", "max_gini", "max_p_value",
                 "weights", "pools")
POOL_KEYS = ("name", "reps", "region")
MSG_NOT_A_USER = "{value!r} is not a User Id (005...)"
MSG_REPEATED_REP = "{value!r} is listed twice"
MSG_REPEATED_POOL = "pool name {value!r} is used twice"
MSG_NO_REPS = "a pool needs at least one rep"
MSG_BAD_GINI = "a Gini index between 0 and 1 (exclusive), got {value:g}"
MSG_BAD_P = "a probability above 0 and at most 1 (1 turns the test off), got {value:g}"
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MSG_BAD_FIELD = "{value!r} is not a Salesforce field API name (e.g. 'Out_of_Office__c')"


def _user_id(table: Table, path: tuple, value: object) -> str | None:
    problem = id_problem(value)
    if problem is not None:
        table.problems.add(path, problem)
        return None
    assert isinstance(value, str)
    if value[:3] != USER_PREFIX:
        table.problems.add(path, MSG_NOT_A_USER.format(value=value))
        return None
    return to_18(value)


def parse_fairness(table: Table) -> FairnessConfig:
    defaults = FairnessConfig()
    field = table.string("out_of_office_field")
    if field is not None and not _FIELD_NAME.fullmatch(field):
        table.problems.add((*table.path, "out_of_office_field"), MSG_BAD_FIELD.format(value=field))
        field = None
    min_leads = table.integer("min_leads", minimum=1)
    max_ratio = table.number("max_ratio", defaults.max_ratio, minimum=1, exclusive=True)
    max_gini = table.number("max_gini", defaults.max_gini, minimum=0, exclusive=True)
    if max_gini is not None and max_gini >= 1:
        table.problems.add((*table.path, "max_gini"), MSG_BAD_GINI.format(value=max_gini))
        max_gini = defaults.max_gini
    max_p = table.number("max_p_value", defaults.max_p_value, minimum=0, exclusive=True)
    if max_p is not None and max_p > 1:
        table.problems.add((*table.path, "max_p_value"), MSG_BAD_P.format(value=max_p))
        max_p = defaults.max_p_value
    weights_table = table.table("weights")
    weights: dict[str, float] = {}
    for key, value in weights_table.items():
        path = (*weights_table.path, key)
        rep = _user_id(weights_table, path, key)
        weight = check_number(weights_table.problems, path, value, 0, True)
        if rep is not None and weight is not None:
            weights[rep] = weight
    pools: list[FairnessPool] = []
    for index, raw in enumerate(table.array("pools")):
        path = (*table.path, "pools", index)
        if not isinstance(raw, dict):
            table.problems.wrong_type(path, "a table", raw)
            continue
        pool = Table(table.problems, raw, path, POOL_KEYS)
        name = pool.string("name", required=True)
        region = pool.string("region")
        reps: list[str] = []
        for rep_index, value in enumerate(pool.array("reps")):
            rep_path = (*path, "reps", rep_index)
            rep = _user_id(pool, rep_path, value)
            if rep is None:
                continue
            if rep in reps:
                pool.problems.add(rep_path, MSG_REPEATED_REP.format(value=value))
                continue
            reps.append(rep)
        if not reps:
            pool.problems.add((*path, "reps"), MSG_NO_REPS)
        if name is not None and any(p.name == name for p in pools):
            pool.problems.add((*path, "name"), MSG_REPEATED_POOL.format(value=name))
            name = None
        pool.finish()
        if name is not None and reps:
            pools.append(FairnessPool(name=name, reps=tuple(reps), region=region))
    table.finish()
    return FairnessConfig(
        out_of_office_field=field,
        min_leads=min_leads if min_leads is not None else defaults.min_leads,
        max_ratio=float(max_ratio if max_ratio is not None else defaults.max_ratio),
        max_gini=float(max_gini if max_gini is not None else defaults.max_gini),
        max_p_value=float(max_p if max_p is not None else defaults.max_p_value),
        weights=MappingProxyType(weights),
        pools=tuple(pools),
    )
