"""Salesforce Ids: shape checks, the 15 → 18 checksum, and its vectorised twin."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.bench_volumes import random_ids
from routing_health.lib.sfid import (
    CONTACT_PREFIX,
    LEAD_PREFIX,
    QUEUE_PREFIX,
    USER_PREFIX,
    InvalidSalesforceId,
    id_prefix,
    is_sf_id,
    to_18,
    to_18_series,
)

ALNUM = string.ascii_letters + string.digits


def test_it_appends_the_documented_checksum_to_a_real_15_character_id():
    assert to_18("001A0000006Vm9r") == "001A0000006Vm9rIAC"


def test_it_sets_one_bit_per_uppercase_letter_in_each_chunk_of_five():
    # 00Q5e | 00000 | 1abcD: Q is bit 2 (E), nothing (A), D is bit 4 (Q).
    assert to_18("00Q5e000001abcD") == "00Q5e000001abcDEAQ"


def test_it_uses_the_digits_of_the_alphabet_for_chunks_that_are_all_uppercase():
    assert to_18("ABCDEABCDEABCDE") == "ABCDEABCDEABCDE555"


def test_it_returns_a_correct_18_character_id_unchanged():
    assert to_18("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"


def test_it_accepts_a_lowercase_suffix_and_returns_the_canonical_one():
    assert to_18("001A0000006Vm9riac") == "001A0000006Vm9rIAC"


def test_it_rejects_an_18_character_id_with_a_wrong_suffix():
    with pytest.raises(InvalidSalesforceId, match="should be 'IAC'"):
        to_18("001A0000006Vm9rIAD")


def test_it_rejects_a_lowercased_18_character_id_whose_case_was_lost():
    with pytest.raises(InvalidSalesforceId):
        to_18("001a0000006vm9riac")


@pytest.mark.parametrize("value", ["", "00Gxx", "001A0000006Vm9rI", "001A0000006Vm9rIACX"])
def test_it_rejects_an_id_of_the_wrong_length(value):
    with pytest.raises(InvalidSalesforceId, match="15 or 18 characters"):
        to_18(value)


@pytest.mark.parametrize(
    "value",
    ["001A0000006Vm9-", "001A0000006Vm9\u00e9", "001A0000006Vm9\u0661", "001A 000006Vm9r"],
)
def test_it_rejects_characters_other_than_ascii_letters_and_digits(value):
    with pytest.raises(InvalidSalesforceId, match="letters and digits"):
        to_18(value)


def test_invalid_ids_raise_a_value_error():
    with pytest.raises(ValueError):
        to_18("nope")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("001A0000006Vm9r", True),
        ("001A0000006Vm9rIAC", True),
        ("001A0000006Vm9rIAD", False),
        ("00Gxx", False),
        (None, False),
        (12345, False),
    ],
)
def test_is_sf_id_accepts_15_or_18_alphanumerics_with_a_valid_suffix(value, expected):
    assert is_sf_id(value) is expected


def test_id_prefix_is_the_first_three_characters():
    assert id_prefix("00G5e000000AbCd") == QUEUE_PREFIX


def test_id_prefix_rejects_a_value_that_is_not_an_id():
    with pytest.raises(InvalidSalesforceId):
        id_prefix("00G")


def test_the_key_prefixes_name_users_queues_leads_and_contacts():
    assert (USER_PREFIX, QUEUE_PREFIX, LEAD_PREFIX, CONTACT_PREFIX) == ("005", "00G", "00Q", "003")


@settings(max_examples=200)
@given(st.lists(st.text(alphabet=ALNUM, min_size=15, max_size=15), max_size=20))
def test_the_series_version_agrees_with_to_18(ids):
    result = to_18_series(pd.Series(ids, dtype=object))
    assert result.tolist() == [to_18(value) for value in ids]


@settings(max_examples=200)
@given(st.text(alphabet=ALNUM + "-é ", min_size=13, max_size=20))
def test_the_series_version_accepts_exactly_what_is_sf_id_accepts(value):
    result = to_18_series(pd.Series([value], dtype=object), errors="coerce")
    assert (result.iloc[0] is not None) is is_sf_id(value)


def test_the_series_version_normalises_18_character_ids_too():
    result = to_18_series(pd.Series(["001A0000006Vm9rIAC", "001A0000006Vm9riac"]))
    assert result.tolist() == ["001A0000006Vm9rIAC", "001A0000006Vm9rIAC"]


def test_the_series_version_keeps_missing_and_empty_values_missing():
    result = to_18_series(pd.Series(["001A0000006Vm9r", None, "", np.nan], dtype=object))
    assert result.iloc[0] == "001A0000006Vm9rIAC"
    assert result.iloc[1:].isna().all()


def test_the_series_version_keeps_the_index_and_name():
    ids = pd.Series(["001A0000006Vm9r"], index=[42], name="OwnerId")
    result = to_18_series(ids)
    assert list(result.index) == [42]
    assert result.name == "OwnerId"


def test_the_series_version_keeps_a_string_dtype():
    result = to_18_series(pd.Series(["001A0000006Vm9r", None], dtype="string"))
    assert result.dtype == "string"


def test_the_series_version_raises_naming_the_invalid_ids():
    with pytest.raises(InvalidSalesforceId, match=r"2 invalid.*00Gxx.*should be 'IAC'"):
        to_18_series(pd.Series(["00Gxx", "001A0000006Vm9r", "001A0000006Vm9rIAD"]))


def test_the_series_version_can_turn_invalid_ids_into_missing_values():
    result = to_18_series(pd.Series(["00Gxx", "001A0000006Vm9r"]), errors="coerce")
    assert pd.isna(result.iloc[0])
    assert result.iloc[1] == "001A0000006Vm9rIAC"


def test_the_series_version_agrees_with_to_18_on_ten_thousand_random_ids():
    # Its speed on a million Ids (< 2 s) is measured by `make bench` (bench/bench_volumes.py).
    ids = random_ids(10_000)
    result = to_18_series(ids)
    assert result.tolist() == [to_18(value) for value in ids]
