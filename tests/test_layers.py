"""Imports run one way through the pipeline's packages (issue 13; ``docs/architecture.md``).

Every module of ``routing_health`` and ``dashboards`` is parsed (``ast``, imports inside functions
and ``TYPE_CHECKING`` blocks included) and each import of ours is checked against the order below,
written here from the issue, not read from the code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lowest first: a package may import its own modules and those of packages before it, never after.
ORDER = (
    "lib",
    "config",
    "salesforce",  # the boundary
    "models",  # may be imported by sync and everything above it
    "sync",
    "facts",
    "rollups",
    "alerts",
    "reports",
    "routing_tests",  # the routing test pack (issue 16): reads the org, judges, stores runs
    "jobs",
    "dashboards",
    "management",
    "project",  # settings, urls, wsgi, admin, apps
)
# Leaves: they import nothing of ours except lib (and themselves); anything above lib may use them.
LEAVES = {
    "metrics": {"lib"},  # the pure engine
    "slack": {"lib"},  # the transport: no domain types
    "mail": {"lib"},  # the SMTP transport: no domain types either
    "sandbox": {"lib"},  # the emulators and the synthetic org
}
OURS = ("routing_health", "dashboards")


def package_of(module: str) -> str:
    """``routing_health.sync.service`` → ``sync``; ``dashboards.ops.views`` → ``dashboards``."""
    parts = module.split(".")
    if parts[0] == "dashboards":
        return "dashboards"
    if len(parts) == 1:
        return "project"
    name = parts[1]
    if name in ORDER or name in LEAVES:
        return name
    return "project"  # routing_health.settings, .urls, .wsgi, .admin, .apps


def may_import(importer: str, imported: str) -> bool:
    if importer == imported:
        return True
    if importer in LEAVES:
        return imported in LEAVES[importer]
    if imported in LEAVES:
        return importer != "lib"
    return ORDER.index(imported) <= ORDER.index(importer)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every import of ours in ``path``, relative ones resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target in OURS:  # ``from routing_health import x``: x is a module
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return [(line, module) for line, module in found if module.split(".")[0] in OURS]


def production_modules() -> list[Path]:
    paths = []
    for top in OURS:
        paths += [p for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts]
    return sorted(paths)


def upward_imports(paths: list[Path]) -> list[str]:
    problems = []
    for path in paths:
        importer = package_of(module_name(path))
        for line, module in imports_of(path):
            imported = package_of(module)
            if not may_import(importer, imported):
                where = f"{path.relative_to(ROOT)}:{line}"
                problems.append(f"{where}: {importer} imports {module} ({imported})")
    return problems


def test_no_module_imports_a_package_above_its_own():
    assert upward_imports(production_modules()) == []


def test_every_package_of_routing_health_has_a_place_in_the_order():
    packages = {p.name for p in (ROOT / "routing_health").iterdir() if (p / "__init__.py").exists()}
    assert packages - {"migrations"} <= set(ORDER) | set(LEAVES)


@pytest.mark.parametrize(
    ("importer", "source", "upward"),
    [
        ("routing_health/sync/x.py", "from routing_health.rollups.service import x\n", True),
        ("routing_health/slack/x.py", "from routing_health.alerts.message import x\n", True),
        ("routing_health/metrics/x.py", "from routing_health.config import x\n", True),
        ("routing_health/salesforce/x.py", "from routing_health.models import Lead\n", True),
        ("routing_health/lib/x.py", "from routing_health.metrics import x\n", True),
        ("routing_health/facts/x.py", "from ..sync import objects\n", False),
        ("routing_health/alerts/x.py", "from routing_health.slack.transport import x\n", False),
        ("routing_health/sync/x.py", "def f():\n    from dashboards import filters\n", True),
    ],
)
def test_the_check_sees_an_upward_import(tmp_path, monkeypatch, importer, source, upward):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    path = tmp_path / importer
    path.parent.mkdir(parents=True)
    path.write_text(source)
    assert bool(upward_imports([path])) is upward
