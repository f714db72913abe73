"""Take the README's screenshots: report pages, the index of 100 runs, a comparison.

Usage (from the repository root)::

    reportlib build runs/tiny-codegen runs/tiny-codegen-overfit \
        tests/data/keras/keras_csvlogger__Aditya24jar__Emotion-Detection-Resnet50__training.log \
        tests/data/hf/hf_trainer_state__HenokB__amharic-to-geez__trainer_state.json -o REPORTS_DIR
    reportlib compare runs/tiny-codegen runs/tiny-codegen-overfit -o REPORTS_DIR
    python docs/make_screenshots.py REPORTS_DIR

Each report is found by the run it was built from (``run.path`` in its
summary.json), whatever its folder is named. The index of 100 runs is
generated here into ``REPORTS_DIR/index100`` (generated data: the two example
reports' summary.json under 100 made-up run names, losses scaled so the rows
differ), since the repository holds two real runs, not 100.
Headless Chromium (Debian's package) through Playwright, offline; each PNG is the
first screen a reader sees (1280 x 900).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
#: The first screen of a laptop: what a reader sees before scrolling.
VIEWPORT = {"width": 1280, "height": 900}


def generate_index_of_100(reports: Path) -> Path:
    """Write ``reports/index100``: 100 generated report folders and their index page."""
    import json

    from reportlib.batch import write_index

    bases = [json.loads((report_of(reports, name) / "summary.json").read_text(encoding="utf-8"))
             for name in ("runs/tiny-codegen", "runs/tiny-codegen-overfit")]
    target = reports / "index100"
    for i in range(100):
        summary = json.loads(json.dumps(bases[i % 2]))
        lr = ("1e-3", "3e-4", "1e-4", "3e-5")[i % 4]
        summary["run"]["name"] = f"run{i:03d}-gpt2-tiny-lr{lr}-{40 if i % 2 else 10}ep"
        for curve in summary["curves"]:
            if curve["metric"] == "loss":
                for key in ("first", "last", "best"):
                    if curve[key] is not None:
                        curve[key] *= 1 + (i % 7) / 20
        folder = target / summary["run"]["name"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        (folder / "report.html").write_text("<!DOCTYPE html><title>generated</title>",
                                            encoding="utf-8")
    return write_index(target)


def report_of(reports: Path, run_path: str) -> Path:
    """The report folder in ``reports`` built from the run at ``run_path`` (its summary.json's)."""
    import json

    for summary in sorted(reports.glob("*/summary.json")):
        if json.loads(summary.read_text(encoding="utf-8"))["run"]["path"] == run_path:
            return summary.parent
    raise SystemExit(f"no report of {run_path} in {reports}: build it first (see the docstring)")


def shots(reports: Path) -> dict[str, Path]:
    """PNG name -> page to take it of."""
    compare = next((reports / "compare").glob("*/compare.html"))
    keras = ("tests/data/keras/"
             "keras_csvlogger__Aditya24jar__Emotion-Detection-Resnet50__training.log")
    hf = "tests/data/hf/hf_trainer_state__HenokB__amharic-to-geez__trainer_state.json"
    return {
        "report-overfit.png": report_of(reports, "runs/tiny-codegen-overfit") / "report.html",
        "report-healthy.png": report_of(reports, "runs/tiny-codegen") / "report.html",
        "report-no-chrf.png": report_of(reports, keras) / "report.html",
        "report-no-evaluation.png": report_of(reports, hf) / "report.html",
        "index-100.png": reports / "index100" / "index.html",
        "compare.png": compare,
    }


def shrink(path: Path) -> None:
    """Rewrite a screenshot with a 256-colour palette: a third of the bytes, same look."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main(reports: Path, out: Path) -> None:
    """Write each screenshot of :func:`shots` into ``out``."""
    generate_index_of_100(reports)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        for name, target in shots(reports).items():
            page.goto(target.resolve().as_uri())
            page.wait_for_load_state("load")
            page.screenshot(path=str(out / name), type="png")
            shrink(out / name)
            print(out / name)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).resolve().parent)
