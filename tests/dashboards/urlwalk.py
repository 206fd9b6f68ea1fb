"""Every URL pattern of the URLconf as a concrete path: converters and regex groups filled in
with values they accept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from django.urls import URLPattern, URLResolver, converters, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

DUMMIES = {
    converters.IntConverter: "1",
    converters.StringConverter: "x",
    converters.SlugConverter: "x",
    converters.PathConverter: "x/y",
    converters.UUIDConverter: "00000000-0000-0000-0000-000000000000",
}
_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class WalkedUrl:
    path: str
    name: str  # "namespace:name", or the view's dotted path when unnamed


def _in_set(items: list) -> str:
    negate = bool(items) and items[0][0] is sre.NEGATE
    if negate:
        excluded = {chr(value) for op, value in items[1:] if op is sre.LITERAL}
        return next(c for c in "xyz1" if c not in excluded)
    op, value = items[0]
    if op is sre.LITERAL:
        return chr(value)
    if op is sre.RANGE:
        return chr(value[0])
    if op is sre.CATEGORY:
        return "1" if value is sre.CATEGORY_DIGIT else "x"
    raise ValueError(f"unsupported character set {items!r}")


def _emit(parsed: object) -> str:
    out: list[str] = []
    for op, value in parsed:  # type: ignore[attr-defined]
        if op is sre.LITERAL:
            out.append(chr(value))
        elif op is sre.NOT_LITERAL:
            out.append("x" if chr(value) != "x" else "y")
        elif op is sre.ANY:
            out.append("x")
        elif op is sre.IN:
            out.append(_in_set(value))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, sub = value
            out.append(_emit(sub) * (max(low, 1) if high else 0))
        elif op is sre.SUBPATTERN:
            out.append(_emit(value[-1]))
        elif op is sre.BRANCH:
            out.append(_emit(value[1][0]))
        elif op is sre.AT:
            continue
        else:
            raise ValueError(f"unsupported regex construct {op}")
    return "".join(out)


def example(pattern: object) -> str:
    """A string the pattern (RoutePattern or RegexPattern) matches."""
    if isinstance(pattern, RoutePattern):
        route = str(pattern._route)

        def fill(match: re.Match[str]) -> str:
            converter = pattern.converters[match.group("name")]
            return DUMMIES.get(type(converter), "1")

        return _ROUTE_PARAM.sub(fill, route)
    if isinstance(pattern, RegexPattern):
        return _emit(sre_parse.parse(pattern._regex))
    raise TypeError(f"unsupported pattern {pattern!r}")


def walk(
    patterns: list | None = None, prefix: str = "/", namespace: str = ""
) -> Iterator[WalkedUrl]:
    """Each URL pattern, with the concrete path that reaches it."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + example(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else entry.lookup_str
            yield WalkedUrl(prefix + example(entry.pattern), name)
