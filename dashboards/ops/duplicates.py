"""The Duplicates page (issue 17 item 3): leads routed against an Account's owner, and companies
worked by several reps within ``[duplicates] window_days``; a group drills down to its leads.

Computed from the stored Salesforce data as the export computes it
(``routing_health.facts.duplicates.matched_facts``, as of the last ``compute_metrics``), so its
numbers are ``export_metrics``'s for the same range and segment; cached per view until the next
``compute_metrics`` (``dashboards.rollup_cache``). A company group is its e-mail
or website domain, else its normalised name; its leads include partners created up to
``window_days`` before the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from dashboards.csv_export import csv_response
from dashboards.ops.queries import ops_settings
from dashboards.ops.views import _base_context, _wants_csv
from dashboards.rendering import page_state, render_page
from dashboards.rollup_cache import cached
from routing_health.facts.calendars import resolved_params
from routing_health.facts.duplicates import matched_facts
from routing_health.facts.frames import owner_names
from routing_health.metrics import cohort, total_metrics
from routing_health.metrics.catalog import DUPLICATE_METRICS
from routing_health.models import Account, Lead

PAGE = "duplicates"
GROUPS_SHOWN = 100
CONFLICTS_SHOWN = 100
SOURCE_FIELD = "LeadSource"


@dataclass(frozen=True)
class LeadLine:
    lead_id: str
    name: str
    company: str
    email: str
    website: str
    rep: str
    created_at: datetime
    account: str
    account_owner: str
    conflict: bool
    outreach: bool
    in_range: bool

    @property
    def url(self) -> str:
        return reverse("lead-timeline", args=[self.lead_id])


def _group_key(facts: pd.DataFrame) -> pd.Series:
    domain = facts["lead_domain"].astype(object)
    name = facts["company_key"].astype(object)
    return domain.where(domain.notna(), "name: " + name.where(name.notna(), ""))


def _narrowed(facts: pd.DataFrame, filters: Any) -> pd.DataFrame:
    keep = pd.Series(True, index=facts.index)
    for field in ("region", "tier"):
        value = getattr(filters, field)
        if value:
            keep &= facts[field].astype(object) == value
    if filters.source and SOURCE_FIELD in facts.columns:
        keep &= facts[SOURCE_FIELD].astype(object) == filters.source
    return facts[keep.to_numpy()]


def _lines(rows: pd.DataFrame, in_range: set[str], reps: pd.Series) -> list[LeadLine]:
    ids = rows["lead_id"].astype(str).tolist()
    leads = Lead.objects.in_bulk(ids)
    account_ids = [a for a in rows["account_id"].tolist() if isinstance(a, str)]
    accounts = Account.objects.in_bulk(account_ids)
    lines = []
    for row in rows.itertuples(index=False):
        lead = leads.get(row.lead_id)
        account = accounts.get(row.account_id) if isinstance(row.account_id, str) else None
        rep = row.first_rep if isinstance(row.first_rep, str) else ""
        owner = row.account_owner if isinstance(row.account_owner, str) else ""
        lines.append(LeadLine(
            lead_id=row.lead_id, name=lead.name if lead else "",
            company=lead.company if lead else "",
            email=lead.email if lead else "", website=lead.website if lead else "",
            rep=str(reps.get(rep, rep)) if rep else "", created_at=row.created_at.to_pydatetime(),
            account=account.name if account else "", account_owner=str(reps.get(owner, owner)),
            conflict=bool(row.account_conflict), outreach=bool(row.duplicate_outreach),
            in_range=row.lead_id in in_range,
        ))
    return lines


SLIM = ("lead_id", "created_at", "first_rep", "group", "lead_domain", "company_key",
        "account_id", "account_owner", "account_conflict", "duplicate_outreach")


def _slim(facts: pd.DataFrame) -> pd.DataFrame:
    out = facts[list(SLIM)].copy()
    out["first_rep"] = out["first_rep"].astype(object)
    return out.reset_index(drop=True)


def view_data(config: Any, filters: Any, as_of: datetime) -> dict[str, Any]:
    """What the page shows for ``filters`` as of ``as_of``: the family's totals, the companies
    with duplicate outreach in the range, the leads routed against the account owner, the
    candidates related to a flagged company (for the drill-down) and the Ids in the range."""
    params = resolved_params(config)
    extra = [SOURCE_FIELD] if filters.source and SOURCE_FIELD in config.lead_fields.extra else []
    universe = matched_facts(config, params, filters.start, filters.end, as_of, extra)
    universe = universe.assign(group=_group_key(universe).to_numpy())
    members = _narrowed(cohort(universe, filters.start, filters.end), filters)
    flagged = members[members["duplicate_outreach"].to_numpy(dtype=bool)]
    summary = (
        flagged.groupby("group", sort=False)
        .agg(leads=("lead_id", "size"), reps=("first_rep", "nunique"),
             first=("created_at", "min"), last=("created_at", "max"))
        .sort_values(["leads", "last"], ascending=[False, False])
    )
    everywhere = universe[universe["duplicate_outreach"].to_numpy(dtype=bool)]
    domain = universe["lead_domain"].astype(object)
    name = universe["company_key"].astype(object)
    related = universe["duplicate_candidate"].to_numpy(dtype=bool) & (
        domain.isin(set(everywhere["lead_domain"].dropna())).to_numpy()
        | name.isin(set(everywhere["company_key"].dropna())).to_numpy())
    conflicts = members[members["account_conflict"].to_numpy(dtype=bool)].sort_values(
        ["created_at", "lead_id"], ascending=False)
    return {
        "totals": total_metrics(members, params),
        "groups": [
            {"key": key, "leads": int(r.leads), "reps": int(r.reps),
             "first": r.first.to_pydatetime(), "last": r.last.to_pydatetime()}
            for key, r in summary.iterrows()
        ],
        "conflicts": _slim(conflicts),
        "related": _slim(universe[related]),
        "in_range": set(members["lead_id"].astype(str)),
    }


@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    """The page; ``?group=<domain or "name: …">`` lists one company's leads."""
    state = page_state(request)
    filters = state.filters
    settings = ops_settings(state.report)
    context = _base_context(state)
    context.update(settings=settings, metrics_ready=settings.as_of is not None)
    config = state.report.config
    if settings.as_of is None or not context["has_data"] or config is None:
        return render_page(request, "dashboards/duplicates.html", state, page=PAGE,
                           context=context)
    as_of = settings.as_of
    rules = config.duplicates
    part = ("duplicates", rules.window_days, rules.account_domain_field,
            tuple(sorted(rules.public_domains)))
    data = cached(settings.metrics, filters, part, lambda: view_data(config, filters, as_of))
    in_range, reps = data["in_range"], owner_names()
    group = str(request.GET.get("group") or "").strip()[:300]
    if group:
        # The group's leads and, one step further, those sharing their domain or their name
        # (a lead writing from a public domain joins its company by name).
        universe = data["related"]
        seed = (universe["group"] == group).to_numpy()
        domain = universe["lead_domain"].astype(object)
        name = universe["company_key"].astype(object)
        linked = seed | domain.isin(set(domain[seed].dropna())).to_numpy() | name.isin(
            set(name[seed].dropna())).to_numpy()
        rows = universe[linked].sort_values(["created_at", "lead_id"])
        lines = _lines(rows, in_range, reps)
        if _wants_csv(request):
            return _csv(f"duplicates_{len(lines)}_leads.csv", lines)
        context.update(group=group, group_lines=lines, back=reverse(PAGE) + filters.querystring())
        return render_page(request, "dashboards/duplicates.html", state, page=PAGE,
                           context=context)
    conflicts = data["conflicts"]
    if _wants_csv(request):
        return _csv("account_conflicts.csv", _lines(conflicts, in_range, reps))
    groups = [
        {**g, "label": g["key"].removeprefix("name: "), "by_name": g["key"].startswith("name: "),
         "url": reverse(PAGE) + filters.querystring(group=g["key"])}
        for g in data["groups"][:GROUPS_SHOWN]
    ]
    context.update(
        cards=[(m, data["totals"].get(m.name)) for m in DUPLICATE_METRICS], groups=groups,
        group_count=len(data["groups"]), conflict_count=len(conflicts),
        conflict_lines=_lines(conflicts.head(CONFLICTS_SHOWN), in_range, reps),
        window_days=rules.window_days, csv_qs=filters.querystring(format="csv"),
        groups_shown=GROUPS_SHOWN,
    )
    return render_page(request, "dashboards/duplicates.html", state, page=PAGE, context=context)


def _csv(filename: str, lines: list[LeadLine]) -> HttpResponse:
    header = ["lead_id", "name", "company", "email", "website", "rep", "created_at", "account",
              "account_owner", "routed_against_account_owner", "duplicate_outreach"]
    return csv_response(filename, header, [
        [ln.lead_id, ln.name, ln.company, ln.email, ln.website, ln.rep, ln.created_at.isoformat(),
         ln.account, ln.account_owner, ln.conflict, ln.outreach] for ln in lines
    ])
