"""Match keys: normalised e-mail and website domains and company names, vectorised.

- **Domain**: lowercased and stripped; an e-mail keeps what follows its last ``@``; a website
  loses its scheme (``https://``), user info, path, query, fragment and port; then a leading
  ``www.`` and trailing dots go. A value without a dot is no domain. Public mail domains
  (``[duplicates] public_domains``) are no company's domain: they give no key.
- **Company name**: casefolded; ``&`` reads ``and``; every run of characters other than
  letters and digits becomes one space; then legal-form words at the end are dropped, repeatedly
  (``LEGAL_SUFFIXES``: "Acme Holdings GmbH & Co. KG" keeps "acme holdings"), but never the only
  word left ("Inc" stays "inc").
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

LEGAL_SUFFIXES: tuple[str, ...] = (
    "ab", "ag", "and co", "as", "bv", "co", "company", "corp", "corporation", "gmbh", "inc",
    "incorporated", "kg", "kgaa", "limited", "llc", "llp", "lp", "ltd", "nv", "oy", "plc", "pty",
    "sa", "sarl", "sas", "se", "spa", "srl",
)
"""Legal-form words dropped from the end of a company name (documented in docs/metrics.md)."""

_SCHEME = r"^[a-z][a-z0-9+.\-]*://"
_SUFFIX = r"(?:\s+(?:" + "|".join(s.replace(" ", r"\s+") for s in
                                  sorted(LEGAL_SUFFIXES, key=len, reverse=True)) + r"))+$"


def _text(values: pd.Series) -> pd.Series:
    """Stripped, lowercased strings as object; missing and non-strings as NA."""
    out = values.astype(object).where(values.map(lambda v: isinstance(v, str)), None)
    return out.str.strip().str.lower()


def _host(values: pd.Series, public: Collection[str]) -> pd.Series:
    host = values.str.replace(r"^www\.", "", regex=True).str.rstrip(".")
    valid = host.str.contains(r"^[a-z0-9\-]+(?:\.[a-z0-9\-]+)+$", regex=True, na=False)
    valid &= ~host.isin(frozenset(public))
    return host.where(valid, None).astype(object)


def email_domain(values: pd.Series, public: Collection[str] = ()) -> pd.Series:
    """The domain of each e-mail address (NA: none, or a public one)."""
    text = _text(values)
    domain = text.str.extract(r"@([^@\s]+)$", expand=False)
    return _host(domain, public)


def website_domain(values: pd.Series, public: Collection[str] = ()) -> pd.Series:
    """The host of each website URL or bare domain (NA: none, or a public one)."""
    text = _text(values).str.replace(_SCHEME, "", regex=True)
    host = text.str.replace(r"[/?#].*$", "", regex=True)
    host = host.str.replace(r"^.*@", "", regex=True).str.replace(r":\d*$", "", regex=True)
    return _host(host, public)


def company_key(values: pd.Series) -> pd.Series:
    """The normalised company name (NA when nothing is left)."""
    text = values.astype(object).where(values.map(lambda v: isinstance(v, str)), None)
    text = text.str.casefold().str.replace("&", " and ", regex=False)
    text = text.str.replace(r"[^\w]+|_+", " ", regex=True).str.strip()
    text = text.str.replace(r"\s+", " ", regex=True)
    stripped = text.str.replace(_SUFFIX, "", regex=True).str.strip()
    key = stripped.where(stripped.fillna("") != "", text)
    return key.where(key.fillna("") != "", None).astype(object)
