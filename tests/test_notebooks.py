"""The committed notebooks: stripped, thin, tagged with the fixed vocabulary."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
#: docs/architecture.md's fixed tag vocabulary.
ALLOWED_TAGS = {"parameters", "remove-input", "remove-cell"}


def test_there_are_notebooks():
    assert any(p.name == "training_report.ipynb" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_and_committed_without_outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a code cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_defines_no_functions_or_classes(path):
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        # IPython turns magics (%config ...) into Python first, as the kernel does.
        tree = ast.parse(TransformerManager().transform_cell(cell.source))
        defs = [n for n in ast.walk(tree)
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))]
        assert not defs, f"{path.name}: logic belongs in reportlib/, not in a notebook cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_tags_and_single_parameters_cell(path):
    nb = nbformat.read(str(path), as_version=4)
    tags = [set(c.metadata.get("tags", [])) for c in nb.cells]
    assert set().union(*tags) <= ALLOWED_TAGS
    assert sum("parameters" in t for t in tags) == 1
