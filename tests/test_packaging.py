"""The package installs as users get it: a wheel with its notebooks, into a clean virtualenv.

The notebooks live once in the repository, in the top-level notebooks/ folder,
and pyproject.toml ships them inside the wheel as ``reportlib.notebooks``. The
slow test builds the wheel, installs it (not editable) into a new virtualenv
and builds a report with that install's own ``reportlib`` command.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_folder_is_listed():
    """pyproject.toml lists the packages (to map notebooks/ in): none may be forgotten."""
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "reportlib").rglob("*.py")
             if "__pycache__" not in p.parts}
    found |= {".".join(p.relative_to(ROOT).parts) for p in (ROOT / "reportlib" / "templates")
              .rglob("*") if p.is_dir()} | {"reportlib.templates", "reportlib.notebooks"}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_the_runtime_needs_no_jupyter_metapackage_and_pins_no_torch():
    project = _pyproject()["project"]
    names = [r.split(">")[0].split("=")[0].split("<")[0].strip() for r in project["dependencies"]]
    assert "jupyter" not in names
    assert {"papermill", "nbconvert", "nbformat", "ipykernel"} <= set(names)
    for extra, requirements in project["optional-dependencies"].items():
        assert not any(r.startswith("torch==") for r in requirements), extra


def test_the_notebook_is_found_from_the_source_tree():
    from reportlib.build import NOTEBOOK

    assert NOTEBOOK == ROOT / "notebooks" / "training_report.ipynb"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, text=True)
    (built,) = out.glob("reportlib-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_carries_the_notebooks_and_the_template(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"reportlib/notebooks/{notebook.name}" in names
    assert "reportlib/templates/reportlib_html/index.html.j2" in names


@pytest.mark.slow
def test_a_clean_install_of_the_wheel_builds_a_report(wheel, tmp_path, example_run):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                              str(wheel)], capture_output=True, text=True, env=env)
    assert install.returncode == 0, install.stderr[-3000:]
    assert "deprecated" not in install.stderr.lower(), install.stderr[-3000:]
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import reportlib.build as b, reportlib.compare as c;"
                            " print(b.__file__); print(b.NOTEBOOK); print(c.COMPARE_NOTEBOOK)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    module, notebook, compare_notebook = where.stdout.split()
    assert str(venv) in module and str(venv) in notebook  # the install's, not this checkout's
    assert str(venv) in compare_notebook and Path(compare_notebook).is_file()
    build = subprocess.run([str(venv / "bin" / "reportlib"), "build", str(example_run),
                            "-o", str(tmp_path / "reports"), "--no-progress"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert build.returncode == 0, build.stdout + build.stderr
    (html,) = (tmp_path / "reports").glob("*/report.html")  # the folder is the run's name
    assert html.stat().st_size > 10_000
    assert (html.parent / "summary.json").is_file()
