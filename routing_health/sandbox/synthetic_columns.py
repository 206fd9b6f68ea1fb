"""Column builders for the synthetic org: Salesforce Ids, string, datetime and date columns.

Everything here is vectorised: a million Ids or names cost a few milliseconds, because strings are
assembled as fixed-width bytes or taken from a small dictionary by integer code (pyarrow ``take``)
instead of being built one Python object at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

try:  # pandas' default ``str`` dtype is pyarrow-backed when pyarrow is installed
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover - the project's venv has pyarrow
    pa = None
    pc = None

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
# Characters 4-6 of a real Id are the instance ("pod") and a reserved character.
POD = "8d0"
COUNTER_DIGITS = 9
NAT = np.iinfo(np.int64).min

_BASE62_BYTES = np.frombuffer(BASE62.encode(), dtype=np.uint8)
_CHECKSUM_BYTES = np.frombuffer(CHECKSUM_ALPHABET.encode(), dtype=np.uint8)
_STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan) if pa is not None else "str"


def id_counters(rng: np.random.Generator, count: int) -> np.ndarray:
    """Strictly increasing Id counters with small gaps, starting at a random 7-digit base-62 value.

    Fixed-width base-62 in ASCII order (0-9 < A-Z < a-z) sorts like the numbers, so Ids minted
    from increasing counters are increasing strings too.
    """
    start = int(rng.integers(62**6, 62**7))
    return start + np.cumsum(rng.integers(1, 4, size=count, dtype=np.int64))


def _id_bytes(prefix: str, counters: np.ndarray) -> np.ndarray:
    if len(prefix) != 3:
        raise ValueError(f"a 3-character key prefix is expected, got {prefix!r}")
    count = len(counters)
    chars = np.empty((count, 18), dtype=np.uint8)
    chars[:, :6] = np.frombuffer((prefix + POD).encode(), dtype=np.uint8)
    rest = np.asarray(counters, dtype=np.int64).copy()
    for pos in range(14, 14 - COUNTER_DIGITS, -1):
        chars[:, pos] = _BASE62_BYTES[rest % 62]
        rest //= 62
    if count and rest.max() > 0:
        raise ValueError("an Id counter does not fit in 9 base-62 digits")
    upper = (chars[:, :15] >= ord("A")) & (chars[:, :15] <= ord("Z"))
    bits = (upper.reshape(count, 3, 5) * np.array([1, 2, 4, 8, 16], dtype=np.uint8)).sum(axis=2)
    chars[:, 15:] = _CHECKSUM_BYTES[bits]
    return chars


def id_list(prefix: str, counters: np.ndarray) -> list[str]:
    """Small catalogs (users, queues): the Ids as Python strings."""
    return [row.tobytes().decode() for row in _id_bytes(prefix, counters)]


def id_column(prefix: str, counters: np.ndarray) -> pd.Series:
    """A ``str`` column of 18-character Ids, one per counter (fast for millions of rows)."""
    chars = _id_bytes(prefix, counters)
    if pa is None:  # pragma: no cover
        return pd.Series(chars.view("S18").ravel().astype(str), dtype="str")
    offsets = np.arange(0, 18 * (len(chars) + 1), 18, dtype=np.int64)
    array = pa.LargeStringArray.from_buffers(
        len(chars), pa.py_buffer(offsets), pa.py_buffer(chars)
    )
    return pd.Series(pd.array(array, dtype=_STR_DTYPE))


def take_strings(dictionary: Sequence[str | None] | pd.Series, codes: np.ndarray) -> pd.Series:
    """A ``str`` column ``dictionary[codes]``; a negative code is a missing value."""
    codes = np.asarray(codes)
    missing = codes < 0
    if isinstance(dictionary, pd.Series):
        if pa is not None:
            values = pa.array(dictionary.array).cast(pa.large_string())
        else:  # pragma: no cover
            values = dictionary.to_numpy(dtype=object, na_value=None)
    else:
        values = pa.array(list(dictionary), type=pa.large_string()) if pa is not None else None
        if values is None:  # pragma: no cover
            values = np.array(list(dictionary), dtype=object)
    if pa is None:  # pragma: no cover
        out = np.asarray(values, dtype=object)[np.where(missing, 0, codes)]
        out[missing] = None
        return pd.Series(out, dtype="str")
    indices = pa.array(codes.astype(np.int64), mask=missing)
    return pd.Series(pd.array(pc.take(values, indices), dtype=_STR_DTYPE))


def join_strings(*parts: pd.Series | str, separator: str = "") -> pd.Series:
    """Element-wise concatenation of ``str`` columns and constant strings; missing stays so."""
    length = next(len(p) for p in parts if isinstance(p, pd.Series))
    if pa is None:  # pragma: no cover
        out = pd.Series([""] * length, dtype="str")
        for i, part in enumerate(parts):
            out = out + (separator if i else "") + part
        return out
    arrays = [
        pa.array(p.array).cast(pa.large_string())
        if isinstance(p, pd.Series)
        else pa.scalar(p, type=pa.large_string())
        for p in parts
    ]
    joined = pc.binary_join_element_wise(*arrays, pa.scalar(separator, type=pa.large_string()))
    return pd.Series(pd.array(joined, dtype=_STR_DTYPE))


def datetime_column(seconds: np.ndarray) -> pd.Series:
    """``datetime64[ns, UTC]`` from epoch seconds; ``NAT`` (int64 min) is a missing value."""
    seconds = np.asarray(seconds, dtype=np.int64)
    ns = np.where(seconds == NAT, NAT, seconds * 1_000_000_000)
    return pd.Series(ns.view("M8[ns]")).dt.tz_localize("UTC")


def date_column(seconds: np.ndarray) -> pd.Series:
    """Object column of ``datetime.date`` (UTC calendar date of epoch seconds) or ``None``."""
    seconds = np.asarray(seconds, dtype=np.int64)
    days = seconds // 86_400
    missing = seconds == NAT
    epoch = date(1970, 1, 1).toordinal()
    uniques, inverse = np.unique(np.where(missing, 0, days), return_inverse=True)
    lookup = np.array([date.fromordinal(epoch + int(d)) for d in uniques], dtype=object)
    out = lookup[inverse] if len(uniques) else np.array([], dtype=object)
    out[missing] = None
    return pd.Series(out, dtype=object)


def to_seconds(moment: datetime) -> int:
    """Epoch seconds (floored) of an aware datetime."""
    return int(np.floor(moment.astimezone(UTC).timestamp()))
