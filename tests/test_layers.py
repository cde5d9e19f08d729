"""The code's layers only point down, and no module imports itself back through others.

sources → staging/validation → warehouse → charts → report → assets/definitions: a module may import its own
layer and the layers below it, never one above (imports inside functions count too), and the import graph
has no circles. A new module must be placed in a layer here.
"""

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipelines"
# Lowest first. A name covers the module and everything under it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundations",
        (
            "pipelines.problems", "pipelines.layout", "pipelines.schema", "pipelines.files", "pipelines.exports",
            "pipelines.provenance", "pipelines.vocabulary", "pipelines.markdown", "pipelines.wording",
            "pipelines.progress", "pipelines.processes",
            "pipelines.columns", "pipelines.rows",
        ),
    ),
    ("sources", ("pipelines.sheets", "pipelines.spreadsheets", "pipelines.sources", "pipelines.eurostat")),
    ("staging/validation", ("pipelines.validation", "pipelines.kinds")),
    ("warehouse", ("pipelines.warehouse", "pipelines.preferred", "pipelines.changes", "pipelines.publish")),
    ("charts", ("pipelines.charts",)),
    ("report", ("pipelines.report",)),
    (
        "assets/definitions",
        (
            "pipelines.assets", "pipelines.definitions", "pipelines.automation", "pipelines.catalog",
            "pipelines.jobs", "pipelines.alerts", "pipelines.ui", "pipelines.__main__", "pipelines.versions",
            "pipelines.stale", "pipelines.history",
        ),
    ),
]  # fmt: skip


def module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path) -> dict[str, set[str]]:
    """Each module of the package → the package's modules it imports (at the top or inside a function)."""
    modules = {module_name(path, package): path for path in package.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
                imported |= {t if t in modules else node.module for t in targets}
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
        graph[name] = {target for target in imported if target in modules and target != name}
    return graph


def layer_of(module: str) -> int | None:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    return None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a lower layer to a higher one, in words."""
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            low, high = layer_of(module), layer_of(target)
            if low is not None and high is not None and high > low:
                found.append(f"{module} ({LAYERS[low][0]}) imports {target} ({LAYERS[high][0]})")
    return found


def import_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports, or None."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return error.args[1]
    return None


def test_every_module_has_a_layer():
    unplaced = sorted(module for module in import_graph(PACKAGE) if module != "pipelines" and layer_of(module) is None)
    assert not unplaced, f"place these modules in a layer in tests/test_layers.py: {unplaced}"


def test_no_module_imports_a_higher_layer():
    assert upward_imports(import_graph(PACKAGE)) == []


def test_there_are_no_import_circles():
    assert import_cycle(import_graph(PACKAGE)) is None


@pytest.fixture
def tangled(tmp_path: Path) -> Path:
    """A package whose validation imports the asset layer, and whose report and assets import each other."""
    package = tmp_path / "pipelines"
    for name, text in {
        "__init__.py": "",
        "validation/__init__.py": "",
        "validation/checks.py": "from pipelines.assets.metadata import markdown_table\n",
        "assets/__init__.py": "",
        "assets/metadata.py": "",
        "assets/charts.py": "def report():\n    from pipelines.report.build import build_report\n",
        "report/__init__.py": "",
        "report/build.py": "from pipelines.assets.charts import CHART_ASSETS\n",
    }.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    return package


def test_the_checks_catch_an_upward_import_and_a_circle(tangled: Path):
    graph = import_graph(tangled)
    assert upward_imports(graph) == [
        "pipelines.report.build (report) imports pipelines.assets.charts (assets/definitions)",
        "pipelines.validation.checks (staging/validation) imports pipelines.assets.metadata (assets/definitions)",
    ]
    assert set(import_cycle(graph)) == {"pipelines.assets.charts", "pipelines.report.build"}
