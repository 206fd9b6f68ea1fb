"""``facts.duplicates.partner_ids``: the other leads a watched lead's duplicates columns can
depend on — those sharing its e-mail/website domain or its normalised company name."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from routing_health.facts.duplicates import partner_ids

SETTINGS = SimpleNamespace(public_domains=frozenset({"gmail.com"}), window_days=30)


def test_partners_share_a_domain_or_a_company_key_with_a_watched_lead():
    contacts = pd.DataFrame({
        "lead_id": ["A", "B", "C", "D", "E", "F"],
        "email": ["ann@acme.example", "bo@acme.example", "cy@gmail.com", None, "ed@other.example",
                  "fi@gmail.com"],
        "website": [None, None, None, "https://www.acme.example/about", None, None],
        "company": ["Acme Corp", "Someone Else", "Globex", "Initech", "ACME corp.", "Globex"],
    })
    # A is watched. B shares A's e-mail domain, D its website's domain, E its company name
    # once normalised; C and F share only a public domain (ignored) and a company, Globex,
    # that no watched lead has.
    assert sorted(partner_ids(contacts, {"A"}, SETTINGS)) == ["B", "D", "E"]
    # A watched lead is never its own partner, nor is another watched lead.
    assert sorted(partner_ids(contacts, {"A", "B"}, SETTINGS)) == ["D", "E"]
    assert partner_ids(contacts, set(), SETTINGS) == []
