"""Quick checks of the verdict benchmark (bench/verdicts.py, bench/verdicts/label.py).

The whole benchmark runs in seconds but is a measurement, not a test: here it
runs on a few runs, its labels are checked to be what label.py derives (not
edited by hand), and label.py's criteria are checked on GENERATED curves.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "verdicts"
sys.path.insert(0, str(BENCH))

import label  # noqa: E402


def _bench_module():
    spec = importlib.util.spec_from_file_location("verdicts_bench", ROOT / "bench" / "verdicts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_prints_a_row_per_kind(capsys: pytest.CaptureFixture[str]) -> None:
    runs = ["syn-nan", "syn-spike-16", "real-still-improving-hf", "corpus-csv-opus"]
    assert _bench_module().main(["--only", ",".join(runs), "--details"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"verdict benchmark: {len(runs)} runs (1 not analysed)")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:2 + len(label.KINDS)]}
    assert list(rows) == list(label.KINDS)  # a kind the analysis lacks still gets its row
    labels = json.loads((BENCH / "labels.json").read_text())
    for kind, row in rows.items():
        positives = sum(label.label_of(labels[r], kind, p) is True for r in runs[:3]
                        for p in (label.PANELS if kind in label.PANEL_KINDS else (None,)))
        assert int(row[0]) == positives
    assert "NOT ANALYSED corpus-csv-opus" in out
    assert "false verdict sentences: " in out


def test_labels_cover_every_run_and_the_folder_is_small() -> None:
    labels = json.loads((BENCH / "labels.json").read_text())
    names = [label.name_of(f) for f in label.run_folders()]
    assert sorted(labels) == sorted(names)
    assert len(names) >= 40
    size = sum(p.stat().st_size for p in BENCH.rglob("*") if p.is_file())
    assert size < 10 * 2**20


@pytest.mark.parametrize(
    "name", ["real-diverge-hf", "real-overfit-lightning", "corpus-keras-emotion", "syn-patience"])
def test_stored_labels_are_what_label_py_derives(name: str) -> None:
    stored = json.loads((BENCH / "labels.json").read_text())[name]
    folder = BENCH / "runs" / name
    shape_file = folder / "shape.json"
    shape = json.loads(shape_file.read_text()) if shape_file.is_file() else {"how": "real"}
    expected = (shape["labels"] if shape["how"].startswith("GENERATED")
                else label.criteria(folder))
    assert {k: v for k, v in stored.items() if k != "source"} == expected


# --- label.py's criteria on GENERATED curves -----------------------------------------

T = np.linspace(0, 1, 100)
RNG = np.random.default_rng(0)
NOISE = 1 + 0.01 * RNG.standard_normal(100)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((1 + 3 * np.exp(-5 * T)) * NOISE, False),  # a healthy decay
        # warmed up too high: 6x for a third of the run, then back
        ((1 + 3 * np.exp(-5 * T)) * np.where((T > 0.3) & (T < 0.65), 6, 1) * NOISE, True),
        # near zero, a doubling from 0.001 to 0.002 undoes nothing of the gain from 1.0
        (np.concatenate([np.linspace(1, 0.001, 50), np.full(50, 0.002)]), False),
        (np.array([1.0, 0.9, 0.8]), None),  # too short
    ],
)
def test_divergence_label(values: np.ndarray, expected: bool | None) -> None:
    assert label.divergence_label(values) is expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (np.where(np.arange(100) == 50, 3.5, 1.0) * NOISE, True),  # one isolated spike
        ((1 + 3 * np.exp(-20 * T)) * NOISE, False),  # a steep start is not a spike
        # a loss at the 4-decimal rounding floor flipping 0.0001 <-> 0.0002
        (np.where(RNG.random(100) < 0.5, 0.0001, 0.0002), None),
    ],
)
def test_spike_label(values: np.ndarray, expected: bool | None) -> None:
    assert label.spike_label(values) is expected


@pytest.mark.parametrize(
    ("values", "plateau", "improving"),
    [
        # flat, noise 0.2%: the change's interval lies inside the 1% band
        (np.full(40, 2.0) * (1 + 0.2 * (NOISE[:40] - 1)), True, False),
        # flat but noisy (1%): too noisy to say the change is under 1%
        (np.full(40, 2.0) * NOISE[:40], None, None),
        (2.0 * (1 - 0.0015 * np.arange(40)), False, True),  # slow but sure: a real change
        (2.0 * (1 + 0.01 * np.arange(40)), False, False),  # rising
        (np.array([2.0, 1.9, 1.8, 1.7, 1.6]), None, None),  # too short to tell
        (np.array([2.0, np.nan]), False, False),  # ends on NaN
    ],
)
def test_tail_labels(values: np.ndarray, plateau: bool | None, improving: bool | None) -> None:
    ends_nan = not np.isfinite(values[-1])
    assert label.tail_labels(values, ends_nan) == {"plateau": plateau,
                                                   "still_improving": improving}
