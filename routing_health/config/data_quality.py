"""``[data_quality]``: the routing-critical Lead fields whose missing or invalid values are
measured per lead source (issue 17, item 4; ``routing_health.metrics.inputs`` computes them,
``routing_health.alerts.input_quality`` raises ``input_missing``).

```toml
[data_quality]
fields = ["Country", "State"]   # Lead API names
source_field = "LeadSource"     # groups the leads (default LeadSource)
window_hours = 24               # the share now: leads created in the last 24 h ...
baseline_days = 14              # ... against the 14 days before that window
min_leads = 10                  # leads of the source needed in the window
min_increase = 0.3              # the share up by at least 30 points ...
min_ratio = 3.0                 # ... and at least 3 x the baseline share
[data_quality.rules.Country]    # optional validity rules of one listed field
allowed = ["US", "DE", "FR"]    # the value must be one of these (exact, after stripping)
pattern = "[A-Z]{2}"            # and match this regular expression in full
```
"""

from __future__ import annotations

import re

from routing_health.config.model import DataQuality, FieldRule
from routing_health.config.reader import Table

DATA_QUALITY_KEYS = (
    "fields", "source_field", "window_hours", "baseline_days", "min_leads", "min_increase",
    "min_ratio", "rules",
)
RULE_KEYS = ("allowed", "pattern")
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
MSG_BAD_FIELD = "{value!r} is not a Lead field API name (e.g. 'Country' or 'Territory__c')"
MSG_REPEATED_FIELD = "{value!r} is listed twice"
MSG_RULE_NOT_LISTED = "rules for {value!r}, which is not in data_quality.fields"
MSG_BAD_PATTERN = "not a regular expression: {error}"
MSG_EMPTY_ALLOWED = "must list at least one value"
MSG_SHARE = "a share between 0 and 1 (0.3 = 30 points), got {value:g}"


def parse_data_quality(table: Table) -> DataQuality:
    defaults = DataQuality()
    names: list[str] = []
    for index, name in enumerate(table.string_list("fields")):
        path = (*table.path, "fields", index)
        if not _API_NAME.match(name):
            table.problems.add(path, MSG_BAD_FIELD.format(value=name))
        elif name.lower() in {n.lower() for n in names}:
            table.problems.add(path, MSG_REPEATED_FIELD.format(value=name))
        else:
            names.append(name)
    source = table.string("source_field", defaults.source_field) or defaults.source_field
    if not _API_NAME.match(source):
        table.problems.add((*table.path, "source_field"), MSG_BAD_FIELD.format(value=source))
        source = defaults.source_field
    rules = _rules(table.table("rules"), names)
    window = table.number("window_hours", defaults.window_hours, minimum=0, exclusive=True)
    baseline = table.integer("baseline_days", minimum=1)
    min_leads = table.integer("min_leads", minimum=1)
    increase = table.number("min_increase", defaults.min_increase, minimum=0, exclusive=True)
    if increase is not None and increase > 1:
        table.problems.add((*table.path, "min_increase"), MSG_SHARE.format(value=increase))
        increase = defaults.min_increase
    ratio = table.number("min_ratio", defaults.min_ratio, minimum=1)
    table.finish()
    return DataQuality(
        fields=tuple(rules.get(name, FieldRule(name)) for name in names),
        source_field=source,
        window_hours=float(window if window is not None else defaults.window_hours),
        baseline_days=baseline if baseline is not None else defaults.baseline_days,
        min_leads=min_leads if min_leads is not None else defaults.min_leads,
        min_increase=float(increase if increase is not None else defaults.min_increase),
        min_ratio=float(ratio if ratio is not None else defaults.min_ratio),
    )


def _rules(table: Table, names: list[str]) -> dict[str, FieldRule]:
    rules: dict[str, FieldRule] = {}
    for name, value in table.items():
        path = (*table.path, name)
        if name not in names:
            table.problems.add(path, MSG_RULE_NOT_LISTED.format(value=name))
            continue
        if not isinstance(value, dict):
            table.problems.wrong_type(path, "a table", value)
            continue
        rule = table.table(name, RULE_KEYS)
        allowed: frozenset[str] | None = None
        if rule.has("allowed"):
            values = rule.string_list("allowed")
            if values:
                allowed = frozenset(v.strip() for v in values)
            elif isinstance(rule.raw("allowed"), list):
                table.problems.add((*path, "allowed"), MSG_EMPTY_ALLOWED)
        pattern = rule.string("pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                table.problems.add((*path, "pattern"), MSG_BAD_PATTERN.format(error=exc))
                pattern = None
        rule.finish()
        rules[name] = FieldRule(name, allowed, pattern)
    return rules
