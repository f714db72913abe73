"""The batch's index and reports in a real browser: Playwright driving Debian's Chromium.

Every page must open offline (no request but the file itself, no console
error), every image must have loaded, the index must sort when a header is
clicked, and its links must lead to the reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.conftest import EXAMPLE_DIR, OVERFIT_DIR, OVERFIT_NAME

pytestmark = pytest.mark.slow


def _open(browser, path: Path):
    """Open ``path``; return the page, the URLs it requested and its console errors."""
    page = browser.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, requests, errors


def _column(page, key: str) -> list[str]:
    """The sort values of one column, top to bottom."""
    return page.eval_on_selector_all(
        "#runs tbody tr",
        f"""rows => rows.map(r => r.cells[Array.from(document.querySelectorAll('#runs th'))
            .findIndex(th => th.dataset.key === '{key}')].dataset.value)""")


@pytest.fixture(scope="module")
def index(built_batch):
    _, _, reports, _ = built_batch
    return reports / "index.html"


def test_index_opens_offline_without_errors(browser, index):
    page, requests, errors = _open(browser, index)
    rows = page.locator("#runs tbody tr").count()
    page.close()
    assert requests == [index.as_uri()], "the index loaded something else"
    assert errors == []
    assert rows == 3  # two reports and the run that failed


@pytest.mark.parametrize(
    ("key", "numeric"),
    [("best_val_loss", True), ("final_train_loss", True), ("best_metric", True), ("run", False)],
)
def test_index_sorts_when_a_header_is_clicked(browser, index, key, numeric):
    page, _, errors = _open(browser, index)
    header = page.locator(f'#runs th[data-key="{key}"] button')
    header.click()
    first = _column(page, key)
    sort_state = page.get_attribute(f'#runs th[data-key="{key}"]', "aria-sort")
    header.click()
    second = _column(page, key)
    page.close()
    assert errors == []
    present = [v for v in first if v != ""]
    as_key = (lambda v: float(v)) if numeric else (lambda v: v)
    assert present == sorted(present, key=as_key), "ascending after one click"
    assert first[len(present):] == [""] * (len(first) - len(present)), "empty cells go last"
    present2 = [v for v in second if v != ""]
    assert present2 == sorted(present2, key=as_key, reverse=True), "descending after two"
    assert sort_state == "ascending"


def test_index_sort_puts_the_lowest_validation_loss_first(browser, index, built_batch):
    _, _, reports, _ = built_batch
    lowest = {}
    for folder in (EXAMPLE_DIR, OVERFIT_DIR):
        summary = json.loads((reports / folder / "summary.json").read_text(encoding="utf-8"))
        val = next(c for c in summary["curves"] if (c["split"], c["metric"]) == ("eval", "loss"))
        lowest[summary["run"]["name"]] = val["best"]
    page, _, _ = _open(browser, index)
    page.locator('#runs th[data-key="best_val_loss"] button').click()
    first_run = page.locator("#runs tbody tr").first.locator("td").first.inner_text()
    page.close()
    assert first_run.splitlines()[0] == min(lowest, key=lowest.get)


def test_index_links_resolve_to_reports_that_open_offline(browser, index):
    page, _, _ = _open(browser, index)
    links = page.eval_on_selector_all("#runs a", "as => as.map(a => a.href)")
    page.close()
    assert len(links) == 2
    for link in links:
        target = Path(unquote(urlparse(link).path))
        assert target.is_file() and target.parent.parent == index.parent
        report, requests, errors = _open(browser, target)
        widths = report.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
        title = report.title()
        text = report.inner_text("body")
        report.close()
        assert requests == [target.as_uri()], f"{target} loaded something else"
        assert errors == [], f"{target}: {errors}"
        assert widths and all(w > 0 for w in widths), f"{target}: an image did not load"
        assert title.startswith("Training report: ") and "Validation loss" in text


def test_clicking_a_link_opens_the_report(browser, index):
    page, _, _ = _open(browser, index)
    page.locator("#runs a", has_text=OVERFIT_NAME).click()
    page.wait_for_load_state("load")
    url, title = page.url, page.title()
    page.close()
    assert url.endswith(f"/{OVERFIT_DIR}/report.html")
    assert title == f"Training report: {OVERFIT_NAME}"


@pytest.fixture(scope="module")
def index_of_100(example_run, overfit_run, tmp_path_factory):
    """An index of 100 generated runs (test data): the two example runs' summary.json,
    renamed and with their losses scaled, so every row and sort key differs."""
    from reportlib.analysis import analyze_run
    from reportlib.batch import write_index
    from reportlib.ingest import load_run
    from reportlib.summary import build_summary

    bases = []
    for path in (example_run, overfit_run):
        run = load_run(path)
        bases.append(json.loads(json.dumps(build_summary(run, analyze_run(run)))))
    out = tmp_path_factory.mktemp("index100")
    for i in range(100):
        summary = json.loads(json.dumps(bases[i % 2]))
        summary["run"]["name"] = f"gen-{i:03d}-{'overfit' if i % 2 else 'healthy'}"
        for curve in summary["curves"]:
            if curve["metric"] == "loss" and curve["best"] is not None:
                curve["best"] *= 1 + i / 100
                curve["last"] *= 1 + i / 100
        folder = out / summary["run"]["name"]
        folder.mkdir()
        (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        (folder / "report.html").write_text("<html><title>r</title></html>", encoding="utf-8")
    return write_index(out)


def test_index_of_100_runs_loads_fast_and_filters(browser, index_of_100):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(index_of_100.as_uri())
    page.wait_for_load_state("load")
    seconds = page.evaluate("performance.timing.loadEventEnd - performance.timing.navigationStart"
                            ) / 1000
    assert page.locator("#runs tbody tr").count() == 100
    page.fill("#filter", "gen-007")
    visible = page.locator("#runs tbody tr:visible")
    names = [visible.nth(i).locator("td").first.inner_text() for i in range(visible.count())]
    status = page.inner_text("#shown")
    page.fill("#filter", "overfit")
    overfit_rows = page.locator("#runs tbody tr:visible").count()
    page.fill("#filter", "")
    all_rows = page.locator("#runs tbody tr:visible").count()
    page.locator('#runs th[data-key="best_val_loss"] button').click()
    values = [float(v) for v in _column(page, "best_val_loss")]
    page.close()
    assert errors == []
    assert seconds < 1.0, f"the index of 100 runs took {seconds:.2f} s to load"
    assert [n.splitlines()[0] for n in names] == ["gen-007-overfit"]
    assert status == "1 of 100 shown"
    assert overfit_rows == 50 and all_rows == 100
    assert values == sorted(values) and len(values) == 100


def _glance_on_first_screen(browser, html: Path) -> dict:
    """What the first screen (1280 x 800) of a report shows, read in the browser."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    found = page.evaluate("""() => {
        const box = document.querySelector('.reportlib-glance');
        const links = Array.from(document.querySelectorAll('.reportlib-glance a'))
            .map(a => a.getAttribute('href'));
        return {
            top: box ? box.getBoundingClientRect().top : null,
            items: box ? box.querySelectorAll('li').length : 0,
            links: links,
            missing: links.filter(h => !document.getElementById(decodeURIComponent(h.slice(1)))),
            images: Array.from(document.images).map(i => i.naturalWidth),
        };
    }""")
    page.close()
    found["errors"] = errors
    return found


def test_report_shows_its_conclusions_first_with_links_to_the_evidence(browser, built_report):
    result, _ = built_report
    shown = _glance_on_first_screen(browser, result.html)
    assert shown["errors"] == []
    assert shown["top"] is not None and shown["top"] < 400, "at a glance is not on the first screen"
    assert 3 <= shown["items"] <= 6 and len(shown["links"]) == shown["items"]
    assert shown["missing"] == [], "a link to the evidence leads nowhere"


def test_a_run_whose_chrf_interval_misses_its_estimate_builds(browser, tmp_path):
    # Regression: this build failed with "'yerr' must not contain negative values".
    from test_figures import interval_missing_its_estimate_run

    from reportlib.build import build_report

    result = build_report(interval_missing_its_estimate_run(tmp_path), tmp_path / "out")
    summary = json.loads(result.summary.read_text(encoding="utf-8"))
    first = summary["scores"]["checkpoints"][0]
    assert not first["low"] <= first["score"] <= first["high"]  # the case under test
    shown = _glance_on_first_screen(browser, result.html)
    assert shown["errors"] == [] and shown["images"] and all(w > 0 for w in shown["images"])


def _generated_run(folder: Path, entries: list[dict]) -> Path:
    """A generated run folder (test data): a trainer_state.json with ``entries`` as its log."""
    folder.mkdir(parents=True)
    (folder / "trainer_state.json").write_text(json.dumps({"log_history": entries}))
    return folder


@pytest.mark.parametrize("kind", ["accuracy only", "no evaluation"])
def test_reports_of_runs_without_chrf_show_what_they_have(browser, tmp_path, kind):
    from reportlib.build import build_report

    entries = [{"step": s, "epoch": s / 10, "loss": 3.0 / s ** 0.3, "grad_norm": 1.0 + s % 3,
                "learning_rate": 1e-3 * (1 - s / 100)} for s in range(1, 61)]
    if kind == "accuracy only":
        entries += [{"step": s, "epoch": s / 10, "eval_loss": 2.5 / s ** 0.2,
                     "eval_accuracy": 0.5 + s / 200} for s in range(10, 61, 10)]
    result = build_report(_generated_run(tmp_path / "run", entries), tmp_path / "out")
    shown = _glance_on_first_screen(browser, result.html)
    page = browser.new_page()
    page.goto(result.html.as_uri())
    headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent.trim())")
    empty_tables = page.evaluate(
        "Array.from(document.querySelectorAll('table')).filter(t => !t.tBodies.length || "
        "!t.tBodies[0].rows.length).length")
    body = page.inner_text("body")
    page.close()
    assert shown["errors"] == [] and shown["missing"] == []
    assert shown["top"] is not None and shown["top"] < 400
    assert all(w > 0 for w in shown["images"])
    assert not [h for h in headings if "chrF" in h], "a chrF section in a run without chrF"
    assert empty_tables == 0
    if kind == "no evaluation":
        assert "No evaluation was logged" in body
