"""Typed reading of parsed TOML tables that records every problem instead of stopping at one.

``tomllib`` keeps no positions, so ``SourceIndex`` finds the line of a dotted key by scanning the
text for table headers and ``key =`` lines (best effort: a key it cannot place gets the line of
its nearest placed parent, else ``None``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from routing_health.config.model import ConfigProblem

PathPart = str | int
KeyPath = tuple[PathPart, ...]

MSG_UNKNOWN_KEY = "unknown key"
MSG_MISSING_KEY = "missing required key"
MSG_WRONG_TYPE = "expected {expected}, got {got}"
MSG_EMPTY_STRING = "must not be empty (leave the key out instead)"
MSG_TOO_SMALL = "must be {relation} {bound:g}, got {value!r}"
MSG_NOT_FINITE = "must be a finite number, got {value!r}"
MSG_BAD_TIMEZONE = "{value!r} is not an IANA timezone (e.g. 'Europe/Berlin', 'UTC')"

_BARE = r"[A-Za-z0-9_-]+"
_KEY_PART = rf"(?:{_BARE}|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_AOT_HEADER = re.compile(rf"\s*\[\[\s*({_DOTTED})\s*\]\]")
_HEADER = re.compile(rf"\s*\[\s*({_DOTTED})\s*\]")
_KEY_LINE = re.compile(rf"\s*({_DOTTED})\s*=")
_PART = re.compile(_KEY_PART)
_BARE_KEY = re.compile(_BARE)
_MISSING = object()


def render_key(path: KeyPath) -> str:
    """``("owners", "holding", 1)`` → ``owners.holding[1]``; odd keys are quoted as in TOML."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        shown = part if _BARE_KEY.fullmatch(part) else '"' + part.replace('"', '\\"') + '"'
        text += f".{shown}" if text else shown
    return text


def toml_type(value: object) -> str:
    """The TOML name of a parsed value's type, with the value for scalars."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, dt.datetime):
        return "a datetime"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dt.time):
        return "a time"
    return type(value).__name__


def _split_dotted(dotted: str) -> tuple[str, ...]:
    parts = []
    for match in _PART.finditer(dotted):
        token = match.group()
        if token.startswith('"'):
            token = tomllib.loads(f"k = {token}")["k"]
        elif token.startswith("'"):
            token = token[1:-1]
        parts.append(token)
    return tuple(parts)


class SourceIndex:
    """Line numbers of the tables and keys in a TOML text, by key path."""

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        aot_index: dict[KeyPath, int] = {}
        current: KeyPath = ()
        open_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if open_string is not None:
                if open_string in line:
                    open_string = None
                continue
            if match := _AOT_HEADER.match(line):
                parts = _split_dotted(match.group(1))
                table = (*self._resolve(parts[:-1], aot_index), parts[-1])
                aot_index[table] = aot_index.get(table, -1) + 1
                current = (*table, aot_index[table])
                self._lines.setdefault(current, number)
            elif match := _HEADER.match(line):
                current = self._resolve(_split_dotted(match.group(1)), aot_index)
                self._lines.setdefault(current, number)
            elif match := _KEY_LINE.match(line):
                parts = _split_dotted(match.group(1))
                for length in range(1, len(parts) + 1):
                    self._lines.setdefault((*current, *parts[:length]), number)
            for delimiter in ('"""', "'''"):
                if line.count(delimiter) % 2 == 1:
                    open_string = delimiter
                    break

    @staticmethod
    def _resolve(parts: Sequence[str], aot_index: dict[KeyPath, int]) -> KeyPath:
        path: KeyPath = ()
        for part in parts:
            path = (*path, part)
            if path in aot_index:
                path = (*path, aot_index[path])
        return path

    def line_for(self, path: KeyPath) -> int | None:
        for length in range(len(path), 0, -1):
            line = self._lines.get(path[:length])
            if line is not None:
                return line
        return None


class Problems:
    """Collects ``ConfigProblem`` s with their lines."""

    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self.items: list[ConfigProblem] = []

    def add(self, path: KeyPath, message: str) -> None:
        self.items.append(ConfigProblem(render_key(path), message, self.index.line_for(path)))

    def wrong_type(self, path: KeyPath, expected: str, value: object) -> None:
        self.add(path, MSG_WRONG_TYPE.format(expected=expected, got=toml_type(value)))


