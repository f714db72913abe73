"""Hostile text from the data is shown as text: the report runs no script from the data.

Two runs are built with the real CLI: a copy of the example run whose folder
name, run.yaml (title, notes, model, dataset, an extra key), trainer_state.json
(metric names, a checkpoint path, a null value's key) and prediction files
carry payloads (``<script>``, ``</textarea>``, event-handler attributes,
Markdown links and images, HTML in Markdown), and a small run whose only
evaluation metric has a hostile name (so it titles a figure panel, where
matplotlib's ``$...$`` maths could break the build). Every payload, if it ran,
would set ``window.__pwned``, change ``document.title`` or open a dialog.
Chromium (Playwright) opens the reports and the batch index and checks that
none of that happened, that no element came from a payload, and that the
payloads are there as text.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import RUNS

pytestmark = pytest.mark.slow

#: What every payload does when it runs.
SIGNAL = "window.__pwned=1;document.title='PWNED';alert(1)"

PAYLOADS = {
    "script": f"<script>{SIGNAL}</script>",
    "textarea": f"</textarea><img src=x onerror=\"{SIGNAL}\">",
    "svg": f"<svg onload=\"{SIGNAL}\"><circle r=9></circle></svg>",
    "iframe": f"<iframe srcdoc=\"<script>parent.{SIGNAL}</script>\"></iframe>",
    "markdown_link": f"[click me](javascript:{SIGNAL})",
    "markdown_image": f"![x](x\" onerror=\"{SIGNAL})",
    "markdown_html": f"**bold** <b onmouseover=\"{SIGNAL}\">hover</b> <!-- hidden -->",
    "style": "<style>body{display:none}</style>",
    "math": r"$\frac{1}{0}$ $$x$$ \(y\)",
    "template": "{{7*7}} {% raw %} ${7*7}",
    "entity": "&lt;script&gt;alert(1)&lt;/script&gt; &#60;b&#62;",
    "cdata": "]]><script>alert(1)</script><![CDATA[",
}
#: A folder name cannot hold "/": the payload for the run name has none.
RUN_NAME = "<svg onload=alert(7)> run"
#: The example run's run.yaml title, which names it.
TITLE = PAYLOADS["script"] + " " + PAYLOADS["math"]
#: The hostile metric of the second run (the name of a figure panel).
METRIC = "eval_$\\frac{<script>alert(1)</script>$"


def hostile_example_run(root: Path) -> Path:
    """A copy of the example run with payloads in every text the report may show."""
    run = root / RUN_NAME
    shutil.copytree(RUNS / "tiny-codegen", run, ignore=shutil.ignore_patterns("tb"))
    state = json.loads((run / "trainer_state.json").read_text(encoding="utf-8"))
    for entry in state["log_history"]:
        if "eval_loss" in entry:
            entry["eval_<img src=x onerror=alert(2)>"] = 1.0
        entry[PAYLOADS["script"]] = None  # a null value: its key is quoted in a warning
    state["best_model_checkpoint"] = PAYLOADS["textarea"]
    (run / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    notes = " ".join(PAYLOADS.values())
    (run / "run.yaml").write_text(json.dumps({
        "title": TITLE,
        "notes": notes,
        "model": {"name": PAYLOADS["textarea"]},
        "dataset": {"name": PAYLOADS["svg"], "size": 500, "train_size": 450, "eval_size": 50},
        PAYLOADS["markdown_link"]: PAYLOADS["iframe"],
    }), encoding="utf-8")
    _poison_jsonl(run / "references.jsonl", "reference")
    for path in sorted((run / "predictions").glob("*.jsonl")):
        _poison_jsonl(path, "prediction")
    return run


def _poison_jsonl(path: Path, key: str) -> None:
    """Every sample's text becomes a payload (whichever samples the report shows)."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    payloads = list(PAYLOADS.values())
    for number, record in enumerate(lines):
        # Predictions differ between checkpoints so that samples improve and regress.
        shift = int(path.stem.split("-")[-1]) if key == "prediction" else 0
        record[key] = payloads[(number + shift) % len(payloads)] + f" #{number}"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")


def hostile_metric_run(root: Path) -> Path:
    """A small run whose only evaluation metric (the third panel) has a hostile name."""
    run = root / "metric-name-run"
    run.mkdir()
    log = []
    for step in range(10, 110, 10):
        log.append({"epoch": step / 100, "loss": 3.0 - step / 100, "step": step})
        log.append({"epoch": step / 100, "eval_loss": 3.1 - step / 120, METRIC: step / 10,
                    "step": step})
    (run / "trainer_state.json").write_text(json.dumps({"global_step": 100, "max_steps": 100,
                                                        "log_history": log}))
    return run


