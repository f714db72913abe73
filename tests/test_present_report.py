"""The page pieces around the figure: escaping of untrusted text, footer provenance."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reportlib.present import report
from reportlib.provenance import input_digest, signature
from reportlib.run import Run, make_scalars

HOSTILE = '<script>alert(1)</script> **bold** [x](javascript:alert(2)) <img src=x onerror=alert(3)>'


def _run(**meta):
    return Run(name="r", path=Path("/tmp/r"), format="hf_trainer", scalars=make_scalars(),
               meta=meta)


def test_header_escapes_a_hostile_title():
    text = report.header_markdown(_run(title=HOSTILE))
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    assert "\\*\\*bold\\*\\*" in text and "\\[x\\](javascript" in text  # no link


def test_warnings_are_escaped_and_counted():
    run = _run()
    run.warnings = ["fine", HOSTILE]
    text = report.warnings_markdown(run)
    assert "2 warning(s)" in text and "<script>" not in text
    assert "None" in report.warnings_markdown(_run())


def test_table_html_escapes_cells():
    html = report.table_html(pd.DataFrame({"Fact": ["Notes"], "Value": [HOSTILE]}), facts=True)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'class="dataframe reportlib-facts"' in html


def test_footer_names_version_parameters_and_input_hash(tmp_path):
    (tmp_path / "trainer_state.json").write_text("{}")
    (tmp_path / "run.yaml").write_text("title: x\n")
    run = Run(name="r", path=tmp_path, format="hf_trainer",
              input_files=[tmp_path / "trainer_state.json", tmp_path / "run.yaml"])
    prov = signature(run, {"run_dir": str(tmp_path), "smoothing": 0.6})
    text = report.footer_markdown(prov)
    assert prov["input_sha256"][:16] in text
    shown = text.replace("\\", "")  # as rendered: Markdown escapes removed
    assert "smoothing=0.6" in shown and "run.yaml, trainer_state.json" in shown


def test_input_digest_depends_on_content_and_names_not_order(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text("1")
    b.write_text("2")
    first = input_digest([a, b], root=tmp_path)
    assert first == input_digest([b, a], root=tmp_path)
    b.write_text("3")
    assert input_digest([a, b], root=tmp_path) != first
    b.write_text("2")
    b.rename(tmp_path / "c.json")
    assert input_digest([a, tmp_path / "c.json"], root=tmp_path) != first
