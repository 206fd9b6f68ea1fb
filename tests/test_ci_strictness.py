"""Under CI a skipped test fails (``tests.ci_strict``); locally it still skips with its reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = '''
import pytest

def test_needs_redis():
    pytest.skip("Redis does not answer")

@pytest.mark.skipif(True, reason="needs chromium")
def test_needs_chromium():
    pass

@pytest.mark.xfail(reason="a known bug")
def test_known_bug():
    assert False
'''


def run_probe(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(probe), "-q", "-rA", "-p", "no:randomly",
         "-p", "tests.ci_strict", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
         "-p", "no:cacheprovider"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )


def test_a_skipped_test_fails_under_ci_naming_its_skip_reason(tmp_path: Path) -> None:
    result = run_probe(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    assert "skipped under CI=true, where nothing may skip: Skipped: Redis does not answer" in (
        result.stdout
    )
    assert "needs chromium" in result.stdout
    assert "1 failed, 1 xfailed, 1 error" in result.stdout


def test_a_skipped_test_still_skips_outside_ci(tmp_path: Path) -> None:
    result = run_probe(tmp_path, None)
    assert result.returncode == 0, result.stdout
    assert "2 skipped, 1 xfailed" in result.stdout
