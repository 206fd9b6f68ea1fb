"""``[change_safety]``: the routing flows watched for a regression after an activation (spec
section 10, "Flow regression"; ``routing_health.alerts.flow_regression`` uses it).

```toml
[change_safety]
flows = ["Lead_Router"]   # flow API names
min_leads = 10            # leads needed since the activation and in the baseline
window_hours = 24         # since the activation, at most the last 24 h
success_drop = 0.05       # assignment success down by at least 5 points ...
min_failures = 3          # ... or a failure reason with at least 3 new failures ...
tta_ratio = 2.0           # ... or TTA p95 over the tier SLA and at least 2 x the baseline's

[change_safety.kill_switch]   # the checkbox the routing flow reads first (optional)
object = "Routing_Switch__mdt"            # custom metadata, a custom setting or any object
field = "Kill_Switch__c"                  # a checkbox
where = "DeveloperName = 'Lead_Routing'"  # SOQL condition picking exactly one record
limit_hours = 2                           # alert when ON for longer than this
triage_owners = ["00G..."]                # default: every [owners] fallback owner
```
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from routing_health.config.model import ChangeSafety, KillSwitch
from routing_health.config.reader import Table

CHANGE_SAFETY_KEYS = (
    "flows", "min_leads", "window_hours", "success_drop", "min_failures", "tta_ratio",
    "kill_switch",
)
KILL_SWITCH_KEYS = ("object", "field", "where", "limit_hours", "triage_owners")
MSG_BAD_API_NAME = "{value!r} is not a Salesforce API name (e.g. {example!r})"
MSG_BAD_WHERE = ("must be one SOQL condition such as \"DeveloperName = 'Lead_Routing'\" "
                 "(no ';', no line breaks, no LIMIT or ORDER BY)")
_FORBIDDEN_IN_WHERE = re.compile(r"[;\n\r]|\b(LIMIT|ORDER\s+BY|GROUP\s+BY)\b", re.IGNORECASE)
OwnerIds = Callable[[Table, str], Mapping[str, int]]
MAX_WINDOW_HOURS = 168.0  # the baseline is the same hours whole weeks earlier: it must precede
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
MSG_BAD_FLOW = "{value!r} is not a flow API name (e.g. 'Lead_Router')"
MSG_REPEATED_FLOW = "{value!r} is listed twice"


def parse_kill_switch(table: Table, owner_ids: OwnerIds) -> KillSwitch | None:
    """``[change_safety.kill_switch]``; ``None`` when the table is absent."""
    sobject = table.string("object", required=True)
    field_name = table.string("field", required=True)
    for key, value, example in (("object", sobject, "Routing_Switch__mdt"),
                                ("field", field_name, "Kill_Switch__c")):
        if value is not None and not _API_NAME.match(value):
            table.problems.add((*table.path, key),
                               MSG_BAD_API_NAME.format(value=value, example=example))
    where = table.string("where", "") or ""
    if where and _FORBIDDEN_IN_WHERE.search(where):
        table.problems.add((*table.path, "where"), MSG_BAD_WHERE)
    limit = table.number("limit_hours", 2.0, minimum=0, exclusive=True)
    triage = frozenset(owner_ids(table, "triage_owners"))
    table.finish()
    if sobject is None or field_name is None:
        return None
    return KillSwitch(sobject=sobject, field=field_name, where=where.strip(),
                      limit_hours=float(limit if limit is not None else 2.0),
                      triage_owners=triage)


def parse_change_safety(table: Table, owner_ids: OwnerIds) -> ChangeSafety:
    defaults = ChangeSafety()
    flows: list[str] = []
    for index, name in enumerate(table.string_list("flows")):
        path = (*table.path, "flows", index)
        if not _API_NAME.match(name):
            table.problems.add(path, MSG_BAD_FLOW.format(value=name))
        elif name in flows:
            table.problems.add(path, MSG_REPEATED_FLOW.format(value=name))
        else:
            flows.append(name)
    min_leads = table.integer("min_leads", minimum=1)
    min_failures = table.integer("min_failures", minimum=1)
    window = table.number("window_hours", defaults.window_hours, minimum=0, exclusive=True)
    if window is not None and window > MAX_WINDOW_HOURS:
        table.problems.add((*table.path, "window_hours"),
                           f"must be at most {MAX_WINDOW_HOURS:g} (one week), got {window:g}")
        window = defaults.window_hours
    drop = table.number("success_drop", defaults.success_drop, minimum=0, exclusive=True)
    if drop is not None and drop > 1:
        table.problems.add((*table.path, "success_drop"),
                           f"a share between 0 and 1 (0.05 = 5 points), got {drop:g}")
        drop = defaults.success_drop
    ratio = table.number("tta_ratio", defaults.tta_ratio, minimum=1)
    kill_switch = (parse_kill_switch(table.table("kill_switch", KILL_SWITCH_KEYS), owner_ids)
                   if table.has("kill_switch") else None)
    table.finish()
    return ChangeSafety(
        flows=tuple(flows),
        min_leads=min_leads if min_leads is not None else defaults.min_leads,
        window_hours=float(window if window is not None else defaults.window_hours),
        success_drop=float(drop if drop is not None else defaults.success_drop),
        min_failures=min_failures if min_failures is not None else defaults.min_failures,
        tta_ratio=float(ratio if ratio is not None else defaults.tta_ratio),
        kill_switch=kill_switch,
    )
