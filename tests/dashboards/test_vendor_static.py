"""``manage.py vendor_static`` vendors plotly.js and its stylesheet."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dashboards.management.commands.vendor_static import plotly_bundle, plotly_css

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_vendor_static_copies_plotly_and_writes_its_stylesheet(tmp_path):
    call_command("vendor_static", dest=tmp_path, stdout=open("/dev/null", "w"))
    assert (tmp_path / "plotly.min.js").read_bytes() == plotly_bundle().read_bytes()
    css = (tmp_path / "plotly.css").read_text()
    assert ".js-plotly-plot .plotly .modebar{" in css
    assert ".plotly-notifier{" in css


def test_the_committed_vendor_files_match_the_installed_plotly(tmp_path):
    call_command("vendor_static", dest=STATIC / "vendor", check=True, stdout=open("/dev/null", "w"))


def test_check_fails_when_the_vendored_files_are_missing(tmp_path):
    with pytest.raises(CommandError, match="run vendor_static"):
        call_command("vendor_static", dest=tmp_path, check=True)


def test_the_stylesheet_extraction_refuses_an_unknown_bundle_layout():
    with pytest.raises(CommandError, match="stylesheet rules"):
        plotly_css("var x = 1;")
