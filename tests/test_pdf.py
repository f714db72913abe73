"""PDF export: finding Chromium, its failures, and the printed report checked with poppler."""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from reportlib import build, pdf
from reportlib.cli import main
from reportlib.errors import BuildError, DependencyMissingError
from tests.conftest import EXAMPLE_DIR

POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdftoppm", "pdfimages", "pdfinfo"))
#: A4 in PostScript points (210 x 297 mm at 72 points per inch), as pdfinfo prints it.
A4_POINTS = (595.0, 842.0)


def _fake_browser(folder: Path, name: str, script: str) -> Path:
    """An executable shell script standing in for Chromium."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def no_browser(monkeypatch, tmp_path):
    """A PATH with no Chromium on it and no override."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(pdf.CHROMIUM_ENV, raising=False)


# -- finding Chromium -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["chromium", "chromium-browser", "google-chrome"])
def test_find_chromium_searches_the_known_names(monkeypatch, tmp_path, name):
    fake = _fake_browser(tmp_path / "bin", name, "exit 0")
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.delenv(pdf.CHROMIUM_ENV, raising=False)
    assert pdf.find_chromium() == str(fake)


def test_environment_variable_wins(monkeypatch, tmp_path):
    _fake_browser(tmp_path / "bin", "chromium", "exit 0")
    chosen = _fake_browser(tmp_path / "other", "my-chrome", "exit 0")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(chosen))
    assert pdf.find_chromium() == str(chosen)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (None, r"needs Chromium.*sudo apt-get install -y chromium"),
        ("/no/such/chromium", r"REPORTLIB_CHROMIUM is set to '/no/such/chromium'.*apt-get install"),
    ],
)
def test_missing_chromium_names_the_install_command(no_browser, monkeypatch, env, message):
    if env:
        monkeypatch.setenv(pdf.CHROMIUM_ENV, env)
    with pytest.raises(DependencyMissingError, match=message):
        pdf.find_chromium()


def test_command_is_offline_and_uses_a_fresh_profile(tmp_path):
    command = pdf.chromium_command("chromium", tmp_path / "r.html", tmp_path / "r.pdf",
                                   tmp_path / "profile")
    assert command[0] == "chromium" and command[-1] == (tmp_path / "r.html").resolve().as_uri()
    for flag in ("--headless", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--no-pdf-header-footer"):
        assert flag in command
    assert f"--user-data-dir={tmp_path / 'profile'}" in command
    assert f"--print-to-pdf={tmp_path / 'r.pdf'}" in command


# -- failures leave the previous PDF alone ----------------------------------------------------

@pytest.mark.parametrize(
    ("script", "timeout", "message"),
    [
        ("echo 'dbus noise' >&2; echo 'Invalid URL given' >&2; exit 3", 30,
         r"exit status 3: Invalid URL given"),
        ('for a in "$@"; do case "$a" in --print-to-pdf=*) echo not-a-pdf > "${a#*=}";; esac;'
         " done; exit 0", 30, r"failed to print the PDF \(exit status 0\)"),
        ("sleep 5", 0.5, r"did not finish printing within 0.5 s"),
    ],
    ids=["exit-status", "not-a-pdf", "timeout"],
)
def test_chromium_failure_is_a_build_error(tmp_path, script, timeout, message):
    html = tmp_path / "report.html"
    html.write_text("<p>hi</p>", encoding="utf-8")
    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF-previous")
    fake = _fake_browser(tmp_path / "bin", "chromium", script)
    with pytest.raises(BuildError, match=message):
        pdf.print_pdf(html, target, chromium=str(fake), timeout=timeout)
    assert target.read_bytes() == b"%PDF-previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_printing_a_missing_html_file_fails(tmp_path):
    with pytest.raises(BuildError, match="no HTML file to print"):
        pdf.print_pdf(tmp_path / "nope.html", tmp_path / "out.pdf", chromium="/bin/true")


def test_build_with_pdf_and_no_chromium_fails_before_writing(no_browser, example_run, tmp_path):
    out = tmp_path / "reports"
    with pytest.raises(DependencyMissingError, match="apt-get install -y chromium"):
        build.build_report(example_run, out, pdf=True)
    assert not out.exists()


def test_cli_pdf_without_chromium_is_one_line(no_browser, example_run, tmp_path):
    result = CliRunner().invoke(main, ["build", str(example_run), "-o", str(tmp_path), "--pdf"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "sudo apt-get install -y chromium" in lines[0]
    assert not (tmp_path / EXAMPLE_DIR).exists()


# -- the real thing: Debian's Chromium, checked with poppler -----------------------------------

@pytest.fixture(scope="module")
def printed(built_report, tmp_path_factory):
    """The session's report printed to PDF once, with its summary."""
    result, _ = built_report
    out = tmp_path_factory.mktemp("pdf") / "report.pdf"
    pdf.print_pdf(result.html, out)
    summary = json.loads(result.summary.read_text(encoding="utf-8"))
    return out, summary


def _pdfinfo(path: Path) -> dict[str, str]:
    text = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _images(path: Path) -> list[dict[str, int]]:
    """pdfimages -list rows: page, width and height of every image drawn."""
    text = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                          check=True).stdout
    rows = []
    for line in text.splitlines()[2:]:
        cols = line.split()
        if cols and cols[2] == "image":
            rows.append({"page": int(cols[0]), "width": int(cols[3]), "height": int(cols[4])})
    return rows


@pytest.mark.slow
@pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")
def test_pdf_is_a4_and_holds_the_narratives_numbers(printed):
    path, summary = printed
    info = _pdfinfo(path)
    width, height = (float(x) for x in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert abs(width - A4_POINTS[0]) < 1 and abs(height - A4_POINTS[1]) < 1
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    curves = {(c["split"], c["metric"]): c for c in summary["curves"]}
    for key in (("train", "loss"), ("eval", "loss"), ("eval", "chrf")):
        for field in ("first", "last"):
            assert f"{curves[key][field]:.3g}" in text, (key, field)
    for heading in ("Training loss", "Validation loss", "Validation chrF", "Caveats"):
        assert heading in text
    assert "sha256" in text  # the footer with the provenance made it too


@pytest.mark.slow
@pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")
def test_figure_is_drawn_whole_on_one_page(printed, tmp_path):
    from reportlib.present.figures import FIGSIZE

    path, _ = printed
    images = _images(path)
    # The learning-curve figure: the one image with the figure's aspect ratio.
    ratio = FIGSIZE[0] / FIGSIZE[1]
    figure = [i for i in images if abs(i["width"] / i["height"] - ratio) < 0.05 * ratio]
    assert len(figure) == 1, f"the figure is drawn {len(figure)} times (split across pages?)"
    page = figure[0]["page"]
    # The answer first: the at-a-glance conclusions and the figure on page 1.
    assert page == 1
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(path), "-"],
                                capture_output=True, text=True, check=True).stdout
    glance = first_page.index("At a glance")
    assert glance < first_page.index("Learning curves")
    assert first_page.count("evidence:") >= 3  # at least three conclusions, each linked
    # Render that page and check it is not blank where the figure is.
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-f", str(page), "-l", str(page),
                    str(path), str(tmp_path / "page")], check=True)
    rendered = next(tmp_path.glob("page*.pgm"))
    pixels = rendered.read_bytes().split(b"\n", 3)[3]
    dark = sum(1 for b in pixels if b < 128)
    assert dark > 0.005 * len(pixels), "the page with the figure renders (almost) blank"


