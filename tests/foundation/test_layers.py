"""The import rules of docs/architecture.md hold: the import-linter contracts in .importlinter, and views that
read through selectors rather than model managers."""

import ast
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
VIEW_MODULES = sorted((ROOT / "scheduling" / "views").glob("*.py")) + [ROOT / "scheduling" / "reminders" / "views.py"]


def test_the_import_contracts_hold():
    """Engine free of Django, selectors free of services, no cycles, the layers, no test code in the apps."""
    assert lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True, no_logo=True) == 0


def _manager_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "objects"
    ]


def test_scheduling_views_read_through_selectors_not_model_managers():
    uses = [use for path in VIEW_MODULES for use in _manager_uses(path)]
    assert uses == []


def test_the_manager_check_sees_a_manager_use(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def view(request):\n    return Chair.objects.all()\n")
    assert _manager_uses(sample) == ["sample.py:2"]
