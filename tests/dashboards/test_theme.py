"""The dark palette (static/css/app.css): the same variables whether chosen in the top bar or
by the system, every variable of the light palette redefined, and text contrast of at least
4.5:1 (WCAG AA) for body text, links and every status colour on its background."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text()
DECLARATION = re.compile(r"(--[a-z-]+):\s*([^;]+);")
COLOUR = re.compile(r"#[0-9a-f]{6}")


def block(opening: str) -> dict[str, str]:
    start = CSS.index(opening) + len(opening)
    return dict(DECLARATION.findall(CSS[start : CSS.index("}", start)]))


LIGHT = block(":root {")
DARK = block(':root[data-theme="dark"] {')
SYSTEM_DARK = block(':root:not([data-theme="light"]) {')


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_luminance_formula_gives_the_known_extremes():
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_the_system_dark_palette_is_the_chosen_dark_palette():
    assert SYSTEM_DARK == DARK


def test_every_colour_of_the_light_palette_has_a_dark_twin():
    colours = {name for name, value in LIGHT.items() if COLOUR.search(value) or "rgba" in value}
    assert colours - set(DARK) == set()


PAIRS = [
    ("--text", "--bg"),
    ("--text", "--surface"),
    ("--text-muted", "--surface"),
    ("--text-muted", "--bg"),
    ("--accent", "--surface"),
    ("--accent", "--accent-soft"),
    ("--on-accent", "--accent"),
    ("--accent-strong", "--accent-soft"),
    ("--ok", "--ok-bg"),
    ("--ok", "--surface"),
    ("--warn", "--warn-bg"),
    ("--warn", "--surface"),
    ("--breach", "--breach-bg"),
    ("--breach", "--surface"),
    ("--neutral", "--neutral-bg"),
    ("--neutral", "--surface"),
]


@pytest.mark.parametrize(("fg", "bg"), PAIRS)
def test_dark_text_colours_reach_4_5_to_1_on_their_backgrounds(fg, bg):
    assert contrast(DARK[fg], DARK[bg]) >= 4.5, (fg, DARK[fg], bg, DARK[bg])


def test_the_body_background_is_dark_and_the_text_light():
    assert luminance(DARK["--bg"]) < 0.02
    assert luminance(DARK["--text"]) > 0.7
