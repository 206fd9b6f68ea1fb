"""Salesforce record Ids: shape checks and 15 → 18 character normalisation.

Salesforce shows the same record under a case-sensitive 15-character Id and a case-insensitive
18-character Id (the 15 characters plus a 3-character checksum of their letter case). Inside
Routing Health every Id is kept in its 18-character form so that ids from the REST API, Bulk CSV,
LeadHistory values and the configuration file compare equal.

An 18-character Id is re-derived from its first 15 characters and its suffix is checked: a wrong
suffix means the Id was mangled (typically lower-cased by a spreadsheet or a case-insensitive
store) and is an error, not something to guess around. The suffix itself is compared ignoring
case and returned in its canonical upper-case form.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

USER_PREFIX = "005"
QUEUE_PREFIX = "00G"
LEAD_PREFIX = "00Q"
CONTACT_PREFIX = "003"

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ALNUM = re.compile(r"[A-Za-z0-9]+")

MSG_NOT_A_STRING = "{value!r} is not a Salesforce Id (expected a string)"
MSG_BAD_LENGTH = "{value!r} is not a Salesforce Id (15 or 18 characters)"
MSG_BAD_CHARACTERS = "{value!r} is not a Salesforce Id (letters and digits only)"
MSG_BAD_SUFFIX = (
    "{value!r} is not a valid 18-character Salesforce Id "
    "(its last 3 characters should be {expected!r})"
)


class InvalidSalesforceId(ValueError):
    """A value that is not a 15- or 18-character Salesforce Id (or has a wrong checksum)."""


def _suffix(id15: str) -> str:
    """The 3-character case checksum of a 15-character Id."""
    chars = []
    for start in (0, 5, 10):
        bits = 0
        for offset in range(5):
            if "A" <= id15[start + offset] <= "Z":
                bits |= 1 << offset
        chars.append(_SUFFIX_ALPHABET[bits])
    return "".join(chars)


def id_problem(value: object) -> str | None:
    """Why ``value`` is not a Salesforce Id, as a sentence fragment; ``None`` when it is one."""
    if not isinstance(value, str):
        return MSG_NOT_A_STRING.format(value=value)
    if len(value) not in (15, 18):
        return MSG_BAD_LENGTH.format(value=value)
    if not _ALNUM.fullmatch(value):
        return MSG_BAD_CHARACTERS.format(value=value)
    if len(value) == 18:
        expected = _suffix(value[:15])
        if value[15:].upper() != expected:
            return MSG_BAD_SUFFIX.format(value=value, expected=expected)
    return None


def is_sf_id(value: object) -> bool:
    """True for 15 or 18 ASCII letters/digits (with a correct checksum suffix when 18)."""
    return id_problem(value) is None


def is_owner_id(value: object) -> bool:
    """True for the Id of a possible record owner: a User (``005``) or a queue (``00G``).

    Shape alone is not enough where names and Ids mix (LeadHistory rows with a null
    DataType): a queue named ``EMEAInboundLead`` is 15 letters.
    """
    return is_sf_id(value) and str(value)[:3] in (USER_PREFIX, QUEUE_PREFIX)


def to_18(id15_or_18: str) -> str:
    """The 18-character form of a 15- or 18-character Id.

    Raises ``InvalidSalesforceId`` (a ``ValueError``) for anything else, including an
    18-character Id whose suffix does not match its first 15 characters.
    """
    problem = id_problem(id15_or_18)
    if problem is not None:
        raise InvalidSalesforceId(problem)
    return id15_or_18[:15] + _suffix(id15_or_18[:15])


def id_prefix(sf_id: str) -> str:
    """The 3-character key prefix naming the object type (``005`` User, ``00G`` queue...).

    Raises ``InvalidSalesforceId`` when ``sf_id`` is not an Id.
    """
    problem = id_problem(sf_id)
    if problem is not None:
        raise InvalidSalesforceId(problem)
    return sf_id[:3]


def to_18_series(ids: pd.Series, *, errors: Literal["raise", "coerce"] = "raise") -> pd.Series:
    """Vectorised ``to_18`` over a Series of Ids (about 0.3 s per million on a laptop).

    Missing values (``None``, ``NaN``, ``pd.NA``) and empty strings (how Bulk API CSV spells
    null) come back as missing. Invalid Ids raise ``InvalidSalesforceId`` naming a few of them,
    or become missing with ``errors="coerce"``. The result keeps the index and name; its dtype
    is the input's when that is a string dtype, else ``object``.
    """
    import numpy as np
    import pandas as pd

    if errors not in ("raise", "coerce"):
        raise ValueError(f"errors must be 'raise' or 'coerce', got {errors!r}")
    values = ids.to_numpy(dtype=object, na_value=None)
    missing = pd.isna(values) | (values == "")
    filled = np.where(missing, "", values)
    # One more column than an Id can have, so a longer string shows a character in column 18.
    codes = filled.astype("U19").view(np.uint32).reshape(len(filled), 19)
    head = codes[:, :15]
    tail = codes[:, 15:18]
    is_alnum = (
        ((codes >= 48) & (codes <= 57))
        | ((codes >= 65) & (codes <= 90))
        | ((codes >= 97) & (codes <= 122))
    )
    head_ok = is_alnum[:, :15].all(axis=1) & (codes[:, 18] == 0)
    tail_empty = (tail == 0).all(axis=1)
    tail_alnum = is_alnum[:, 15:18].all(axis=1)

    upper = ((head >= 65) & (head <= 90)).reshape(len(filled), 3, 5)
    bits = upper.astype(np.uint8) @ np.array([1, 2, 4, 8, 16], dtype=np.uint8)
    alphabet = np.frombuffer(_SUFFIX_ALPHABET.encode("utf-32-le"), dtype=np.uint32)
    suffix = alphabet[bits]
    given = np.where((tail >= 97) & (tail <= 122), tail - 32, tail)
    suffix_ok = (given == suffix).all(axis=1)
    valid = ~missing & head_ok & (tail_empty | (tail_alnum & suffix_ok))

    out_codes = np.ascontiguousarray(np.concatenate([head, suffix], axis=1))
    out = out_codes.view("U18").ravel().astype(object)
    out[~valid] = None

    invalid = ~missing & ~valid
    if invalid.any() and errors == "raise":
        bad = values[invalid]
        shown = "; ".join(str(id_problem(value)) for value in bad[:5])
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        raise InvalidSalesforceId(f"{len(bad)} invalid Salesforce Id(s): {shown}{more}")
    dtype = ids.dtype if isinstance(ids.dtype, pd.StringDtype) else object
    return pd.Series(out, index=ids.index, name=ids.name, dtype=dtype)
