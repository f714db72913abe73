"""The layers of docs/architecture.md, held by tests: no import cycle, imports one way.

The import graph is read from the source (every import statement, lazy ones
inside functions included, ``TYPE_CHECKING`` blocks left out): a lazy import is
still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reportlib"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports (``from a import b`` counts a.b if a module)."""
    out: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            out.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module is None or node.level:
                return
            subs = {f"{node.module}.{a.name}" for a in node.names} & MODULES.keys()
            # ``from package import submodule`` depends on the submodule only.
            if len(subs) < len(node.names):
                out.add(node.module)
            out.update(subs)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in out if name in MODULES}


GRAPH = {name: _imports(path) - {name, "reportlib"} for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in GRAPH[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle():
    assert _cycles() == []


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("reportlib.run", "reportlib.present"),
        ("reportlib.run", "reportlib.analysis"),
        ("reportlib.ingest", "reportlib.analysis"),
        ("reportlib.ingest", "reportlib.present"),
        ("reportlib.scoring", "reportlib.analysis"),
        ("reportlib.analysis", "reportlib.present"),
        ("reportlib.analysis", "reportlib.pipeline"),
        ("reportlib.analysis", "reportlib.build"),
        ("reportlib.pipeline", "reportlib.present"),
        ("reportlib.pipeline", "reportlib.build"),
        ("reportlib.present", "reportlib.build"),
    ],
)
def test_imports_go_one_way(lower, upper):
    offenders = sorted(
        f"{name} imports {dep}"
        for name, deps in GRAPH.items() if name == lower or name.startswith(lower + ".")
        for dep in deps if dep == upper or dep.startswith(upper + ".")
    )
    assert offenders == []


@pytest.mark.parametrize("library", ["matplotlib", "seaborn", "nbconvert", "papermill"])
def test_the_analysis_draws_nothing(library):
    offenders = []
    for name, path in MODULES.items():
        if name.startswith("reportlib.analysis"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import) and any(
                        a.name.split(".")[0] == library for a in node.names):
                    offenders.append(name)
                module = node.module if isinstance(node, ast.ImportFrom) else None
                if module and module.split(".")[0] == library:
                    offenders.append(name)
    assert offenders == []



#: A module longer than this says in its docstring why it is one module.
MAX_LINES = 500
LONG_MODULE_MARK = "Over 500 lines:"


def test_long_modules_say_why():
    unexplained = []
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > MAX_LINES and LONG_MODULE_MARK not in docstring:
            unexplained.append(f"{name} ({text.count(chr(10))} lines)")
    assert unexplained == [], f"split them, or say '({LONG_MODULE_MARK} why)' in the docstring"
