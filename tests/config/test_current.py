"""The one cached config loader: parsed once per process, reloaded when the file changes."""

from __future__ import annotations

import pytest

from routing_health.config import ConfigError
from routing_health.config import parse as parse_module
from routing_health.config.current import current_config

GOOD = '[report]\ntimezone = "UTC"\n'
BERLIN = '[report]\ntimezone = "Europe/Berlin"\n'


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The texts ``parse_config`` was called with, through ``load_config``."""
    seen: list[str] = []
    real = parse_module.parse_config

    def counting(text: str, *, source: str = "<string>"):
        seen.append(text)
        return real(text, source=source)

    monkeypatch.setattr(parse_module, "parse_config", counting)
    return seen


def test_the_same_file_is_parsed_once_and_the_same_config_returned(tmp_path, parses):
    path = tmp_path / "a.toml"
    path.write_text(GOOD)
    first = current_config(path)
    assert current_config(path) is first
    assert parses == [GOOD]


def test_an_edited_file_is_parsed_again_on_the_next_call_even_at_the_same_size(tmp_path, parses):
    path = tmp_path / "b.toml"
    path.write_text('[report]\ntimezone = "UTC"\n#aa\n')
    assert current_config(path).report.timezone == "UTC"
    path.write_text('[report]\ntimezone = "UTC"\n#bb\n')  # same size, same mtime tick possible
    current_config(path)
    path.write_text(BERLIN)
    assert current_config(path).report.timezone == "Europe/Berlin"
    assert len(parses) == 3


def test_an_invalid_edit_raises_every_time_and_the_fix_is_picked_up(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(GOOD)
    current_config(path)
    path.write_text("[windows]\nbounce_hour = 3\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match="bounce_hour"):
            current_config(path)
    path.write_text(BERLIN)
    assert current_config(path).report.timezone == "Europe/Berlin"


def test_a_missing_file_raises_a_config_error_naming_the_path(tmp_path):
    with pytest.raises(ConfigError, match=r"nowhere\.toml"):
        current_config(tmp_path / "nowhere.toml")
