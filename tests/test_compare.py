"""Comparing runs: best run by each criterion, noise and the paired test, figure, notebook, CLI."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil

import matplotlib
import numpy as np
import pytest
from click.testing import CliRunner

from reportlib.analysis import analyze_run
from reportlib.analysis.comparison import COMPARE_NOISE_MULTIPLIER, compare_runs
from reportlib.cli import main
from reportlib.compare import build_comparison, comparison_name, load_comparison
from reportlib.errors import InputError, ParameterError
from reportlib.ingest import load_run
from reportlib.outputs import safe_name
from reportlib.present import comparison as view
from tests.conftest import EXAMPLE_NAME, OVERFIT_NAME, run_yaml_title

matplotlib.use("Agg")


def _log(run_dir, key):
    state = json.loads((run_dir / "trainer_state.json").read_text(encoding="utf-8"))
    return [(e["step"], e[key]) for e in state["log_history"] if key in e]


def _texts(path, ids, key):
    rows = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            rows[record["id"]] = record[key]
    return [rows[i] for i in ids]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A scoring cache of this module's own, where the pipeline (and the notebook's kernel) look."""
    folder = tmp_path_factory.mktemp("score-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTLIB_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def scored(example_run, overfit_run, cache):
    """Both example runs loaded, analysed, scored (they share references) and compared."""
    return load_comparison([example_run, overfit_run])


def test_best_runs_are_those_the_logs_say(scored, example_run, overfit_run):
    # the runs are named by their run.yaml titles
    lowest = {run_yaml_title(p): min(v for _, v in _log(p, "eval_loss"))
              for p in (example_run, overfit_run)}
    highest = {run_yaml_title(p): max(v for _, v in _log(p, "eval_chrf"))
               for p in (example_run, overfit_run)}
    result = scored.result
    assert result.best_by_val_loss == min(lowest, key=lowest.get)
    assert result.best_by_metric == max(highest, key=highest.get)
    assert result.shared_references and result.metric_name == "chrF"
    for entry in result.runs:
        assert entry.best_val_loss == pytest.approx(lowest[entry.name])
        # The scored chrF (sacrebleu on the prediction files) agrees with the logged one.
        assert entry.scored_value == pytest.approx(highest[entry.name], abs=1e-6)


def test_paired_test_equals_sacrebleus(scored, example_run):
    """The p-value is sacrebleu's own PairedTest on the two best checkpoints' predictions."""
    from sacrebleu.metrics import CHRF
    from sacrebleu.significance import PairedTest

    (diff,) = scored.result.by("metric")
    assert diff.method == "paired_bootstrap"
    refs_path = example_run / "references.jsonl"
    ids = [json.loads(line)["id"] for line in refs_path.read_text(encoding="utf-8").splitlines()]
    refs = _texts(refs_path, ids, "reference")
    runs = {run.name: run for run in scored.runs}
    best, other = scored.result.entry(diff.best), scored.result.entry(diff.other)
    hyps = {e.name: _texts(runs[e.name].predictions.checkpoints[e.scored_step], ids, "prediction")
            for e in (best, other)}
    test = PairedTest([(other.name, hyps[other.name]), (best.name, hyps[best.name])],
                      {"chrF": CHRF()}, [refs], test_type="bs", n_samples=1000)
    _, results = test()
    (metric,) = [k for k in results if k != "System"]
    assert diff.p_value == pytest.approx(results[metric][1].p_value)
    assert diff.larger_than_noise is (diff.p_value < 0.05)


def test_loss_gap_is_judged_against_the_curves_noise(scored):
    (diff,) = scored.result.by("val_loss")
    a, b = (scored.result.entry(n) for n in (diff.best, diff.other))
    expected = COMPARE_NOISE_MULTIPLIER * np.hypot(a.val_loss_noise, b.val_loss_noise)
    assert diff.method == "curve_noise" and diff.threshold == pytest.approx(expected)
    assert diff.gap == pytest.approx(b.best_val_loss - a.best_val_loss)
    assert diff.larger_than_noise is bool(diff.gap > expected)


def test_without_scores_the_logs_values_are_compared(example_run, overfit_run):
    analyses = [analyze_run(load_run(p)) for p in (example_run, overfit_run)]
    result = compare_runs(analyses)
    (diff,) = result.by("metric")
    assert diff.method == "curve_noise" and "no prediction files" in diff.note
    assert not result.shared_references
    assert all(not e.scored for e in result.runs)


def test_different_references_are_not_ranked(example_run, overfit_run, tmp_path, cache):
    other = tmp_path / "other-refs"
    shutil.copytree(overfit_run, other)
    refs = other / "references.jsonl"
    lines = refs.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["reference"] = first["reference"] + "\n    return None"
    refs.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    result = load_comparison([example_run, other]).result
    # Scores on two different evaluation sets say nothing about which run is better.
    assert result.by("metric") == () and result.best_by_metric is None
    (reason,) = result.not_comparable
    hashes = {e.references_sha256[:12] for e in result.runs}
    assert "different references" in reason and all(h in reason for h in hashes)
    assert len(hashes) == 2 and not result.shared_references
    text = view.render_comparison(result)
    assert "Not comparable, so not ranked by their evaluation metric" in text
    assert "Best by chrF" not in text
    assert result.by("val_loss")  # the loss is still compared


@pytest.mark.parametrize(
    ("paths", "error", "message"),
    [
        (["example_run"], ParameterError, "at least two runs"),
        # the same run twice is one run (discovery lists it once)
        (["example_run", "example_run"], ParameterError, "at least two runs; found 1"),
        (["example_run", "missing"], InputError, "no such file or folder"),
    ],
)
def test_bad_comparisons_are_refused(request, tmp_path, cache, paths, error, message):
    resolved = [tmp_path / "missing" if p == "missing" else request.getfixturevalue(p)
                for p in paths]
    with pytest.raises(error, match=message):
        load_comparison(resolved)


def test_unknown_entry_is_refused(scored):
    with pytest.raises(ParameterError, match="no run named 'nope'.*" + re.escape(EXAMPLE_NAME)):
        scored.result.entry("nope")


def test_folder_name_is_short_and_stable():
    assert comparison_name(["a", "b"]) == "a_vs_b"
    long = comparison_name([f"run-{i:03d}-with-a-long-name" for i in range(10)])
    assert len(long) <= 80 and long == comparison_name([f"run-{i:03d}-with-a-long-name"
                                                        for i in range(10)])


# -- presentation -----------------------------------------------------------------------------

def test_figure_overlays_each_runs_curves(scored):
    fig = view.plot_compare_curves(scored.runs, scored.analyses)
    _, val_ax, metric_ax = fig.axes[:3]
    for run in scored.runs:
        frame = run.series("eval", "loss")
        drawn = [line for line in val_ax.lines if line.get_label().startswith(run.name)]
        assert drawn, f"no validation-loss line for {run.name}"
        if len(frame) < view.SMOOTH_MIN_POINTS:
            np.testing.assert_allclose(drawn[0].get_ydata(), frame["value"].to_numpy())
        np.testing.assert_allclose(drawn[0].get_xdata(), frame["step"].to_numpy())
    assert metric_ax.get_title() == "Validation chrF"
    matplotlib.pyplot.close(fig)


def test_figure_refuses_mismatched_inputs(scored):
    with pytest.raises(ParameterError, match="must pair up, got 2 runs and 1 analyses"):
        view.plot_compare_curves(scored.runs, scored.analyses[:1])


def test_table_has_a_row_per_run_with_its_best_checkpoints(scored):
    table = view.best_checkpoints_table(scored.result)
    assert list(table["Run"]) == [r.name for r in scored.runs]
    assert {"Best val loss", "Best chrF", "chrF 95% CI", "Val loss best at"} <= set(table.columns)
    for _, row in table.iterrows():
        entry = scored.result.entry(row["Run"])
        assert row["Best val loss"] == entry.best_val_loss
        assert row["Best chrF"] == entry.scored_value


def test_narrative_names_the_best_runs_and_the_test(scored):
    text = view.render_comparison(scored.result)
    (diff,) = scored.result.by("metric")
    assert f"Best by validation loss: {scored.result.best_by_val_loss}" in text.replace("\\", "")
    assert f"Best by chrF: {scored.result.best_by_metric}" in text.replace("\\", "")
    assert re.search(r"paired bootstrap test .* p = 0\.0\d+", text)
    assert "prefer different runs" in text  # the examples disagree: loss vs chrF


def test_narrative_escapes_run_names(example_run, overfit_run):
    analyses = [analyze_run(load_run(p)) for p in (example_run, overfit_run)]
    analyses[0] = dataclasses.replace(analyses[0], run_name="<b>x</b>|*y*")
    text = view.render_comparison(compare_runs(analyses))
    assert "<b>" not in text and r"&lt;b&gt;x&lt;/b&gt;\|\*y\*" in text


# -- the notebook and the command -------------------------------------------------------------

@pytest.fixture(scope="module")
def built_comparison(example_run, overfit_run, tmp_path_factory, cache):
    out = tmp_path_factory.mktemp("compare-out")
    result = CliRunner().invoke(main, ["compare", str(example_run), str(overfit_run),
                                       "-o", str(out)])
    return result, out


@pytest.mark.slow
def test_cli_compare_builds_a_self_contained_page(built_comparison):
    result, out = built_comparison
    assert result.exit_code == 0, result.output
    name = comparison_name([EXAMPLE_NAME, OVERFIT_NAME])
    folder = out / "compare" / safe_name(name)
    assert f"built comparison {name}: {folder / 'compare.html'}" in result.stdout
    assert f"best by validation loss: {EXAMPLE_NAME}\n" in result.stdout
    assert f"best by chrF: {OVERFIT_NAME}\n" in result.stdout
    # Each gap says whether it counts, and by which test.
    gaps = [line for line in result.stdout.splitlines() if line.startswith("  ")]
    assert len(gaps) == 2 and all("noise" in line for line in gaps)
    assert "paired bootstrap, p = " in gaps[1]
    html = (folder / "compare.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html)
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 1
    assert "Which run is best" in html and "paired bootstrap test" in html
    data = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))
    assert data["comparison"]["best_by_metric"] == OVERFIT_NAME
    assert len(data["runs"]) == 2 and all("input_sha256" in r for r in data["runs"])


