"""A literal reference for duplicate matching, written from docs/metrics.md ("Duplicates"), not
from the engine: string methods and loops over every pair, one lead at a time (slow on purpose).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

SUFFIXES = {
    "ab", "ag", "as", "bv", "co", "company", "corp", "corporation", "gmbh", "inc",
    "incorporated", "kg", "kgaa", "kk", "limited", "llc", "llp", "lp", "ltd", "nv", "oy", "plc",
    "pte", "pty", "sa", "sarl", "sas", "se", "spa", "srl",
}
HOST_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def host(value: str | None, public: Collection[str]) -> str | None:
    if value is None:
        return None
    if value.startswith("www."):
        value = value[4:]
    while value.endswith("."):
        value = value[:-1]
    labels = value.split(".")
    if len(labels) < 2 or any(not label or set(label) - HOST_CHARS for label in labels):
        return None
    return None if value in public else value


def email_domain(value: Any, public: Collection[str]) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    if "@" not in value:
        return None
    domain = value.rsplit("@", 1)[1]
    if not domain or any(c.isspace() for c in domain):
        return None
    return host(domain, public)


def website_domain(value: Any, public: Collection[str]) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    if "://" in value:
        scheme, rest = value.split("://", 1)
        if scheme and scheme[0].isalpha() and scheme.isascii() and all(
            c.isalnum() or c in "+.-" for c in scheme
        ):
            value = rest
    for stop in "/?#":
        value = value.split(stop, 1)[0]
    value = value.rsplit("@", 1)[-1]
    if ":" in value:
        head, _, port = value.rpartition(":")
        if port == "" or (port.isascii() and port.isdigit()):
            value = head
    return host(value, public)


def company_key(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.lower().replace("&", " and ")
    tokens = "".join(c if c.isalnum() else " " for c in text).split()
    while len(tokens) > 1:
        if len(tokens) > 2 and tokens[-2:] == ["and", "co"]:
            tokens = tokens[:-2]
        elif tokens[-1] in SUFFIXES:
            tokens = tokens[:-1]
        else:
            break
    return " ".join(tokens) or None


def reference_duplicates(
    leads: Sequence[Mapping[str, Any]],
    accounts: Sequence[Mapping[str, Any]],
    window_days: float,
    public: Collection[str],
    as_of: datetime,
) -> dict[str, dict[str, Any]]:
    """Per lead Id: the duplicate facts of docs/metrics.md."""
    keyed_accounts = []
    for account in accounts:
        domains = {website_domain(account["domain"], public),
                   website_domain(account["website"], public)} - {None}
        keyed_accounts.append((account, domains, company_key(account["name"])))
    info = {}
    for lead in leads:
        domain = email_domain(lead["email"], public) or website_domain(lead["website"], public)
        rep = lead["rep"] or None
        routed = rep is not None and lead["created_at"] <= as_of
        info[lead["lead_id"]] = {
            "lead_domain": domain, "company_key": company_key(lead["company"]),
            "rep": rep, "routed": routed, "created_at": lead["created_at"],
        }
    out = {}
    for lead_id, me in info.items():
        found = [a for a, domains, _ in keyed_accounts if me["lead_domain"] in domains]
        if not found and me["company_key"] is not None:
            found = [a for a, _, name in keyed_accounts if name == me["company_key"]]
        matched = me["routed"] and bool(found)
        first = min(found, key=lambda a: a["account_id"]) if matched else None
        candidate = me["routed"] and (me["lead_domain"] is not None
                                      or me["company_key"] is not None)
        outreach = False
        for other_id, other in info.items():
            if other_id == lead_id or not candidate or not other["routed"]:
                continue
            same = any(me[k] is not None and me[k] == other[k]
                       for k in ("lead_domain", "company_key"))
            apart = abs((me["created_at"] - other["created_at"]).total_seconds())
            if same and other["rep"] != me["rep"] and apart <= window_days * 86_400:
                outreach = True
        out[lead_id] = {
            "lead_domain": me["lead_domain"],
            "company_key": me["company_key"],
            "account_matched": matched,
            "account_id": first["account_id"] if first else None,
            "account_owner": first["owner_id"] if first else None,
            "account_conflict": matched and all(a["owner_id"] != me["rep"] for a in found),
            "duplicate_candidate": candidate,
            "duplicate_outreach": outreach,
        }
    return out
