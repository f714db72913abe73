"""Tests of reportlib.metrics: name normalisation and which way is better."""

from __future__ import annotations

import pytest

from reportlib.metrics import higher_is_better, normalise_key, normalise_keys


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        # The issue's examples: all of these are the eval loss.
        ("val_loss", ("eval", "loss")),
        ("eval_loss", ("eval", "loss")),
        ("valid/loss", ("eval", "loss")),
        ("validation_loss", ("eval", "loss")),
        ("val/loss_epoch", ("eval", "loss")),
        # chrF however it is spelled.
        ("chrf", ("train", "chrf")),
        ("chrF", ("train", "chrf")),
        ("eval_chrf", ("eval", "chrf")),
        ("eval/chrF++", ("eval", "chrf++")),
        # Training names.
        ("loss", ("train", "loss")),
        ("train_loss_step", ("train", "loss")),
        ("train/loss", ("train", "loss")),
        ("lr", ("train", "learning_rate")),
        ("grad_norm", ("train", "grad_norm")),
        # Aliases added for the new formats: detectron2, OpenNMT, Keras.
        ("total_loss", ("train", "loss")),
        ("xent", ("train", "loss")),
        ("val_acc", ("eval", "accuracy")),
        ("ppl", ("train", "perplexity")),
        # Position names keep their suffix: global_step is not "global".
        ("global_step", ("train", "global_step")),
        ("train/global_step", ("train", "global_step")),
    ],
)
def test_normalise_key(key: str, expected: tuple[str, str]) -> None:
    assert normalise_key(key) == expected


def test_default_split_applies_to_unprefixed_names_only() -> None:
    assert normalise_key("loss", default_split="eval") == ("eval", "loss")
    assert normalise_key("train_loss", default_split="eval") == ("train", "loss")
    assert normalise_key("loss", default_split="") == ("", "loss")


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        # Lightning logs a metric per step and per epoch: two curves, not one.
        (
            ["train_loss_step", "train_loss_epoch", "val_loss"],
            {
                "train_loss_step": ("train", "loss"),
                "train_loss_epoch": ("train", "loss_epoch"),
                "val_loss": ("eval", "loss"),
            },
        ),
        # A lone _epoch name is just the metric.
        (["val/loss_epoch"], {"val/loss_epoch": ("eval", "loss")}),
        # Two names for one curve: the first keeps it.
        (
            ["val_loss", "valid/loss"],
            {"val_loss": ("eval", "loss"), "valid/loss": ("eval", "valid/loss")},
        ),
    ],
)
def test_normalise_keys(keys: list[str], expected: dict) -> None:
    names, _ = normalise_keys(keys)
    assert names == expected


def test_colliding_names_are_said() -> None:
    _, warnings = normalise_keys(["val_loss", "valid/loss"])
    assert warnings == [
        "'val_loss' and 'valid/loss' both name the eval loss: 'valid/loss' is kept as metric "
        "'valid/loss' (map it in run.yaml's metric_names to choose)"
    ]
    assert normalise_keys(["loss", "val_loss"])[1] == []


def test_overrides_win_and_claim_their_curve_first() -> None:
    names, warnings = normalise_keys(
        ["val_loss", "bbox/AP"], overrides={"bbox/AP": ("eval", "ap"), "x": ("eval", "loss")}
    )
    assert names == {"val_loss": ("eval", "loss"), "bbox/AP": ("eval", "ap")}
    assert warnings == []
    names, warnings = normalise_keys(
        ["val_loss", "my_loss"], overrides={"my_loss": ("eval", "loss")}
    )
    assert names["my_loss"] == ("eval", "loss")
    assert names["val_loss"] == ("eval", "val_loss")
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("chrf", True),
        ("bleu", True),
        ("accuracy", True),
        ("rougeLsum", True),
        ("loss", False),
        ("perplexity", False),
        ("loss_epoch", False),
        ("accuracy_epoch", True),
        ("loss_estimate", False),
        ("wer", False),
        ("learning_rate", None),
        ("grad_norm", None),
        ("ap", None),
    ],
)
def test_higher_is_better(metric: str, expected: bool | None) -> None:
    assert higher_is_better(metric) is expected


@pytest.mark.parametrize(
    ("metric", "overrides", "expected"),
    [
        ("ap", {"ap": True}, True),
        ("loss", {"loss": True}, True),  # the user's word wins over the built-in list
        ("chrf", {"ap": False}, True),
        ("ap", None, None),
    ],
)
def test_higher_is_better_overrides(metric: str, overrides: dict | None, expected) -> None:
    assert higher_is_better(metric, overrides) is expected
