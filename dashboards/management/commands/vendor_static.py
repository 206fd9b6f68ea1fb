"""``manage.py vendor_static``: copy plotly.js from the installed plotly package into static/.

Writes into ``static/vendor/``:

- ``plotly.min.js``, the bundle;
- the stylesheets plotly.js would otherwise inject as inline ``<style>`` elements, which our
  Content-Security-Policy forbids: ``plotly.css`` (its own rules) and ``plotly-style-<n>.css``
  (stylesheets of bundled libraries, e.g. MapLibre's);
- ``plotly-styles.json``, the ``<link>`` elements to put in the page for them. plotly.js skips
  an injection when an element with the right id exists (for its own rules, one with class
  ``no-inline-styles``), so linking the files under those ids replaces the inline styles.
"""

from __future__ import annotations

import filecmp
import json
import re
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

MSG_NO_PLOTLY = "the plotly package is not installed (pip install plotly)"
MSG_NO_BUNDLE = "plotly.min.js not found in the plotly package at {path}"
MSG_NO_RULES = (
    "could not find plotly.js's stylesheet rules in {path}: this plotly.js version stores "
    "them differently; update dashboards/management/commands/vendor_static.py"
)
MSG_STALE = "{path} is missing or differs from the installed plotly package: run vendor_static"

# plotly.js's src/css/_plotcss: {"X,X div": "...", ..., Y: "...", "Y p": "..."}, where X is the
# plot container and Y the notifier. Keys and values are plain JS string literals (or a bare Y).
_RULES_ANCHOR = '{"X,X div":'
_ENTRY = re.compile(
    r"""\s*(?:"(?P<dq>[^"\\]*)"|'(?P<sq>[^'\\]*)'|(?P<bare>[A-Za-z_$][\w$]*))\s*:\s*"""
    r"""(?:"(?P<vdq>[^"\\]*)"|'(?P<vsq>[^'\\]*)')\s*(?P<end>[,}])"""
)


# A bundled library's stylesheet: if(!document.getElementById("<id>")){var e=
# document.createElement("style");e.id="<id>",e.textContent='<css>' ...
_GUARDED_STYLE = re.compile(
    r"""document\.getElementById\("(?P<id>[\w-]{8,})"\)\)\{var (?P<var>\w+)="""
    r"""document\.createElement\("style"\);(?P=var)\.id="(?P=id)",(?P=var)\.textContent="""
    r"""'(?P<css>(?:[^'\\]|\\.)*)'"""
)
MANIFEST = "plotly-styles.json"


def plotly_bundle() -> Path:
    try:
        import plotly
    except ImportError:
        raise CommandError(MSG_NO_PLOTLY) from None
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise CommandError(MSG_NO_BUNDLE.format(path=path))
    return path


def plotly_css(bundle_text: str, source: str = "plotly.min.js") -> str:
    """The stylesheet plotly.js injects at load, extracted from its bundle."""
    start = bundle_text.find(_RULES_ANCHOR)
    if start < 0:
        raise CommandError(MSG_NO_RULES.format(path=source))
    rules: list[tuple[str, str]] = []
    position = start + 1
    while True:
        match = _ENTRY.match(bundle_text, position)
        if match is None:
            raise CommandError(MSG_NO_RULES.format(path=source))
        key = match.group("dq") or match.group("sq") or match.group("bare") or ""
        value = match.group("vdq") if match.group("vdq") is not None else match.group("vsq")
        selector = (
            re.sub(r"^,", " ,", key)
            .replace("X", ".js-plotly-plot .plotly")
            .replace("Y", ".plotly-notifier")
        )
        rules.append((selector, value or ""))
        position = match.end()
        if match.group("end") == "}":
            break
    version = re.search(r"plotly\.js v([\w.\-]+)", bundle_text[:500])
    header = f"/* plotly.js {version.group(1) if version else ''} stylesheet, "
    header += "written by manage.py vendor_static */\n"
    # plotly.js inserts each rule at index 0, so the last one it adds comes first.
    return header + "".join(f"{sel}{{{body}}}\n" for sel, body in reversed(rules))


def guarded_styles(bundle_text: str) -> list[tuple[str, str]]:
    """``(element id, css)`` of each stylesheet the bundle injects unless the id exists."""
    return [
        (match.group("id"), re.sub(r"\\(.)", r"\1", match.group("css")))
        for match in _GUARDED_STYLE.finditer(bundle_text)
    ]


def vendored_files(bundle_text: str, source: str = "plotly.min.js") -> dict[str, str]:
    """File name → text of every generated file (the stylesheets and the manifest)."""
    files = {"plotly.css": plotly_css(bundle_text, source)}
    links = [{"id": "plotly.js-style-global", "class": "no-inline-styles", "href": "plotly.css"}]
    for n, (element_id, css) in enumerate(guarded_styles(bundle_text), start=1):
        name = f"plotly-style-{n}.css"
        files[name] = css + "\n"
        links.append({"id": element_id, "class": "", "href": name})
    files[MANIFEST] = json.dumps(links, indent=2) + "\n"
    return files


class Command(BaseCommand):
    help = (
        "Copy plotly.min.js from the installed plotly package to static/vendor/ and write "
        "the stylesheets it would inject inline (so pages need no inline styles)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dest",
            type=Path,
            default=Path(settings.BASE_DIR) / "static" / "vendor",
            help="target folder (default: static/vendor in the project)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit non-zero when the vendored files are out of date",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dest: Path = options["dest"]
        bundle = plotly_bundle()
        generated = vendored_files(bundle.read_text(encoding="utf-8"), str(bundle))
        js_target = dest / "plotly.min.js"
        if options["check"]:
            stale = [] if js_target.is_file() and filecmp.cmp(bundle, js_target, False) else [
                js_target
            ]
            for name, text in generated.items():
                target = dest / name
                if not target.is_file() or target.read_text(encoding="utf-8") != text:
                    stale.append(target)
            if stale:
                raise CommandError("\n".join(MSG_STALE.format(path=path) for path in stale))
            self.stdout.write("vendored static files are up to date")
            return
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundle, js_target)
        for old in dest.glob("plotly-style-*.css"):
            old.unlink()
        for name, text in generated.items():
            (dest / name).write_text(text, encoding="utf-8")
        size_mb = js_target.stat().st_size / 1e6
        names = ", ".join(generated)
        self.stdout.write(f"wrote {js_target} ({size_mb:.1f} MB) and {names} in {dest}")
