"""The benchmark make targets refuse to run without a dedicated database (they wipe or fill it)."""

import os
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("target", "extra", "needed"),
    [
        ("bench", {}, "BENCH_DATABASE_URL"),
        ("bench-reminders", {}, "BENCH_DATABASE_URL"),
        ("bench-reminders", {"BENCH_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}, "BENCH_REDIS_URL"),
    ],
)
def test_a_benchmark_target_without_its_database_stops_with_a_clear_error(target, extra, needed):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    env.update(extra, DATABASE_URL="postgres://nobody@127.0.0.1:1/must-not-be-used")
    result = subprocess.run(["make", target], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert f"make {target} needs" in result.stderr and needed in result.stderr
    assert "manage.py" not in result.stdout  # nothing ran against any database
