"""The package's layers run one way: data -> models -> resolve -> engine -> analysis -> API.

An AST walk over ``cbam/`` (no import is run): every module belongs to one layer and imports
only its own layer and those below; the imports between modules form no cycle; imports sit at
module level, except of the optional packages listed below, loaded only when a feature needs
them; and no module imports another's private (underscored) name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cbam"

# Bottom to top. A new module is placed here deliberately (the test fails until it is).
LAYERS: dict[str, tuple[str, ...]] = {
    "foundation": (
        "cbam._errors",
        "cbam._files",
        "cbam._resources",
        "cbam._yaml",
        "cbam._interop",
        "cbam._progress",
        "cbam.blocks",
    ),
    "data": (
        "cbam._countries",
        "cbam._parameters",
        "cbam._eu",
        "cbam._eu.reference",
        "cbam._eu.config",
        "cbam._eu.weights",
        "cbam._carbon_prices",
        "cbam._exemptions",
        "cbam._territory",
    ),
    "models": (
        "cbam._schema",
        "cbam._trade_formats",
        "cbam._design",
        "cbam._recycling",
        "cbam._scenario",
    ),
    "resolve": ("cbam._eu.lookup", "cbam._resolve"),
    "engine": ("cbam._engine", "cbam._pipeline"),
    "analysis": (
        "cbam._summary",
        "cbam._compare",
        "cbam._sweep",
        "cbam._totals",
        "cbam._indicators",
        "cbam._trade_response",
        "cbam.charts",
    ),
    "api": (
        "cbam._api",
        "cbam",
        "cbam.cli",
        "cbam.__main__",
        "cbam.testing",
        "cbam.testing._catalogue",
        "cbam.testing._check",
        "cbam.testing.strategies",
    ),
}
LEVEL = {module: level for level, modules in enumerate(LAYERS.values()) for module in modules}
# Imports that may stay inside a function: optional or heavy packages a feature loads only when
# it runs (charts, Dask sweeps, progress bars, the Excel writer, the hypothesis-based check).
LAZY: dict[str, set[str]] = {
    "cbam.charts": {"matplotlib.figure", "matplotlib.ticker"},
    "cbam._sweep": {"distributed"},
    "cbam._progress": {"tqdm"},
    "cbam.cli": {"xlsxwriter", "cbam.testing"},
}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def _module_level(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports at module level, those under ``if TYPE_CHECKING:`` included."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            found += [n for n in node.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return found


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The cbam modules an import reads (``from cbam import blocks`` reads ``cbam.blocks``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "cbam"]
    module = node.module or ""
    if module.split(".")[0] != "cbam":
        return []
    return [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module for a in node.names]


def _imports(name: str) -> set[str]:
    return {t for node in _module_level(TREES[name]) for t in _targets(node) if t != name}


def test_every_module_has_a_layer() -> None:
    assert sorted(set(MODULES) - set(LEVEL)) == []
    assert sorted(set(LEVEL) - set(MODULES)) == []  # no stale entry


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_only_its_layer_and_those_below(name: str) -> None:
    above = {t: _layer(t) for t in _imports(name) if LEVEL[t] > LEVEL[name]}
    assert above == {}, f"{name} ({_layer(name)}) imports from a layer above it"


def _layer(module: str) -> str:
    return list(LAYERS)[LEVEL[module]]


def test_the_imports_between_modules_form_no_cycle() -> None:
    graph = {name: _imports(name) for name in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_inside_functions_are_only_of_optional_packages(name: str) -> None:
    tree = TREES[name]
    top = {id(node) for node in _module_level(tree)}
    local = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top
        for alias in node.names
    }
    assert local - LAZY.get(name, set()) == set()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(name: str) -> None:
    private = [
        f"{node.module}.{alias.name}"
        for node in _module_level(TREES[name])
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "cbam"
        for alias in node.names
        # A private module is the package's way; a private name inside one is not.
        if alias.name.startswith("_")
        and not alias.name.startswith("__")
        and f"{node.module}.{alias.name}" not in MODULES
    ]
    assert private == []


def test_the_walk_sees_what_it_checks() -> None:
    # The walk is not vacuous: the engine reads the models, the API the engine.
    assert "cbam._scenario" in _imports("cbam._pipeline")
    assert "cbam._pipeline" in _imports("cbam")
    assert "cbam._engine" in _imports("cbam._pipeline")
    assert LAZY["cbam.charts"] <= {"matplotlib.figure", "matplotlib.ticker"}