@pytest.mark.slow
@pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")
def test_long_code_lines_wrap_inside_the_page(tmp_path):
    """The template's print CSS wraps a long code line instead of cutting it at the margin."""
    words = " ".join(f"token{i:03d}" for i in range(60)) + " ENDOFLINE"
    long_line = "x = call(" + words.replace(" ", ",") + ")"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Wrap\n\n```python\n{long_line}\n```\n")]
    body, _ = build.html_exporter().from_notebook_node(nb)
    html = tmp_path / "wrap.html"
    html.write_text(body, encoding="utf-8")
    out = pdf.print_pdf(html, tmp_path / "wrap.pdf")
    bbox = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    page_width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))
    words_x = [(w, float(x)) for x, w in re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)</word>', bbox)]
    assert any("ENDOFLINE" in w for w, _ in words_x), "the end of the long line was cut off"
    assert all(x <= page_width for _, x in words_x), "text runs past the page's edge"
    lines = {round(float(y)) for y in re.findall(r'yMin="([\d.]+)"[^>]*>[^<]*token', bbox)}
    assert len(lines) > 1, "the long line was not wrapped"


@pytest.fixture
def quick_notebook(monkeypatch):
    """build_report with the notebook step replaced by a tiny page (the PDF step stays real)."""
    def fake_execute(target, params, **kwargs):
        path = target / "report.ipynb"
        path.write_text("{}", encoding="utf-8")
        return path

    def fake_export(notebook, html_path):
        html_path.write_text("<h1>Quick report</h1><p>value 4.68</p>", encoding="utf-8")
        return html_path

    monkeypatch.setattr(build, "execute_notebook", fake_execute)
    monkeypatch.setattr(build, "export_html", fake_export)


@pytest.mark.slow
def test_build_with_pdf_writes_it_and_a_rebuild_without_removes_it(quick_notebook, example_run,
                                                                   tmp_path):
    result = build.build_report(example_run, tmp_path, pdf=True)
    assert result.pdf == result.report_dir / "report.pdf"
    assert result.pdf.read_bytes()[:5] == b"%PDF-"
    assert result.markdown == result.report_dir / "report.md" and result.markdown.is_file()
    # Rebuilt without pdf: a PDF older than the new HTML would mislead, so it goes.
    again = build.build_report(example_run, tmp_path)
    assert again.pdf is None and not (again.report_dir / "report.pdf").exists()