@pytest.fixture(scope="module")
def hostile_reports(tmp_path_factory):
    """Both runs built in one `reportlib build` call (a batch: reports and index.html)."""
    root = tmp_path_factory.mktemp("hostile")
    runs = [hostile_example_run(root), hostile_metric_run(root)]
    out = root / "reports"
    result = subprocess.run([sys.executable, "-m", "reportlib", "build", *map(str, runs),
                             "-o", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stderr
    htmls = sorted(out.glob("*/report.html"))
    assert len(htmls) == 2, result.stdout + result.stderr
    return out, htmls


def open_page(browser, path: Path):
    """Open ``path`` with a detector installed; return (page, dialogs, requests)."""
    page = browser.new_page()
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    page.add_init_script("window.__pwned = undefined;")
    page.goto(path.as_uri())
    page.wait_for_timeout(300)  # onload/onerror handlers of injected elements would fire now
    # Hovering every element fires onmouseover handlers a payload might have added.
    page.mouse.move(10, 10)
    return page, dialogs, requests


def injected_elements(page) -> dict[str, int]:
    """Counts of elements that only a payload would have put in the page."""
    return page.evaluate("""() => {
        const all = Array.from(document.querySelectorAll('*'));
        return {
            handlers: all.filter(e => Array.from(e.attributes)
                                   .some(a => a.name.toLowerCase().startsWith('on'))).length,
            scripts_without_type: document.querySelectorAll('script:not([type])').length,
            frames: document.querySelectorAll('iframe, frame, object, embed').length,
            svg: document.querySelectorAll('svg').length,
            remote_images: Array.from(document.images)
                .filter(i => !i.getAttribute('src').startsWith('data:')).length,
            javascript_links: document.querySelectorAll('a[href^="javascript:" i]').length,
            bold_from_data: document.querySelectorAll('b[onmouseover]').length,
            styles_in_body: document.querySelectorAll('body style').length,
            payload_styles: Array.from(document.querySelectorAll('style'))
                .filter(s => s.textContent.includes('display:none')).length,
        };
    }""")


@pytest.fixture(scope="module")
def baseline(built_report, browser):
    """The counts of :func:`injected_elements` in the clean example report (the template's own)."""
    page, dialogs, _ = open_page(browser, built_report[0].html)
    counts = injected_elements(page)
    page.close()
    assert dialogs == []
    return counts


def test_template_baseline_has_no_script_of_its_own(baseline):
    """The clean report holds no script and no handler: any found below came from the data."""
    assert baseline["scripts_without_type"] == 0 and baseline["handlers"] == 0
    assert baseline["frames"] == baseline["remote_images"] == baseline["javascript_links"] == 0


def test_reports_run_no_script_from_the_data(hostile_reports, browser, baseline):
    _, htmls = hostile_reports
    for html in htmls:
        page, dialogs, requests = open_page(browser, html)
        pwned = page.evaluate("window.__pwned")
        title = page.title()
        counts = injected_elements(page)
        text = page.inner_text("body")
        page.close()
        assert dialogs == [], f"{html}: a payload opened a dialog"
        assert pwned is None, f"{html}: a payload ran"
        # The run is named by its hostile run.yaml title, shown as text; the payload
        # would have set the title to exactly "PWNED".
        assert title != "PWNED"
        more = {k: v for k, v in counts.items() if v > baseline[k]}
        assert more == {}, f"{html}: {counts}, the template alone has {baseline}"
        assert counts["payload_styles"] == 0
        assert requests == [html.as_uri()], f"{html} loaded {requests[1:]}"
        assert text.strip(), "the page is blank (a payload's style hid it?)"


def test_payloads_are_shown_as_text(hostile_reports, browser):
    _, htmls = hostile_reports
    example = next(h for h in htmls if "metric-name-run" not in h.parent.name)
    page, _, _ = open_page(browser, example)
    text = page.inner_text("body")
    title = page.title()
    page.close()
    assert "<script>window.__pwned=1" in text  # the title and the null key's warning
    assert PAYLOADS["textarea"] in text  # the model name, in the facts table
    assert "[click me](javascript:" in text or "click me" in text
    assert TITLE in title  # the run is named by its run.yaml title, shown as text
    assert title.startswith("Training report: ")
    # The sample gallery shows references and predictions (each payload marked " #N").
    shown = {m.group(0) for m in re.finditer(r"(<script>|</textarea>|<svg |<iframe |\[click|"
                                             r"!\[x\]|\*\*bold)[^\n]*? #\d+", text)}
    assert shown, "no reference or prediction from the data is shown as text"
    metric_page, _, _ = open_page(browser, next(h for h in htmls if h not in (example,)))
    metric_text = metric_page.inner_text("body")
    metric_page.close()
    assert "<script>alert(1)</script>" in metric_text  # the metric's name, in the table


def test_figure_panel_titled_by_a_hostile_metric_is_drawn(hostile_reports):
    _, htmls = hostile_reports
    html = next(h for h in htmls if "metric-name-run" in str(h)).read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="data:image/png;base64,', html)
    assert len(images) == 1, "the learning-curve figure is missing"


def test_index_runs_no_script_from_the_data(hostile_reports, browser):
    out, _ = hostile_reports
    index = out / "index.html"
    if not index.is_file():
        pytest.skip("this build writes no index page")
    page, dialogs, requests = open_page(browser, index)
    pwned = page.evaluate("window.__pwned")
    counts = injected_elements(page)
    links = page.evaluate("Array.from(document.links).map(a => a.getAttribute('href'))")
    page.close()
    assert dialogs == [] and pwned is None
    assert counts["handlers"] == 0 and counts["frames"] == 0 and counts["javascript_links"] == 0
    assert requests == [index.as_uri()]
    for link in links:
        assert not link.lower().startswith("javascript:")
        target = (index.parent / link.split("#")[0]).resolve()
        assert target.is_relative_to(out.resolve()) and target.is_file(), link


def test_markdown_and_summary_hold_no_live_html(hostile_reports):
    out, htmls = hostile_reports
    for html in htmls:
        markdown = (html.parent / "report.md").read_text(encoding="utf-8")
        for tag in ("<script", "<img", "<svg", "<iframe", "<b ", "<style", "](javascript:"):
            assert tag not in markdown.lower(), f"{html.parent.name}/report.md holds {tag!r}"
        summary = json.loads((html.parent / "summary.json").read_text(encoding="utf-8"))
        assert summary["run"]["name"] in {TITLE, "metric-name-run"}
