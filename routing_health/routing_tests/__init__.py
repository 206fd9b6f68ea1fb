"""The routing test pack (``manage.py routing_test run``; docs/change-safety.md).

``pack.py`` reads the TOML, ``service.py`` runs it against an org (the product's only write,
sandbox only), ``judge.py`` compares each lead with its case, ``report.py`` prints the table
and JUnit XML, ``store.py`` keeps the run for the Routing tests page.
"""
