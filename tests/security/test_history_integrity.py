"""Changes to history-tracked models must go through paths that keep the history.

`QuerySet.update()`, `bulk_update()` and `bulk_create()` send no signals, so django-simple-history records
nothing for them. This static scan fails when code under patients/ or scheduling/ calls them on a
history-tracked model, or on something the scan cannot tie to a model, unless the call is allow-listed.
Use `save()` per object, or simple_history's `bulk_create_with_history` / `bulk_update_with_history`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("patients", "scheduling", "authorisations", "pharmacy", "daylist", "devtools")
BULK_METHODS = {"update", "bulk_update", "bulk_create"}

# (path relative to the repository, enclosing function) pairs whose bulk calls are known not to touch a
# history-tracked model. Every entry needs a reason.
# The benchmarks fill a dedicated, wiped database with synthetic rows: no history is wanted there.
ALLOWED: set[tuple[str, str]] = {
    ("devtools/management/commands/bench_reminders.py", "_create"),
    ("devtools/management/commands/bench_scheduling.py", "build"),
    ("devtools/management/commands/bench_scheduling.py", "bench_rooms"),
    ("devtools/management/commands/bench_pages.py", "build"),
    ("devtools/management/commands/bench_pages.py", "start_center"),  # a dict's update(): the server's environment
}


@dataclass(frozen=True)
class BulkCall:
    path: str
    function: str
    line: int
    method: str
    model: str | None

    def __str__(self) -> str:
        target = self.model or "an unresolved queryset"
        return f"{self.path}:{self.line} in {self.function}(): {self.method}() on {target}"


def _model_names() -> dict[str, type]:
    names: dict[str, type] = {}
    for model in apps.get_models():
        names.setdefault(model.__name__, model)
    return names


def is_history_tracked(model: type) -> bool:
    return hasattr(model._meta, "simple_history_manager_attribute") or model.__name__.startswith("Historical")


def _root_name(node: ast.AST) -> str | None:
    """The name a method chain starts from: `Appointment` in `Appointment.objects.filter(...).update(...)`."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        else:
            break
    return node.id if isinstance(node, ast.Name) else None


def _looks_like_queryset(receiver: ast.AST) -> bool:
    """`x.update(a=1)` is a queryset update when the chain passes through `.objects`, a manager or a filter."""
    node = receiver
    while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Attribute) and node.attr in {
            "objects",
            "filter",
            "exclude",
            "all",
            "select_for_update",
            "select_related",
            "order_by",
            "annotate",
            "using",
            "history",
            "get_queryset",
        }:
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


# Names that hold dictionaries in this code base: `context.update(form=form)` is not a queryset update.
DICT_NAMES = {"context", "ctx", "kwargs", "data", "defaults", "params", "headers", "initial", "attrs", "extra"}


def _named_like_queryset(receiver: ast.AST, call: ast.Call) -> bool:
    """`name.update(field=value)`: QuerySet.update takes keywords only; a dict's update usually takes a mapping."""
    if not isinstance(receiver, ast.Name):
        return False
    name = receiver.id
    if name in _model_names() or name in {"qs", "queryset"} or name.endswith(("_qs", "_queryset")):
        return True
    return bool(call.keywords) and not call.args and name not in DICT_NAMES


def bulk_calls(source: str, path: str) -> list[BulkCall]:
    tree = ast.parse(source)
    models = _model_names()
    found: list[BulkCall] = []

    def visit(node: ast.AST, function: str, aliases: dict[str, str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name, {})  # each function has its own variables
                continue
            if isinstance(child, ast.Assign) and len(child.targets) == 1 and isinstance(child.targets[0], ast.Name):
                # `rows = Reminder.objects.filter(...)`: later `rows.update(...)` is on Reminder
                root = _root_name(child.value)
                if root is not None:
                    aliases[child.targets[0].id] = aliases.get(root, root)
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                method = child.func.attr
                receiver = child.func.value
                root = _root_name(receiver)
                root = aliases.get(root, root) if root else None
                is_bulk = method in {"bulk_update", "bulk_create"}
                is_queryset_update = method == "update" and (
                    _looks_like_queryset(receiver) or root in models or _named_like_queryset(receiver, child)
                )
                if is_bulk or is_queryset_update:
                    model = models.get(root) if root else None
                    if model is None or is_history_tracked(model):
                        found.append(BulkCall(path, function, child.lineno, method, model.__name__ if model else None))
            visit(child, function, aliases)

    visit(tree, "<module>", {})
    return found


def project_sources() -> list[Path]:
    files = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                files.append(path)
    return files


def test_scan_flags_bulk_writes_to_tracked_models():
    source = """
def cancel_all(day):
    Appointment.objects.filter(day=day).update(status="cancelled")
    Screening.objects.bulk_create([])
    Patient.history.filter(id=1).update(history_user_id=None)

def reorder(qs, appointments):
    qs.filter(active=True).update(position=1)
    qs.update(position=2)
    appointments.update(status="cancelled")
    self.get_queryset().update(status="cancelled")

def move(day):
    booked = Appointment.objects.filter(day=day)
    booked.update(status="moved")
"""
    found = bulk_calls(source, "scheduling/example.py")
    assert [(c.function, c.method, c.model) for c in found] == [
        ("cancel_all", "update", "Appointment"),
        ("cancel_all", "bulk_create", "Screening"),
        ("cancel_all", "update", "Patient"),
        ("reorder", "update", None),
        ("reorder", "update", None),
        ("reorder", "update", None),
        ("reorder", "update", None),
        ("move", "update", "Appointment"),
    ]


def test_scan_lets_untracked_models_and_dicts_through():
    source = """
def tidy(values):
    Reminder.objects.filter(sent=False).update(attempts=0)
    Reminder.objects.bulk_update([], ["status"])
    values.update({"a": 1})
    values.update(other)
    context.update(form=form, page=page)
    pending = Reminder.objects.filter(sent=False)
    pending.update(attempts=3)
    bulk_create_with_history([], Appointment)
"""
    assert bulk_calls(source, "scheduling/example.py") == []


def test_no_bulk_writes_bypass_the_history():
    sources = project_sources()
    assert sources
    violations = []
    for path in sources:
        relative = path.relative_to(ROOT).as_posix()
        for call in bulk_calls(path.read_text(), relative):
            if (call.path, call.function) not in ALLOWED:
                violations.append(str(call))
    assert violations == [], "Bulk writes that leave no history:\n" + "\n".join(violations)


def test_allow_list_entries_still_exist():
    stale = [
        f"{path}:{function}"
        for path, function in sorted(ALLOWED)
        if not (ROOT / path).exists()
        or not any(call.function == function for call in bulk_calls((ROOT / path).read_text(), path))
    ]
    assert stale == [], "no longer bulk-write; remove from ALLOWED"
