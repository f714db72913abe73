"""Runs that differ only by seed: grouped, mean and spread over seeds, drawn and tabled."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from reportlib.analysis import analyze_run  # noqa: E402
from reportlib.analysis.comparison import compare_runs  # noqa: E402
from reportlib.analysis.seeds import seed_groups, spread  # noqa: E402
from reportlib.formatting import format_number  # noqa: E402
from reportlib.ingest import load_run  # noqa: E402
from reportlib.present import comparison as view  # noqa: E402


def _run(tmp_path, name, yaml, losses, accs):
    """A generated run folder (test data): evaluations at steps 10, 20, 30 and run.yaml."""
    folder = tmp_path / name
    folder.mkdir()
    history = [{"step": s, "epoch": float(i + 1), "eval_loss": loss, "eval_accuracy": acc}
               for i, (s, loss, acc) in enumerate(zip((10, 20, 30), losses, accs, strict=True))]
    (folder / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    (folder / "run.yaml").write_text(yaml)
    return load_run(folder)


@pytest.fixture
def runs(tmp_path):
    return [
        _run(tmp_path, "a", "seed: 1\nlearning_rate: 0.001\n", [2.0, 1.5, 1.4], [0.5, 0.6, 0.7]),
        _run(tmp_path, "b", "seed: 2\nlearning_rate: 0.001\n", [2.2, 1.7, 1.2], [0.4, 0.6, 0.8]),
        _run(tmp_path, "c", "seed: 3\nlearning_rate: 0.01\n", [2.0, 1.0, 0.9], [0.5, 0.7, 0.9]),
        _run(tmp_path, "d", "learning_rate: 0.001\n", [2.0, 1.5, 1.4], [0.5, 0.6, 0.7]),
    ]


def test_only_runs_that_differ_by_seed_alone_are_grouped(runs):
    analyses = [analyze_run(r) for r in runs]
    (group,) = seed_groups(analyses, {r.name: r.meta for r in runs})
    # c has another learning rate; d names no seed, so it cannot be told apart from a rerun.
    assert group.runs == ("a", "b") and group.seeds == (1, 2)
    assert group.best_val_loss.mean == pytest.approx(np.mean([1.4, 1.2]))
    assert group.best_val_loss.sd == pytest.approx(np.std([1.4, 1.2], ddof=1))
    assert group.best_metric.mean == pytest.approx(np.mean([0.7, 0.8]))
    assert [e["step"] for e in group.per_evaluation] == [10, 20, 30]
    second = group.per_evaluation[1]
    assert second["val_loss"].mean == pytest.approx(1.6)
    assert second["metric"].sd == pytest.approx(0.0)


def test_comparison_carries_groups_and_draws_them(runs):
    analyses = [analyze_run(r) for r in runs]
    result = compare_runs(analyses, metas={r.name: r.meta for r in runs})
    assert [g.runs for g in result.seed_groups] == [("a", "b")]
    table = view.seed_groups_table(result)
    (row,) = table.to_dict("records")
    assert row["Runs"] == "a, b" and row["Seeds"] == "1, 2"
    group = result.seed_groups[0]
    assert row["Best val loss (mean ± sd)"] == (f"{format_number(group.best_val_loss.mean)} ± "
                                                f"{format_number(group.best_val_loss.sd)}")
    fig = view.plot_seed_groups(result)
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_allclose(line.get_ydata(), [2.1, 1.6, 1.3])
    assert "differ only by seed" in view.seed_groups_markdown(result)
    assert compare_runs(analyses).seed_groups == ()  # no metadata given: no grouping
    assert view.plot_seed_groups(compare_runs(analyses)) is None


@pytest.mark.parametrize("values, expected", [
    ([1.0, 3.0], (2, 2.0, float(np.std([1.0, 3.0], ddof=1)))),
    ([5.0], (1, 5.0, None)),
    ([1.0, None], None),
    ([1.0, float("nan")], None),
])
def test_spread(values, expected):
    result = spread(values)
    assert (None if result is None else (result.n, result.mean, result.sd)) == expected


@pytest.mark.slow
def test_cli_compare_groups_seeds(runs, tmp_path):
    from click.testing import CliRunner

    from reportlib.cli import main

    result = CliRunner().invoke(main, ["compare", str(runs[0].path), str(runs[1].path),
                                       str(runs[2].path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    mean = format_number(np.mean([1.4, 1.2]))  # the two runs' lowest validation losses
    assert f"differ only by seed: a, b: best validation loss {mean} ± " in result.stdout
    page = next((tmp_path / "out" / "compare").glob("*/compare.html")).read_text("utf-8")
    assert "Runs that differ only by seed" in page and "a, b" in page
    assert page.count('src="data:image/png;base64,') == 2  # the curves and the seed groups
