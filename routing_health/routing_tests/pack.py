"""A routing test pack (TOML) → :class:`Pack`; pure, no Django, no Salesforce.

The format is documented in docs/change-safety.md. Every problem names the key it is about;
an unknown key or a wrong type is an error, as for the routing configuration file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUTCOMES = ("succeeded", "triage", "failed")
DEFAULT_MARKER_FIELD = "Routing_Test_Run__c"
N_PLACEHOLDER = "{n}"  # in a text field value: the lead's number within its case, 1..count
MAX_COUNT = 10_000

_PACK_KEYS = {"name", "marker_field", "holding", "fallback"}
_CASE_KEYS = {"name", "description", "fields", "owner", "outcome", "failure_reason", "count",
              "check_sla"}


class PackError(ValueError):
    """The pack file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Case:
    """One case: ``count`` leads with ``fields``, and what should happen to each.

    Exactly one of ``owner`` (a User or Queue, by Id or name) and ``outcome`` (``succeeded``:
    routed to a non-fallback owner; ``triage``: routed to a fallback owner; ``failed``: the
    spec's failed outcome, optionally with its ``failure_reason``). ``check_sla``: the case
    also fails when its time-to-route p95 is over the tier's assignment SLA."""

    name: str
    fields: dict[str, Any]
    owner: str | None = None
    outcome: str | None = None
    failure_reason: str | None = None
    description: str = ""
    count: int = 1
    check_sla: bool = False

    @property
    def expected(self) -> str:
        """The expectation as the table shows it."""
        if self.owner is not None:
            return f"owner {self.owner}"
        if self.failure_reason:
            return f"{self.outcome}: {self.failure_reason}"
        return str(self.outcome)

    def lead_fields(self, number: int) -> dict[str, Any]:
        """The field values of the case's lead number ``number`` (1-based)."""
        return {
            k: v.replace(N_PLACEHOLDER, str(number)) if isinstance(v, str) else v
            for k, v in self.fields.items()
        }


@dataclass(frozen=True)
class Pack:
    name: str
    cases: tuple[Case, ...]
    marker_field: str = DEFAULT_MARKER_FIELD
    holding: tuple[str, ...] = ()  # owners (Id or name); empty: the routing config's
    fallback: tuple[str, ...] = ()
    source: str = "<string>"
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def lead_count(self) -> int:
        return sum(case.count for case in self.cases)


def load_pack(path: Path) -> Pack:
    """Read and validate the pack at ``path``; raises :class:`PackError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PackError(f"cannot read the routing test pack {path}: {exc.strerror}") from None
    return parse_pack(text, source=str(path))


def parse_pack(text: str, *, source: str = "<string>") -> Pack:
    """Validate a pack's TOML text; raises :class:`PackError` naming the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{source}: not valid TOML: {exc}") from None

    def fail(key: str, problem: str) -> PackError:
        return PackError(f"{source}: {key}: {problem}")

    unknown = set(data) - {"pack", "defaults", "case"}
    if unknown:
        raise fail(sorted(unknown)[0], "unknown key")
    head = data.get("pack", {})
    if not isinstance(head, dict):
        raise fail("pack", "must be a table")
    if set(head) - _PACK_KEYS:
        raise fail(f"pack.{sorted(set(head) - _PACK_KEYS)[0]}", "unknown key")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise fail("defaults", "must be a table of Lead field values")
    raw_cases = data.get("case", [])
    if not isinstance(raw_cases, list) or not raw_cases:
        raise fail("case", "the pack needs at least one [[case]]")
    cases: list[Case] = []
    for i, raw in enumerate(raw_cases, start=1):
        cases.append(_case(raw, f"case[{i}]", defaults, fail))
    names = [c.name for c in cases]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise fail("case.name", f"{duplicate!r} is used twice")
    marker = head.get("marker_field", DEFAULT_MARKER_FIELD)
    if not isinstance(marker, str) or not marker.replace("_", "").isalnum():
        raise fail("pack.marker_field", "must be a Lead field API name")
    lists = {}
    for key in ("holding", "fallback"):
        value = head.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"pack.{key}", "must be a list of owner Ids or names")
        lists[key] = tuple(value)
    name = head.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise fail("pack.name", "must be text")
    return Pack(name=name, cases=tuple(cases), marker_field=marker, source=source,
                defaults=dict(defaults), **lists)


def _case(raw: Any, where: str, defaults: dict[str, Any], fail: Any) -> Case:
    if not isinstance(raw, dict):
        raise fail(where, "must be a table")
    if set(raw) - _CASE_KEYS:
        raise fail(f"{where}.{sorted(set(raw) - _CASE_KEYS)[0]}", "unknown key")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or ":" in name:
        raise fail(f"{where}.name", "required: text without ':'")
    where = f"case {name!r}"
    fields = raw.get("fields", {})
    if not isinstance(fields, dict):
        raise fail(f"{where}.fields", "must be a table of Lead field values")
    owner, outcome = raw.get("owner"), raw.get("outcome")
    if (owner is None) == (outcome is None):
        raise fail(where, "give exactly one of owner and outcome")
    if owner is not None and (not isinstance(owner, str) or not owner.strip()):
        raise fail(f"{where}.owner", "must be a User or Queue Id or name")
    if outcome is not None and outcome not in OUTCOMES:
        raise fail(f"{where}.outcome", f"must be one of {', '.join(OUTCOMES)}")
    reason = raw.get("failure_reason")
    if reason is not None and (outcome != "failed" or not isinstance(reason, str)):
        raise fail(f"{where}.failure_reason", 'only as text with outcome = "failed"')
    count = raw.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
        raise fail(f"{where}.count", f"must be a whole number from 1 to {MAX_COUNT}")
    check_sla = raw.get("check_sla", False)
    if not isinstance(check_sla, bool):
        raise fail(f"{where}.check_sla", "must be true or false")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise fail(f"{where}.description", "must be text")
    return Case(
        name=name, fields={**defaults, **fields}, owner=owner, outcome=outcome,
        failure_reason=reason, description=description, count=count, check_sla=check_sla,
    )
