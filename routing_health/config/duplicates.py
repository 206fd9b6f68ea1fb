"""``[duplicates]``: lead-to-account matching and duplicate outreach (issue 17 item 3;
``routing_health.duplicates`` uses it).

```toml
[duplicates]
window_days = 30                       # leads of one company within 30 days of each other
account_domain_field = "Domain__c"     # an Account field holding a bare domain (optional)
public_domains = ["gmail.com", ...]    # replaces the default list of public mail domains
extra_public_domains = ["example.org"] # added to it
```
"""

from __future__ import annotations

import re

from routing_health.config.model import DEFAULT_PUBLIC_DOMAINS, DuplicatesConfig
from routing_health.config.reader import Table

DUPLICATES_KEYS = ("window_days", "account_domain_field", "public_domains", "extra_public_domains")
MAX_WINDOW_DAYS = 365.0
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
MSG_BAD_FIELD = "{value!r} is not a Salesforce field API name (e.g. 'Domain__c')"
MSG_BAD_DOMAIN = "{value!r} is not a domain such as 'gmail.com'"


def parse_duplicates(table: Table) -> DuplicatesConfig:
    defaults = DuplicatesConfig()
    window = table.number("window_days", defaults.window_days, minimum=0, exclusive=True)
    if window is not None and window > MAX_WINDOW_DAYS:
        table.problems.add((*table.path, "window_days"),
                           f"must be at most {MAX_WINDOW_DAYS:g} days, got {window:g}")
        window = defaults.window_days
    field = table.string("account_domain_field")
    if field is not None and not _FIELD_NAME.match(field):
        table.problems.add((*table.path, "account_domain_field"), MSG_BAD_FIELD.format(value=field))
        field = None
    base = _domains(table, "public_domains") if table.has("public_domains") else None
    extra = _domains(table, "extra_public_domains")
    table.finish()
    domains = DEFAULT_PUBLIC_DOMAINS if base is None else base
    return DuplicatesConfig(
        window_days=float(window if window is not None else defaults.window_days),
        account_domain_field=field,
        public_domains=frozenset(domains) | frozenset(extra),
    )


def _domains(table: Table, key: str) -> tuple[str, ...]:
    found: list[str] = []
    for index, value in enumerate(table.string_list(key)):
        domain = value.strip().lower()
        if not _DOMAIN.match(domain):
            table.problems.add((*table.path, key, index), MSG_BAD_DOMAIN.format(value=value))
        else:
            found.append(domain)
    return tuple(found)
