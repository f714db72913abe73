"""Tests of reportlib.ingest.tidy: values in log order -> the scalars frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportlib.ingest.tidy import (
    LoggedValues,
    all_finite,
    concat_logged,
    empty_logged,
    epoch_to_column,
    frame_from_codes,
    held_codes,
    hf_summary_to_meta,
    tidy_scalars,
)
from reportlib.metrics import normalise_key
from reportlib.run import make_scalars


def logged(rows: list[tuple[int, str, float]], **extra) -> LoggedValues:
    """(step, key, value) rows in log order."""
    keys = list(dict.fromkeys(key for _, key, _ in rows))
    return LoggedValues(
        step=np.array([r[0] for r in rows], dtype=np.int64),
        value=np.array([r[2] for r in rows], dtype=np.float64),
        key=np.array([keys.index(r[1]) for r in rows], dtype=np.int64),
        keys=keys,
        **extra,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_frame_as_make_scalars(seed: int) -> None:
    """Without repeats, the column-wise build equals make_scalars of one dict per row."""
    rng = np.random.default_rng(seed)
    keys = ["loss", "eval_loss", "eval_chrf", "learning_rate", "val/acc"]
    pairs = {(int(s), k) for s, k in zip(rng.integers(0, 50, 200), rng.choice(keys, 200),
                                         strict=True)}
    rows = [(s, k, float(rng.normal())) for s, k in sorted(pairs, key=lambda p: rng.random())]
    epochs = rng.random(len(rows))
    walls = rng.random(len(rows)) * 1e9
    frame, warnings = tidy_scalars(logged(rows, epoch=epochs, wall_time=walls))
    expected = make_scalars(
        [
            {"step": s, "epoch": e, "split": normalise_key(k)[0], "metric": normalise_key(k)[1],
             "value": v, "wall_time": w, "source_key": k}
            for (s, k, v), e, w in zip(rows, epochs, walls, strict=True)
        ]
    )
    pd.testing.assert_frame_equal(frame, expected)
    assert warnings == []


def test_empty() -> None:
    frame, warnings = tidy_scalars(empty_logged())
    pd.testing.assert_frame_equal(frame, make_scalars())
    assert warnings == []


def test_a_repeated_step_keeps_the_later_value_and_says_which_steps() -> None:
    # A run resumed from step 20 logs steps 30 and 40 again.
    rows = [(10, "loss", 1.0), (20, "loss", 0.9), (30, "loss", 0.8), (40, "loss", 0.7),
            (30, "loss", 0.75), (40, "loss", 0.65), (50, "loss", 0.6), (40, "val_loss", 1.2)]
    frame, warnings = tidy_scalars(logged(rows))
    train = frame[frame["split"] == "train"]
    assert list(train["step"]) == [10, 20, 30, 40, 50]
    assert list(train["value"]) == [1.0, 0.9, 0.75, 0.65, 0.6]
    assert warnings == [
        "2 values logged again, changed, for the same step, split and metric (steps 30-40; "
        "train loss): a resumed run that repeated those steps, or several logs (or runs) "
        "written to one place; the later values were kept"
    ]
    # The eval value at step 40 is another curve: kept.
    assert frame[frame["split"] == "eval"]["value"].tolist() == [1.2]


def test_a_value_written_again_unchanged_is_dropped_without_a_warning() -> None:
    # LLaMA-Factory's closing record repeats the last step's numbers (throughput 0.00,
    # total_tokens 0); a real change at the same step is still said.
    rows = [(10, "loss", 1.0), (20, "loss", 0.9), (20, "throughput", 0.0),
            (20, "throughput", 0.0), (20, "grad_norm", float("nan")),
            (20, "grad_norm", float("nan"))]
    frame, warnings = tidy_scalars(logged(rows))
    assert len(frame) == 4  # loss twice, throughput and grad_norm once each
    assert not any("logged again" in w for w in warnings)
    assert list(frame.loc[frame["metric"] == "throughput", "value"]) == [0.0]
    frame, warnings = tidy_scalars(logged(rows[:3] + [(20, "throughput", 5.0)]))
    assert frame.loc[frame["metric"] == "throughput", "value"].tolist() == [5.0]
    assert any("1 value logged again, changed" in w for w in warnings)


def test_train_and_eval_rows_sharing_a_step_stay_separate() -> None:
    frame, warnings = tidy_scalars(logged([(5, "loss", 1.0), (5, "eval_loss", 2.0)]))
    assert sorted(frame["split"]) == ["eval", "train"]
    assert warnings == []


def test_nan_and_inf_are_kept_and_counted() -> None:
    frame, warnings = tidy_scalars(
        logged([(1, "loss", float("nan")), (2, "loss", float("inf")), (3, "loss", 1.0)])
    )
    assert len(frame) == 3
    assert np.isnan(frame["value"].iloc[0]) and np.isinf(frame["value"].iloc[1])
    assert warnings == [
        "NaN or infinite values kept as logged: 2 (train loss nan at step 1, train loss inf at "
        "step 2)"
    ]


def test_names_override_the_rules() -> None:
    frame, _ = tidy_scalars(logged([(1, "bbox/AP", 40.0)]), names={"bbox/AP": ("eval", "ap")})
    assert frame[["split", "metric", "source_key"]].values.tolist() == [["eval", "ap", "bbox/AP"]]


def test_concat_matches_keys_by_name_and_keeps_order() -> None:
    first = logged([(1, "loss", 1.0), (2, "lr", 0.1)])
    second = logged([(2, "lr", 0.2), (3, "loss", 0.5)], wall_time=np.array([7.0, 8.0]))
    joined = concat_logged([first, second])
    assert joined.keys == ["loss", "lr"]
    assert [joined.keys[k] for k in joined.key] == ["loss", "lr", "lr", "loss"]
    assert np.isnan(joined.wall_time[:2]).all() and list(joined.wall_time[2:]) == [7.0, 8.0]
    frame, warnings = tidy_scalars(joined)
    assert frame.set_index("step").loc[2, "value"] == 0.2  # the later file wins
    assert len(warnings) == 1


def test_epoch_values_become_the_epoch_column() -> None:
    values = logged([(10, "train/loss", 2.0), (10, "train/epoch", 0.5), (20, "eval/loss", 1.5),
                     (20, "train/epoch", 1.0), (30, "train/loss", 1.0)])
    moved = epoch_to_column(values)
    frame, _ = tidy_scalars(moved)
    assert "epoch" not in set(frame["metric"])
    assert frame["step"].tolist() == [10, 20, 30]
    np.testing.assert_array_equal(frame["epoch"], [0.5, 1.0, np.nan])  # step 30 has none


def test_trainer_summary_goes_to_meta() -> None:
    values = logged([(10, "train/loss", 2.0), (10, "train/train_runtime", 12.5),
                     (10, "train/train_loss", 2.1), (10, "train/total_flos", 1e12)])
    kept, summary = hf_summary_to_meta(values)
    assert summary == {"step": 10, "train_runtime": 12.5, "train_loss": 2.1, "total_flos": 1e12}
    assert [kept.keys[k] for k in kept.key] == ["train/loss"]


def test_train_loss_without_a_summary_is_a_value() -> None:
    values = logged([(10, "train_loss", 2.0)])
    kept, summary = hf_summary_to_meta(values)
    assert summary == {} and len(kept) == 1


def test_names_without_values_do_not_collide() -> None:
    values = LoggedValues(step=np.array([1]), value=np.array([2.0]), key=np.array([1]),
                          keys=["valid/loss", "val_loss"])
    frame, warnings = tidy_scalars(values)
    assert frame[["split", "metric", "source_key"]].values.tolist() == [["eval", "loss",
                                                                         "val_loss"]]
    assert warnings == []


# --- the names as categoricals, and the fast paths ---------------------------------------------


@pytest.mark.parametrize(
    "rows",
    [
        [(1, "loss", 1.0), (1, "eval_loss", 2.0), (2, "learning_rate", 0.1)],
        # "loss" at step 2 is replaced: its key still holds step 1's value.
        [(1, "loss", 1.0), (2, "loss", 2.0), (2, "loss", 3.0)],
        # Every value of "valid/loss" is replaced by "val_loss": the key is gone.
        [(1, "eval/loss", 1.0), (1, "eval_loss", 2.0)],
    ],
    ids=["plain", "a value replaced", "a key's every value replaced"],
)
def test_names_are_categoricals_of_the_names_present_sorted(rows: list) -> None:
    frame, _ = tidy_scalars(logged(rows))
    for column in ("split", "metric", "source_key"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
        categories = frame[column].cat.categories.tolist()
        assert categories == sorted(set(frame[column].astype(str))), column


@pytest.mark.parametrize(
    ("rows", "in_order"),
    [
        ([(1, "eval_loss", 2.0), (1, "loss", 1.0), (2, "eval_loss", 0.5), (3, "loss", 0.9)], True),
        # Keys not in curve order: the reader's word is not enough, tidy_scalars checks.
        ([(1, "loss", 1.0), (1, "eval_loss", 2.0), (2, "loss", 0.5)], True),
        ([(2, "loss", 1.0), (1, "loss", 2.0), (2, "loss", 0.5)], False),
    ],
)
def test_a_log_in_order_gives_the_frame_a_checked_one_gives(rows: list, in_order: bool) -> None:
    trusted, trusted_warnings = tidy_scalars(logged(rows, in_order=in_order))
    checked, checked_warnings = tidy_scalars(logged(rows))
    pd.testing.assert_frame_equal(trusted, checked)
    assert trusted_warnings == checked_warnings


def test_frame_from_codes_labels_may_share_a_source_key() -> None:
    """hf_trainer: an unprefixed key is a train value in a train entry, an eval one in an eval's."""
    labels = [("total_flos", "train", "total_flos"), ("total_flos", "eval", "total_flos"),
              ("eval_loss", "eval", "loss")]
    built = frame_from_codes(np.array([5, 5, 5]), np.array([0, 1, 2]), np.array([1.0, 2.0, 3.0]),
                             labels)
    assert built.frame[["split", "metric", "source_key", "value"]].values.tolist() == [
        ["eval", "loss", "eval_loss", 3.0],
        ["eval", "total_flos", "total_flos", 2.0],
        ["train", "total_flos", "total_flos", 1.0],
    ]
    assert built.frame["source_key"].cat.categories.tolist() == ["eval_loss", "total_flos"]
    assert built.kept.tolist() == [2, 1, 0]


@pytest.mark.parametrize(
    ("codes", "count", "expected"),
    [([0, 2, 2], 3, [True, False, True]), ([], 2, [False, False]),
     (list(range(40)) * 2, 41, [True] * 40 + [False])],
    ids=["few codes", "none", "many codes"],
)
def test_held_codes(codes: list, count: int, expected: list) -> None:
    assert held_codes(np.array(codes, dtype=np.int64), count).tolist() == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1.0, -2.0], True), ([], True), ([1.0, np.nan], False), ([np.inf, 1.0], False),
     ([-np.inf], False), ([1e308, -1e308], True)],
)
def test_all_finite(values: list, expected: bool) -> None:
    assert all_finite(np.array(values, dtype=np.float64)) is expected


def test_make_scalars_names_are_sorted_categoricals() -> None:
    frame = make_scalars([{"step": 1, "split": "train", "metric": "loss", "value": 1.0,
                           "source_key": "loss"},
                          {"step": 1, "split": "eval", "metric": "bleu", "value": 2.0,
                           "source_key": "eval_bleu"}])
    assert frame["metric"].cat.categories.tolist() == ["bleu", "loss"]
    assert frame["split"].tolist() == ["eval", "train"]  # sorted by step, split, metric