def unknown_key_message(key: str, known: Sequence[str], what: str = MSG_UNKNOWN_KEY) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"{what} (did you mean {close[0]!r}?)"
    if known:
        return f"{what} (expected one of: {', '.join(known)})"
    return what


class Table:
    """A TOML table being read. Getters return the default after recording a problem, so
    parsing continues; ``finish()`` reports the keys nobody asked for."""

    def __init__(
        self,
        problems: Problems,
        data: dict[str, Any],
        path: KeyPath,
        known: Sequence[str] | None = None,
    ) -> None:
        self.problems = problems
        self.data = data
        self.path = path
        self.known = known

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING and required:
            self.problems.add((*self.path, key), MSG_MISSING_KEY)
        return value

    def raw(self, key: str) -> Any:
        """The value, or ``None`` when missing (no type check)."""
        value = self.data.get(key, _MISSING)
        return None if value is _MISSING else value

    def has(self, key: str) -> bool:
        return key in self.data

    def string(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.problems.wrong_type((*self.path, key), "a string", value)
            return default
        if not value.strip():
            self.problems.add((*self.path, key), MSG_EMPTY_STRING)
            return default
        return value

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        required: bool = False,
        minimum: float | None = None,
        exclusive: bool = False,
    ) -> float | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        return check_number(self.problems, (*self.path, key), value, minimum, exclusive, default)

    def integer(self, key: str, *, minimum: int | None = None) -> int | None:
        value = self._get(key, False)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.wrong_type((*self.path, key), "an integer", value)
            return None
        if minimum is not None and value < minimum:
            self.problems.add(
                (*self.path, key),
                MSG_TOO_SMALL.format(relation="at least", bound=minimum, value=value),
            )
            return None
        return value

    def boolean(self, key: str) -> bool | None:
        value = self._get(key, False)
        if value is _MISSING:
            return None
        if not isinstance(value, bool):
            self.problems.wrong_type((*self.path, key), "a boolean (true or false)", value)
            return None
        return value

    def timezone(
        self, key: str, default: str | None = None, *, required: bool = False
    ) -> str | None:
        """An IANA timezone name that this machine's tz database knows."""
        value = self.string(key, None, required=required)
        if value is None:
            return default
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.problems.add((*self.path, key), MSG_BAD_TIMEZONE.format(value=value))
            return default
        return value

    def array(self, key: str) -> list[Any]:
        """The array's items (``[]`` when missing or of the wrong type)."""
        value = self._get(key, False)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.problems.wrong_type((*self.path, key), "an array", value)
            return []
        return value

    def string_list(self, key: str) -> tuple[str, ...]:
        """The non-empty strings of an array; other items are reported and dropped."""
        strings = []
        for index, item in enumerate(self.array(key)):
            if not isinstance(item, str):
                self.problems.wrong_type((*self.path, key, index), "a string", item)
            elif not item.strip():
                self.problems.add((*self.path, key, index), "must not be an empty string")
            else:
                strings.append(item)
        return tuple(strings)

    def table(self, key: str, known: Sequence[str] | None = None) -> Table:
        """A sub-table (an empty one when missing or of the wrong type)."""
        value = self._get(key, False)
        if value is _MISSING:
            value = {}
        elif not isinstance(value, dict):
            self.problems.wrong_type((*self.path, key), "a table", value)
            value = {}
        return Table(self.problems, value, (*self.path, key), known)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(self.data.items())

    def finish(self) -> None:
        if self.known is None:
            return
        for key in self.data:
            if key not in self.known:
                self.problems.add((*self.path, key), unknown_key_message(key, self.known))


def check_number(
    problems: Problems,
    path: KeyPath,
    value: object,
    minimum: float | None = None,
    exclusive: bool = False,
    default: float | None = None,
) -> float | None:
    """``value`` as a float when it is a finite TOML number at or above ``minimum`` (strictly
    above when ``exclusive``); otherwise record why and return ``default``. Booleans are not
    numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.wrong_type(path, "a number", value)
        return default
    if not math.isfinite(value):
        problems.add(path, MSG_NOT_FINITE.format(value=value))
        return default
    if minimum is not None and (value <= minimum if exclusive else value < minimum):
        relation = "greater than" if exclusive else "at least"
        problems.add(path, MSG_TOO_SMALL.format(relation=relation, bound=minimum, value=value))
        return default
    return float(value)
