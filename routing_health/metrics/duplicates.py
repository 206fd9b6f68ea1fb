"""Duplicate outreach and lead-to-account matching (issue 17 item 3; docs/metrics.md).

Per-lead duplicate facts: lead-to-account matches and duplicate outreach (docs/metrics.md).

``duplicate_facts(leads, accounts, settings, as_of)``, ``settings`` being a ``MatchSettings``
(``config.duplicates`` has the same attributes):

- ``leads``: one row per lead of the universe — ``lead_id``, ``created_at``
  (datetime64[ns, UTC]), ``rep`` (the rep the lead was routed to: the engine's ``first_rep``;
  null when never assigned), ``email``, ``website``, ``company``. Leads created after
  ``as_of`` are ignored.
- ``accounts``: ``account_id``, ``owner_id``, ``name``, ``website``, ``domain`` (deleted accounts
  already left out).

Returns, per lead in ``leads`` order, ``DUPLICATE_COLUMNS``:

- ``lead_domain``: the e-mail domain, else the website domain (public ones ignored);
  ``company_key``: the normalised company name;
- ``account_matched``: routed to a rep and matching at least one Account — by domain (the
  Account's Website or configured domain field) or, when no Account shares its domain, by
  normalised name; ``account_id``: the smallest matching Account Id; ``account_owner``: its
  owner; ``account_conflict``: matched, and none of the matching Accounts is owned by the rep
  the lead was routed to (misrouted against the account owner);
- ``duplicate_candidate``: routed to a rep and having a domain or a company key;
  ``duplicate_outreach``: a candidate with another candidate sharing its domain or its company
  key, routed to a different rep, created at most ``window_days`` before or after it.

Vectorised: merges on the keys and, for the window, ``searchsorted`` over leads sorted by
(key, time) — O(n log n), no per-lead loop.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import pandas as pd

from routing_health.metrics.match_keys import company_key, email_domain, website_domain


class MatchSettings(Protocol):
    """What matching reads of ``[duplicates]`` (``config.DuplicatesConfig`` fits)."""

    @property
    def window_days(self) -> float: ...
    @property
    def public_domains(self) -> Collection[str]: ...


@dataclass(frozen=True)
class Settings:
    """A plain ``MatchSettings`` (tests, the bench)."""

    window_days: float = 30.0
    public_domains: Collection[str] = frozenset()


DUPLICATE_COLUMNS: Mapping[str, str] = {
    "lead_domain": "Normalised e-mail domain, else website domain (null: none or public).",
    "company_key": "Normalised company name (null: none).",
    "account_matched": "Routed to a rep and matching an Account (bool).",
    "account_id": "The smallest matching Account Id (null: none).",
    "account_owner": "That Account's owner Id (null: none).",
    "account_conflict": "Matched, and no matching Account is owned by the lead's rep (bool).",
    "duplicate_candidate": "Routed to a rep, with a domain or a company key (bool).",
    "duplicate_outreach": "Another candidate of the same domain or company key, of another "
    "rep, created within window_days (bool).",
}
LEAD_INPUT = ("lead_id", "created_at", "rep", "email", "website", "company")
ACCOUNT_INPUT = ("account_id", "owner_id", "name", "website", "domain")
_SECOND = 1_000_000_000


def lead_keys(leads: pd.DataFrame, settings: MatchSettings) -> pd.DataFrame:
    """``lead_domain`` and ``company_key`` of each lead (index of ``leads``); those of
    ``leads`` when it carries them already (``with_lead_keys``)."""
    if KEY_COLUMNS[0] in leads.columns and KEY_COLUMNS[1] in leads.columns:
        keys = leads[list(KEY_COLUMNS)].astype(object)
        return keys.where(keys.notna(), None)
    public = settings.public_domains
    domain = email_domain(leads["email"], public)
    domain = domain.where(domain.notna(), website_domain(leads["website"], public))
    return pd.DataFrame({"lead_domain": domain.astype(object),
                         "company_key": company_key(leads["company"])}, index=leads.index)


KEY_COLUMNS = ("lead_domain", "company_key")


def with_lead_keys(contacts: pd.DataFrame, settings: MatchSettings) -> pd.DataFrame:
    """``contacts`` (``LEAD_INPUT``'s contact fields) as their ``lead_id`` and ``lead_keys``
    (categoricals: few distinct keys), which is all matching reads of them: the same leads
    are not normalised twice, and the e-mail, website and company texts are not kept."""
    keys = lead_keys(contacts, settings)
    return pd.DataFrame({
        "lead_id": contacts["lead_id"].to_numpy(dtype=object),
        **{column: pd.Categorical(keys[column].to_numpy(dtype=object)) for column in KEY_COLUMNS},
    }, index=contacts.index)


def account_keys(accounts: pd.DataFrame, settings: MatchSettings) -> pd.DataFrame:
    """One row per (account, key): ``account_id``, ``owner_id``, ``kind`` (``domain`` or
    ``name``) and ``key``; an Account gives up to three keys (domain field, website, name)."""
    public = settings.public_domains
    parts = [
        ("domain", website_domain(accounts["domain"], public)),
        ("domain", website_domain(accounts["website"], public)),
        ("name", company_key(accounts["name"])),
    ]
    frames = [
        pd.DataFrame({"account_id": accounts["account_id"].astype(str).to_numpy(),
                      "owner_id": accounts["owner_id"].astype(object).to_numpy(),
                      "kind": kind, "key": key.to_numpy(dtype=object)})
        for kind, key in parts
    ]
    table = pd.concat(frames, ignore_index=True)
    return table[table["key"].notna()].drop_duplicates(ignore_index=True)


def duplicate_facts(
    leads: pd.DataFrame,
    accounts: pd.DataFrame,
    settings: MatchSettings,
    as_of: datetime | pd.Timestamp,
) -> pd.DataFrame:
    """The ``DUPLICATE_COLUMNS`` of each lead (see the module docstring), ``lead_id`` first."""
    now = pd.Timestamp(as_of).tz_convert("UTC")
    created = pd.to_datetime(leads["created_at"], utc=True)
    keys = lead_keys(leads, settings).reset_index(drop=True)
    rep = leads["rep"].astype(object).to_numpy()
    routed = pd.notna(rep) & (rep != "") & (created <= now).to_numpy()
    out = pd.DataFrame({"lead_id": leads["lead_id"].astype(str).to_numpy()})
    out["lead_domain"] = keys["lead_domain"].to_numpy(dtype=object)
    out["company_key"] = keys["company_key"].to_numpy(dtype=object)
    out = pd.concat([out, _account_match(out, rep, routed, accounts, settings)], axis=1)
    has_key = out["lead_domain"].notna().to_numpy() | out["company_key"].notna().to_numpy()
    candidate = routed & has_key
    out["duplicate_candidate"] = candidate
    naive = created.dt.tz_localize(None).astype("datetime64[ns]")
    seconds = naive.to_numpy().view("int64") // _SECOND
    window = round(settings.window_days * 86_400)
    outreach = np.zeros(len(out), dtype=bool)
    for column in ("lead_domain", "company_key"):
        outreach |= _other_rep_within(out[column].to_numpy(dtype=object), rep, seconds,
                                      candidate, window)
    out["duplicate_outreach"] = outreach
    return out[["lead_id", *DUPLICATE_COLUMNS]]


def _account_match(
    out: pd.DataFrame,
    rep: np.ndarray,
    routed: np.ndarray,
    accounts: pd.DataFrame,
    settings: MatchSettings,
) -> pd.DataFrame:
    n = len(out)
    result = pd.DataFrame({
        "account_matched": np.zeros(n, dtype=bool),
        "account_id": pd.Series([None] * n, dtype=object),
        "account_owner": pd.Series([None] * n, dtype=object),
        "account_conflict": np.zeros(n, dtype=bool),
    })
    if not len(accounts) or not routed.any():
        return result
    table = account_keys(accounts, settings)
    lead = pd.DataFrame({"row": np.flatnonzero(routed)})
    lead["rep"] = rep[routed]
    lead["domain"] = out["lead_domain"].to_numpy(dtype=object)[routed]
    lead["name"] = out["company_key"].to_numpy(dtype=object)[routed]
    by_domain = lead.dropna(subset=["domain"]).merge(
        table[table["kind"] == "domain"], left_on="domain", right_on="key")
    # A name match counts only for leads that no Account matched by domain.
    by_name = lead[~lead["row"].isin(by_domain["row"])].dropna(subset=["name"]).merge(
        table[table["kind"] == "name"], left_on="name", right_on="key")
    matches = pd.concat([by_domain, by_name], ignore_index=True)
    if not len(matches):
        return result
    matches["same_owner"] = (matches["owner_id"] == matches["rep"]).to_numpy(dtype=bool)
    matches = matches.sort_values(["row", "account_id"], kind="stable")
    per_lead = matches.groupby("row", sort=True).agg(
        account_id=("account_id", "first"), account_owner=("owner_id", "first"),
        same_owner=("same_owner", "any"))
    rows = per_lead.index.to_numpy()
    result.loc[rows, "account_matched"] = True
    result.loc[rows, "account_id"] = per_lead["account_id"].to_numpy(dtype=object)
    result.loc[rows, "account_owner"] = per_lead["account_owner"].to_numpy(dtype=object)
    result.loc[rows, "account_conflict"] = ~per_lead["same_owner"].to_numpy(dtype=bool)
    return result


def _other_rep_within(
    key: np.ndarray, rep: np.ndarray, seconds: np.ndarray, candidate: np.ndarray, window: int
) -> np.ndarray:
    """Whether each candidate has another candidate of the same ``key`` and a different ``rep``
    created within ``window`` seconds: the leads of its key in the window outnumber those of
    its key *and* rep in the window (both counted by ``searchsorted``)."""
    flagged = np.zeros(len(key), dtype=bool)
    members = candidate & pd.notna(key)
    if members.sum() < 2:
        return flagged
    rows = np.flatnonzero(members)
    key_code, _ = pd.factorize(pd.Series(key[rows], dtype=object))
    pair_code, _ = pd.factorize(pd.MultiIndex.from_arrays(
        [key_code, pd.Series(rep[rows], dtype=object)]))
    t = seconds[rows] - seconds[rows].min()
    span = np.int64(t.max() + window + 1)
    in_key = _in_window(key_code.astype(np.int64), t, window, span)
    in_pair = _in_window(pair_code.astype(np.int64), t, window, span)
    flagged[rows] = in_key > in_pair
    return flagged


def _in_window(code: np.ndarray, t: np.ndarray, window: int, span: np.int64) -> np.ndarray:
    """For each element, how many elements of the same ``code`` have ``|t - t_i| <= window``
    (itself included). ``code * span + t`` orders by code then time without overlap."""
    composite = code * span + t
    ordered = np.sort(composite)
    lo = np.searchsorted(ordered, composite - window, side="left")
    hi = np.searchsorted(ordered, composite + window, side="right")
    return hi - lo


def attach(facts: pd.DataFrame, contacts: pd.DataFrame, accounts: pd.DataFrame,
           settings: MatchSettings, as_of: datetime | pd.Timestamp) -> pd.DataFrame:
    """``facts`` (the engine's ``lead_facts``) with ``DUPLICATE_COLUMNS`` added, matched over all
    of its leads: ``contacts`` gives each lead's ``lead_id``, ``email``, ``website`` and
    ``company`` (or their keys: ``with_lead_keys``); the rep is the engine's ``first_rep``."""
    keyed = contacts.drop_duplicates("lead_id").set_index("lead_id")
    ids = facts["lead_id"].astype(str)
    universe = pd.DataFrame({
        "lead_id": ids.to_numpy(),
        "created_at": facts["created_at"].to_numpy(),
        "rep": facts["first_rep"].astype(object).to_numpy(),
        **{c: keyed[c].reindex(ids.to_numpy()).to_numpy(dtype=object)
           for c in ("email", "website", "company", *KEY_COLUMNS) if c in keyed.columns},
    })
    universe["created_at"] = pd.to_datetime(universe["created_at"], utc=True)
    found = duplicate_facts(universe, accounts, settings, as_of)
    out = facts.reset_index(drop=True).copy()
    for column in DUPLICATE_COLUMNS:
        out[column] = found[column].to_numpy()
    return out
