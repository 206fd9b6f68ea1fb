"""Match keys: normalised e-mail and website domains and company names, vectorised.

- **Domain**: lowercased and stripped; an e-mail keeps what follows its last ``@``; a website
  loses its scheme (``https://``), user info, path, query, fragment and port; then a leading
  ``www.`` and trailing dots go. A value that is not ``label.label…`` of ``a-z 0-9 -`` is no
  domain. Public mail domains (``[duplicates] public_domains``) are no company's domain: they
  give no key.
- **Company name**: lowercased; ``&`` reads ``and``; every run of characters other than letters
  and digits becomes one space; then legal-form words at the end are dropped, repeatedly
  (``LEGAL_SUFFIXES``: "Acme Holdings GmbH & Co. KG" keeps "acme holdings"), but never the only
  word left ("Inc" stays "inc").

Every operation is a pyarrow compute kernel (RE2 regular expressions) over the whole column; a
value that is not a string counts as missing. Results are object Series (``None``: no key).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

LEGAL_SUFFIXES: tuple[str, ...] = (
    "ab", "ag", "and co", "as", "bv", "co", "company", "corp", "corporation", "gmbh", "inc",
    "incorporated", "kg", "kgaa", "kk", "limited", "llc", "llp", "lp", "ltd", "nv", "oy", "plc",
    "pte", "pty", "sa", "sarl", "sas", "se", "spa", "srl",
)
"""Legal-form words dropped from the end of a company name (documented in docs/metrics.md)."""

_SCHEME = r"^[a-z][a-z0-9+.\-]*://"
_SUFFIX = r"(?:\s+(?:" + "|".join(s.replace(" ", r"\s+") for s in
                                  sorted(LEGAL_SUFFIXES, key=len, reverse=True)) + r"))+$"
_NULL = pa.scalar(None, type=pa.large_string())


def _arrow(values: pd.Series) -> pa.Array:
    """The strings of ``values`` as a pyarrow array; anything else is null."""
    objects = values.astype(object).to_numpy()
    is_text = np.fromiter((type(v) is str for v in objects), dtype=bool, count=len(objects))
    return pa.array(np.where(is_text, objects, None), type=pa.large_string())


def _series(array: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(array.to_numpy(zero_copy_only=False), index=index, dtype=object)


def _text(values: pd.Series) -> pa.Array:
    return pc.utf8_lower(pc.utf8_trim_whitespace(_arrow(values)))


def _host(host: pa.Array, public: Collection[str]) -> pa.Array:
    host = pc.utf8_rtrim(pc.replace_substring_regex(host, r"^www\.", ""), characters=".")
    valid = pc.fill_null(pc.match_substring_regex(host, r"^[a-z0-9\-]+(\.[a-z0-9\-]+)+$"), False)
    if public:
        listed = pc.is_in(host, value_set=pa.array(sorted(public), type=pa.large_string()))
        valid = pc.and_(valid, pc.invert(pc.fill_null(listed, False)))
    return pc.if_else(valid, host, _NULL)


def email_domain(values: pd.Series, public: Collection[str] = ()) -> pd.Series:
    """The domain of each e-mail address (None: none, or a public one)."""
    found = pc.extract_regex(_text(values), r"@(?P<domain>[^@\s]+)$")
    domain = pc.if_else(pc.is_valid(found), pc.struct_field(found, [0]), _NULL)
    return _series(_host(domain, public), values.index)


def website_domain(values: pd.Series, public: Collection[str] = ()) -> pd.Series:
    """The host of each website URL or bare domain (None: none, or a public one)."""
    host = pc.replace_substring_regex(_text(values), _SCHEME, "")
    host = pc.replace_substring_regex(host, r"[/?#].*$", "")
    host = pc.replace_substring_regex(host, r"^.*@", "")
    host = pc.replace_substring_regex(host, r":[0-9]*$", "")
    return _series(_host(host, public), values.index)


def company_key(values: pd.Series) -> pd.Series:
    """The normalised company name (None when nothing is left)."""
    text = pc.replace_substring(pc.utf8_lower(_arrow(values)), "&", " and ")
    text = pc.utf8_trim_whitespace(
        pc.replace_substring_regex(text, r"[^\p{L}\p{N}]+", " "))
    stripped = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, _SUFFIX, ""))
    key = pc.if_else(pc.equal(stripped, ""), text, stripped)
    key = pc.if_else(pc.fill_null(pc.equal(key, ""), True), _NULL, key)
    return _series(key, values.index)
