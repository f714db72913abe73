"""End to end: papermill executes the real notebook, nbconvert exports it, Chromium opens it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from reportlib import build
from reportlib.errors import BuildError, InputError, ParameterError
from reportlib.provenance import portable_path
from tests.conftest import EXAMPLE_DIR, snapshot

pytestmark = pytest.mark.slow


def test_build_writes_report_files(built_report):
    result, _ = built_report
    assert result.html.name == "report.html" and result.html.stat().st_size > 10_000
    assert result.notebook.name == "report.ipynb"
    assert result.summary.name == "summary.json"
    assert result.report_dir.name == EXAMPLE_DIR  # named by its run.yaml title
    leftovers = [p.name for p in result.report_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "temporary files were left behind"
    assert not (result.report_dir / "report.failed.ipynb").exists()


def test_build_only_reads_the_run_folder(built_report, example_run):
    _, before = built_report
    assert snapshot(example_run) == before


def test_html_is_self_contained_with_code_hidden(built_report):
    html = built_report[0].html.read_text(encoding="utf-8")
    # No script or stylesheet from anywhere but the file itself.
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"?https?:", html)
    assert "require.js" not in html and "mathjax" not in html.lower()
    assert re.search(r'<img[^>]+src="data:image/png;base64,', html)
    # Code is hidden: the notebook's calls do not appear in the page.
    assert "analyze_run(run" not in html and "load_run(run_dir)" not in html


def test_html_holds_the_narratives_numbers(built_report):
    result, _ = built_report
    html = result.html.read_text(encoding="utf-8")
    summary = json.loads(result.summary.read_text(encoding="utf-8"))
    curves = {(c["split"], c["metric"]): c for c in summary["curves"]}
    val = curves[("eval", "loss")]
    chrf = curves[("eval", "chrf")]
    # The narrative states first and last values with 3 significant digits.
    for value in (val["first"], val["last"], chrf["first"], chrf["last"]):
        assert f"{value:.3g}" in html, f"{value:.3g} missing from the report"
    for finding in summary["findings"]:
        assert finding["kind"] and finding["severity"] in {"info", "warning", "critical"}


def test_executed_notebook_records_the_parameters(built_report, example_run):
    nb = nbformat.read(str(built_report[0].notebook), as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    # the record holds the run's path relative to the working folder, never absolute
    assert f'run_dir = "{portable_path(example_run)}"' in injected[0].source
    assert str(example_run.resolve()) not in injected[0].source
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    # Nothing printed to stderr (a library warning would show up in the shared report).
    stderr = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "stream" and o.name == "stderr"]
    assert stderr == []


def test_report_opens_offline_in_chromium(built_report, browser):
    page = browser.new_page()
    requests, console_errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(built_report[0].html.as_uri())
    widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
    text = page.inner_text("body")
    page.close()
    assert requests == [built_report[0].html.as_uri()], "the report loaded something else"
    assert console_errors == []
    assert widths and all(w > 0 for w in widths)
    for heading in ("Training loss", "Validation loss", "Validation chrF", "Caveats"):
        assert heading in text


def test_missing_run_fails_before_writing_anything(tmp_path):
    out = tmp_path / "reports"
    with pytest.raises(InputError, match="no such file or folder"):
        build.build_report(tmp_path / "no-such-run", out)
    assert not out.exists()


def test_bad_smoothing_is_refused(example_run, tmp_path):
    with pytest.raises(ParameterError, match=r"smoothing must be a number in \[0, 1\)"):
        build.build_report(example_run, tmp_path, smoothing=1.5)


def test_failing_notebook_is_kept_and_named(example_run, tmp_path, monkeypatch):
    broken = tmp_path / "broken.ipynb"
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("run_dir = ''\nsmoothing = 0.6")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("raise RuntimeError('boom in a cell')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(broken))
    monkeypatch.setattr(build, "NOTEBOOK", broken)
    out = tmp_path / "reports"
    previous = out / EXAMPLE_DIR / "report.html"
    previous.parent.mkdir(parents=True)
    previous.write_text("previous report")
    with pytest.raises(BuildError, match=r"report\.failed\.ipynb.*RuntimeError: boom in a cell"):
        build.build_report(example_run, out)
    failed = out / EXAMPLE_DIR / "report.failed.ipynb"
    assert failed.is_file()
    assert previous.read_text() == "previous report"
    assert not (out / EXAMPLE_DIR / "report.ipynb").exists()


def test_html_exporter_has_no_cdn_scripts(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title with $x^2$ math")]
    body, _ = build.html_exporter().from_notebook_node(nb)
    assert "cdnjs" not in body and "<script src" not in body
    assert Path(build.TEMPLATES, build.TEMPLATE_NAME, "index.html.j2").is_file()
