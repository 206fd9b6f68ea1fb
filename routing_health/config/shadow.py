"""``[shadow]``: the Lead fields of a shadow routing candidate (issue 17, "Shadow comparison";
``routing_health.metrics.shadow`` computes what it means).

```toml
[shadow]
candidate_field = "AI_Recommended_Owner__c"   # the owner the candidate (a model, a rule set) picks
explanation_field = "AI_Reason__c"            # optional: why, shown on the lead timeline
priority_field = "AI_Priority__c"             # optional: pulled and shown, not scored
conversion_days = 30                          # "converted within N days" outcome
bias_threshold = 0.10                         # flag a share moved by more than 10 points
```

Without the table there is no shadow comparison anywhere (no columns, no page content).
"""

from __future__ import annotations

import re

from routing_health.config.model import Shadow
from routing_health.config.reader import Table

SHADOW_KEYS = (
    "candidate_field", "explanation_field", "priority_field", "conversion_days", "bias_threshold",
)
MAX_CONVERSION_DAYS = 366
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MSG_BAD_FIELD = "{value!r} is not a Salesforce field API name (e.g. 'AI_Owner__c')"
MSG_SAME_FIELD = "{value!r} is also shadow.{other} (each field has one role)"
MSG_CONVERSION_DAYS = "must be a whole number of days from 1 to {limit}, got {value!r}"
MSG_THRESHOLD = "a share between 0 and 1 (0.10 = 10 points), got {value!r}"


def parse_shadow(table: Table, *, present: bool) -> Shadow | None:
    """The ``[shadow]`` table; ``None`` when it is absent (``present`` false)."""
    if not present:
        table.finish()
        return None
    defaults = Shadow(candidate_field="")
    candidate = _field(table, "candidate_field", required=True)
    explanation = _field(table, "explanation_field")
    priority = _field(table, "priority_field")
    seen: dict[str, str] = {}
    for key, value in (("candidate_field", candidate), ("explanation_field", explanation),
                       ("priority_field", priority)):
        if value is None:
            continue
        if value.lower() in seen:
            table.problems.add((*table.path, key),
                               MSG_SAME_FIELD.format(value=value, other=seen[value.lower()]))
        else:
            seen[value.lower()] = key
    days = defaults.conversion_days
    raw_days = table.raw("conversion_days")
    if raw_days is not None:
        if isinstance(raw_days, bool) or not isinstance(raw_days, int) or not (
            1 <= raw_days <= MAX_CONVERSION_DAYS
        ):
            table.problems.add((*table.path, "conversion_days"),
                               MSG_CONVERSION_DAYS.format(limit=MAX_CONVERSION_DAYS,
                                                          value=raw_days))
        else:
            days = raw_days
    threshold = table.number("bias_threshold", defaults.bias_threshold, minimum=0,
                             exclusive=True)
    if threshold is not None and threshold >= 1:
        table.problems.add((*table.path, "bias_threshold"), MSG_THRESHOLD.format(value=threshold))
        threshold = defaults.bias_threshold
    table.finish()
    return Shadow(
        candidate_field=candidate or "",
        explanation_field=explanation,
        priority_field=priority,
        conversion_days=days,
        bias_threshold=float(threshold if threshold is not None else defaults.bias_threshold),
    )


def _field(table: Table, key: str, *, required: bool = False) -> str | None:
    value = table.string(key, required=required)
    if value is not None and not _FIELD_NAME.fullmatch(value):
        table.problems.add((*table.path, key), MSG_BAD_FIELD.format(value=value))
        return None
    return value
