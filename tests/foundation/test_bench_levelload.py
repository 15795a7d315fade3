"""The level-loading benchmark's table: an instance CP-SAT found no schedule for says so instead of failing."""

from devtools.management.commands.bench_levelload import report

ROW = {
    "name": "large",
    "bound": 8,
    "opt": 8,
    "proven": True,
    "book": 9,
    "reopt": 8,
    "early": 11,
    "off_opt": 40,
    "off_book": 60,
    "off_reopt": 50,
    "p50": 12.0,
    "p95": 30.0,
    "broken": 0,
}


def test_the_table_gives_each_peak_against_the_optimum_and_the_bound():
    lines = report([ROW], time_limit=40)
    row = next(line for line in lines if line.startswith("large "))
    assert row.split()[6:11] == ["1.12", "1.00", "1.38", "1.12", "1.00"]
    assert "large: at booking meets 1.15x; after re-optimisation meets 1.05x;" in "\n".join(lines)


def test_no_solution_in_the_time_limit_is_said_in_the_table_and_the_verdict():
    lines = report([{**ROW, "opt": None}], time_limit=40)
    text = "\n".join(lines)
    row = next(line for line in lines if line.startswith("large "))
    assert row.count("no solution in 40 s") == 3  # booking, re-optimised and earliest-first against the optimum
    assert "1.12" in row and "1.00" in row  # against the bound, still
    assert "large: CP-SAT found no solution in 40 s, nothing to compare; no rule broken." in text
