"""docs/security.md stays true: every claim names at least one test, and every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
# Statements of how the doc itself is organised, not claims about the app.
NOT_CLAIMS = ("Every admin is registered on the project's admin site",)


def claims() -> list[str]:
    items, current = [], None
    for line in DOC.read_text().splitlines():
        if line.startswith("- "):
            current = [line]
            items.append(current)
        elif current is not None and line.startswith("  "):
            current.append(line)
        else:
            current = None
    return [" ".join(part.strip() for part in item) for item in items]


def test_every_claim_names_a_test():
    found = claims()
    assert len(found) > 20
    untested = [
        c[:90] for c in found if not REFERENCE.search(c) and not c.startswith(tuple(f"- {n}" for n in NOT_CLAIMS))
    ]
    assert untested == [], "claims in docs/security.md without a test:\n" + "\n".join(untested)


def test_every_named_test_exists():
    missing = []
    for path, name in REFERENCE.findall(DOC.read_text()):
        source = ROOT / path
        if not source.exists() or not re.search(rf"^def {name}\(", source.read_text(), re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert missing == []
