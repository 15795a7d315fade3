"""A run on a machine without Chromium says at its end that the browser tests were skipped, and how to fix it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_run_without_chromium_ends_by_saying_the_browser_tests_were_skipped():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PYTEST_ADDOPTS")}
    env["CHROMIUM_PATH"] = "/nonexistent/chromium"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "tests/browser/test_csp.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tests = (ROOT / "tests/browser/test_csp.py").read_text().count("\ndef test_")
    summary = [line for line in result.stdout.splitlines() if "browser test" in line and "skipped:" in line]
    assert summary == [
        f"{tests} browser test{'' if tests == 1 else 's'} skipped: Chromium not found at /nonexistent/chromium; "
        "install with apt-get install -y chromium"
    ], result.stdout
