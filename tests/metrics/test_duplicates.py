"""Duplicate outreach and lead-to-account matching (issue 17 item 3): hand-computed cases."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from routing_health.metrics import metrics_rows, total_metrics
from routing_health.metrics.duplicates import Settings, attach, duplicate_facts
from routing_health.metrics.match_keys import company_key, email_domain, website_domain
from tests.metrics.frames import at, sfid
from tests.metrics.helpers import HOLDING_QUEUE, PARAMS, REP_A, REP_B, facts

REP_C = sfid("005", "CAT")
PUBLIC = frozenset({"gmail.com"})
SETTINGS = Settings(window_days=30.0, public_domains=PUBLIC)
T = pd.Timestamp("2026-02-01T00:00:00Z")


@pytest.mark.parametrize(("value", "expected"), [
    ("https://www.Acme.com:443/about?x=1", "acme.com"),
    ("acme.com", "acme.com"),
    ("HTTP://user@Sub.Acme.co.uk/", "sub.acme.co.uk"),
    ("www.acme.com.", "acme.com"),
    ("localhost", None),
    ("https://gmail.com", None),  # public
    ("", None),
    (None, None),
])
def test_a_website_reads_as_its_host_without_scheme_path_port_or_www(value, expected):
    assert website_domain(pd.Series([value], dtype=object), PUBLIC).tolist() == [expected]


@pytest.mark.parametrize(("value", "expected"), [
    ("Ann@Acme.COM", "acme.com"),
    (" bob@mail.acme.com ", "mail.acme.com"),
    ("carl@gmail.com", None),  # public
    ("no-at-sign.com", None),
    ("x@y", None),
])
def test_an_email_reads_as_its_domain_unless_public(value, expected):
    assert email_domain(pd.Series([value], dtype=object), PUBLIC).tolist() == [expected]


@pytest.mark.parametrize(("value", "expected"), [
    ("Acme, Inc.", "acme"),
    ("ACME", "acme"),
    ("Acme Holdings GmbH & Co. KG", "acme holdings"),
    ("Smith & Sons Ltd", "smith and sons"),
    ("Müller AG", "müller"),
    ("Yamada Robotics Pte. Ltd.", "yamada robotics"),
    ("Inc", "inc"),  # the only word stays
    ("  ", None),
    (None, None),
])
def test_a_company_name_loses_case_punctuation_and_legal_suffixes(value, expected):
    assert company_key(pd.Series([value], dtype=object)).tolist() == [expected]


def leads(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        [dict(zip(("lead_id", "created_at", "rep", "email", "website", "company"), row,
                  strict=True)) for row in rows]
    ).assign(created_at=lambda f: pd.to_datetime(f["created_at"], utc=True))


def accounts(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        [dict(zip(("account_id", "owner_id", "name", "website", "domain"), row, strict=True))
         for row in rows],
        columns=["account_id", "owner_id", "name", "website", "domain"],
    )


def test_a_lead_matching_an_account_of_another_rep_is_routed_against_the_owner():
    # L1 (Ann) and L2 (Bob) match Account 001A (acme.com, owned by Ann) by domain: L2 is the
    # conflict. L3 has a public e-mail; its company name "Globex Corp" matches 001B ("Globex")
    # owned by Cat, so Bob's L3 is a conflict too. L4 matches nothing.
    frame = leads(
        ("L1", "2026-01-10T10:00:00Z", REP_A, "ann@acme.com", None, "Acme"),
        ("L2", "2026-01-11T10:00:00Z", REP_B, None, "https://www.acme.com/x", "Acme Inc"),
        ("L3", "2026-01-12T10:00:00Z", REP_B, "x@gmail.com", None, "Globex Corp"),
        ("L4", "2026-01-12T11:00:00Z", REP_C, "y@initech.io", None, "Initech"),
    )
    table = accounts(
        ("001A", REP_A, "Acme Corporation", "acme.com", ""),
        ("001B", REP_C, "Globex", "", ""),
    )
    found = duplicate_facts(frame, table, SETTINGS, T).set_index("lead_id")
    assert found["account_matched"].tolist() == [True, True, True, False]
    assert found["account_conflict"].tolist() == [False, True, True, False]
    assert found["account_id"].tolist() == ["001A", "001A", "001B", None]
    assert found["account_owner"].tolist() == [REP_A, REP_A, REP_C, None]


def test_a_domain_match_wins_over_a_name_match_and_any_matching_owner_clears_the_lead():
    # Bob's lead of beta.com matches 001D by domain (owner Bob) and, by name only, 001C (Ann):
    # the name is not looked at, so no conflict. Ann's lead matches 001E and 001F by domain; 001F
    # is hers, so no conflict either; the smallest Id, 001E, is the account shown.
    frame = leads(
        ("L1", "2026-01-10T10:00:00Z", REP_B, "b@beta.com", None, "Alpha"),
        ("L2", "2026-01-10T11:00:00Z", REP_A, "a@gamma.com", None, ""),
    )
    table = accounts(
        ("001C", REP_A, "Alpha", "", ""),
        ("001D", REP_B, "Beta", "", "beta.com"),
        ("001F", REP_A, "Gamma 2", "gamma.com", ""),
        ("001E", REP_C, "Gamma", "https://gamma.com", ""),
    )
    found = duplicate_facts(frame, table, SETTINGS, T).set_index("lead_id")
    assert found["account_id"].tolist() == ["001D", "001E"]
    assert found["account_conflict"].tolist() == [False, False]


def test_two_reps_on_one_company_within_the_window_is_duplicate_outreach():
    # acme.com: Ann at day 0, Bob exactly 30 days later (inclusive): both flagged. Cat's lead of
    # acme.com 30 days and 1 second after Bob's is outside the window for Bob... but within it
    # for nobody else of another rep (Ann's is 60 days away), so Cat's is not flagged.
    # "Initech": Ann twice (same rep): not flagged. An unassigned lead never counts.
    start = at("2026-01-01 00:00:00")
    frame = leads(
        ("L1", start, REP_A, "a@acme.com", None, "Acme"),
        ("L2", start + timedelta(days=30), REP_B, "b@acme.com", None, "Acme"),
        ("L3", start + timedelta(days=60, seconds=1), REP_C, "c@acme.com", None, "Acme"),
        ("L4", start, REP_A, None, None, "Initech LLC"),
        ("L5", start + timedelta(days=1), REP_A, None, None, "initech"),
        ("L6", start, None, "z@acme.com", None, "Acme"),
    )
    found = duplicate_facts(frame, accounts(), SETTINGS, pd.Timestamp("2026-04-01T00:00Z"))
    assert found["duplicate_outreach"].tolist() == [True, True, False, False, False, False]
    assert found["duplicate_candidate"].tolist() == [True, True, True, True, True, False]


def test_a_shared_company_name_alone_links_two_leads_with_public_mail():
    frame = leads(
        ("L1", "2026-01-10T10:00:00Z", REP_A, "a@gmail.com", None, "Hooli, Inc."),
        ("L2", "2026-01-20T10:00:00Z", REP_B, "b@gmail.com", None, "HOOLI"),
    )
    found = duplicate_facts(frame, accounts(), SETTINGS, T)
    assert found["lead_domain"].tolist() == [None, None]
    assert found["duplicate_outreach"].tolist() == [True, True]


def test_the_metrics_count_per_group_and_are_null_without_a_denominator():
    # Engine facts: L1, L2 and L3 start with a rep (assigned at creation), L4 sits in the holding
    # queue (never assigned: in no count). EMEA holds only L3, whose e-mail is public and whose
    # company is empty: no key, no match, so both EMEA rates are null.
    lead_rows = [
        {"id": "00Q000000000000001", "created_at": at("2026-01-05 10:00:00"), "owner_id": REP_A,
         "company": "Acme", "region": "AMER"},
        {"id": "00Q000000000000002", "created_at": at("2026-01-06 10:00:00"), "owner_id": REP_B,
         "company": "Acme", "region": "AMER"},
        {"id": "00Q000000000000003", "created_at": at("2026-01-06 11:00:00"), "owner_id": REP_B,
         "company": "", "region": "EMEA"},
        {"id": "00Q000000000000004", "created_at": at("2026-01-06 12:00:00"),
         "owner_id": HOLDING_QUEUE, "company": "Acme", "region": "AMER"},
    ]
    engine = facts("2026-01-07 00:00:00", lead_rows)
    contacts = pd.DataFrame({
        "lead_id": [r["id"] for r in lead_rows],
        "email": ["a@acme.com", "b@acme.com", "c@gmail.com", "d@acme.com"],
        "website": [None] * 4,
        "company": [r["company"] for r in lead_rows],
    })
    table = accounts(("001A", REP_A, "Acme", "acme.com", ""))
    with_dups = attach(engine, contacts, table, SETTINGS, pd.Timestamp("2026-01-07T00:00Z"))
    rows = {r["region"]: r for r in metrics_rows(with_dups, ["region"], PARAMS)}
    # AMER: L1 (Ann, owner of 001A) and L2 (Bob) match: 2 matched, 1 conflict -> 1/2; both are
    # candidates and of different reps one day apart -> 2 duplicate outreach of 2 candidates.
    assert (rows["AMER"]["account_matched"], rows["AMER"]["account_conflicts"],
            rows["AMER"]["account_conflict_rate"]) == (2, 1, 0.5)
    assert (rows["AMER"]["duplicate_outreach"], rows["AMER"]["duplicate_outreach_rate"]) == (2, 1.0)
    assert (rows["EMEA"]["account_matched"], rows["EMEA"]["account_conflict_rate"],
            rows["EMEA"]["duplicate_outreach"], rows["EMEA"]["duplicate_outreach_rate"]) == (
        0, None, 0, None)
    total = total_metrics(with_dups, PARAMS)
    assert (total["account_conflicts"], total["duplicate_outreach_rate"]) == (1, 1.0)
    assert list(total)[-5:] == ["account_matched", "account_conflicts", "account_conflict_rate",
                                "duplicate_outreach", "duplicate_outreach_rate"]


def test_facts_without_the_duplicate_columns_export_only_the_routing_metrics():
    engine = facts("2026-01-07 00:00:00", [
        {"id": "00Q000000000000001", "created_at": at("2026-01-05 10:00:00"), "owner_id": REP_A}
    ])
    assert "account_matched" not in total_metrics(engine, PARAMS)