def test_cli_compare_errors_are_one_line(example_run, tmp_path):
    result = CliRunner().invoke(main, ["compare", str(example_run), "-o", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "comparing needs at least two runs" in lines[0]


def test_build_comparison_checks_smoothing(example_run, overfit_run, tmp_path):
    with pytest.raises(ParameterError, match=r"smoothing must be a number in \[0, 1\)"):
        build_comparison([example_run, overfit_run], tmp_path, smoothing=1.0)
    assert not (tmp_path / "compare").exists()


def test_comparison_notes_are_escaped():
    from reportlib.present.comparison import comparison_footer_markdown

    text = comparison_footer_markdown(["<script>alert(1)</script>: could not be scored"],
                                      version="0.1.0", smoothing=0.6)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "smoothing=0.6" in text
    assert "Every run" not in comparison_footer_markdown([], version="0.1.0", smoothing=0.6)


@pytest.mark.parametrize("with_scores, sentence", [
    (True, "Every run was scored from its prediction files."),
    # Regression: "Every run with prediction files was scored" was printed when none had any.
    (False, "No run was scored from prediction files"),
])
def test_footer_says_where_the_metric_came_from(scored, example_run, overfit_run, with_scores,
                                                sentence):
    result = scored.result if with_scores else compare_runs(
        [analyze_run(load_run(p)) for p in (example_run, overfit_run)])
    text = view.comparison_footer_markdown([], version="0.1.0", smoothing=0.6,
                                           comparison=result)
    assert sentence in text and ("Every run" in text) is with_scores


def test_runs_without_a_shared_metric_are_not_ranked_by_one(tmp_path):
    runs = []
    for name, metric in (("a", "eval_accuracy"), ("b", "eval_bleu")):
        folder = tmp_path / name
        folder.mkdir()
        history = [{"step": s, "epoch": float(i + 1), "eval_loss": 2.0 - 0.1 * i, metric: 0.5 + i}
                   for i, s in enumerate((10, 20, 30))]  # generated test data
        (folder / "trainer_state.json").write_text(json.dumps({"log_history": history}))
        runs.append(analyze_run(load_run(folder)))
    result = compare_runs(runs)
    (reason,) = result.not_comparable
    assert "do not share an evaluation metric" in reason
    assert result.best_by_metric is None and result.by("metric") == ()


@pytest.mark.parametrize(
    ("yamls", "ranked"),
    [
        ({"a": "task: summarisation\n", "b": "task: translation\n"}, False),
        ({"a": "dataset: {name: wmt14}\n", "b": "dataset: {name: iwslt}\n"}, False),
        ({"a": "dataset: {name: wmt14}\n", "b": "dataset: {name: wmt14}\n"}, True),
        ({"a": "task: translation\n", "b": ""}, True),  # one run says nothing: no claim
    ],
    ids=["different tasks", "different datasets", "same dataset", "one undeclared"],
)
def test_runs_of_different_tasks_are_not_ranked(tmp_path, yamls, ranked):
    analyses, metas = [], {}
    for name, yaml_text in yamls.items():
        folder = tmp_path / name
        folder.mkdir()
        history = [{"step": s, "epoch": float(i + 1), "eval_loss": 2.0 - 0.1 * i - (name == "b"),
                    "eval_bleu": 10.0 + i} for i, s in enumerate((10, 20, 30))]  # generated
        (folder / "trainer_state.json").write_text(json.dumps({"log_history": history}))
        if yaml_text:
            (folder / "run.yaml").write_text(yaml_text)
        run = load_run(folder)
        analyses.append(analyze_run(run))
        metas[run.name] = run.meta
    result = compare_runs(analyses, metas=metas)
    if ranked:
        assert result.best_by_val_loss == "b" and result.not_comparable == ()
    else:
        (reason,) = result.not_comparable
        assert "declare different tasks or datasets" in reason
        assert result.best_by_val_loss is None and result.best_by_metric is None
        assert result.differences == () and result.different_tasks
        text = view.render_comparison(result)
        assert "No run logged a validation loss" not in text  # they did: it is not ranked
        assert "declare different tasks or datasets, so their losses" in text
