"""Tests of reportlib.metrics: name normalisation and which way is better."""

from __future__ import annotations

import pytest

from reportlib.metrics import SPLIT_WORDS, higher_is_better, normalise_key, normalise_keys


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
        # Names written as words (a CSV header): a split word among them is the split,
        # a word that merely contains one is not.
        ("Final Test F1 Score", ("test", "final_f1_score")),
        ("Val Loss", ("eval", "loss")),
        ("interval loss", ("train", "interval_loss")),
        ("Test", ("train", "test")),
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


#: Every name form of a split that ingest maps, as logs write them: the split
#: word before or after the metric, with ``_`` or ``/``, any case.
SPLIT_NAME_FORMS = [
    # validation
    ("eval_loss", "eval"), ("eval/loss", "eval"), ("loss_eval", "eval"), ("loss/eval", "eval"),
    ("evaluation_loss", "eval"), ("evaluation/loss", "eval"), ("loss_evaluation", "eval"),
    ("loss/evaluation", "eval"),
    ("val_loss", "eval"), ("val/loss", "eval"), ("loss_val", "eval"), ("loss/val", "eval"),
    ("valid_loss", "eval"), ("valid/loss", "eval"), ("loss_valid", "eval"), ("loss/valid", "eval"),
    ("validation_loss", "eval"), ("validation/loss", "eval"), ("loss_validation", "eval"),
    ("loss/validation", "eval"),
    ("dev_loss", "eval"), ("dev/loss", "eval"), ("loss_dev", "eval"), ("loss/dev", "eval"),
    ("Val/Loss", "eval"), ("VALID_LOSS", "eval"), ("val_loss_epoch", "eval"),
    ("loss_val_epoch", "eval"),
    # test: its own split, never the validation curve
    ("test_loss", "test"), ("test/loss", "test"), ("loss_test", "test"), ("loss/test", "test"),
    ("Test_Loss", "test"), ("test_loss_epoch", "test"),
    # train
    ("train_loss", "train"), ("train/loss", "train"), ("loss_train", "train"),
    ("loss/train", "train"), ("training_loss", "train"), ("training/loss", "train"),
    ("loss_training", "train"), ("loss/training", "train"),
    # inside a path
    ("metrics/val_loss", "eval"), ("loss/val/top1", "eval"), ("charts/test_acc", "test"),
    ("epoch/loss_valid", "eval"),
    # no split word: the default split
    ("loss", "train"), ("validation", "train"), ("test", "train"),
]


#: The metric of the forms above that is not "loss".
OTHER_METRICS = {"loss/val/top1": "loss/top1", "charts/test_acc": "charts/acc",
                 "metrics/val_loss": "metrics/loss", "epoch/loss_valid": "epoch/loss",
                 "validation": "validation", "test": "test"}


@pytest.mark.parametrize(("key", "split"), SPLIT_NAME_FORMS)
def test_every_split_name_form(key: str, split: str) -> None:
    got_split, metric = normalise_key(key)
    assert got_split == split
    # The split word is gone from the metric (a bare split word is a metric name).
    assert metric == OTHER_METRICS.get(key, "loss")


def test_the_table_covers_every_split_word() -> None:
    forms = {key.lower() for key, _ in SPLIT_NAME_FORMS}
    for words in SPLIT_WORDS.values():
        for word in words:
            for form in (f"{word}_loss", f"{word}/loss", f"loss_{word}", f"loss/{word}"):
                assert form in forms, form


@pytest.mark.parametrize(("metric", "higher"), [
    # a name built on a known word goes that word's way (an audited val_Class_Accuracy)
    ("class_accuracy", True), ("token_acc", True), ("f1_macro", True), ("val_wer", False),
    ("error_rate", False),
    # no known word, or words pointing both ways: unknown, not guessed
    ("my_metric", None), ("accuracy_error", None), ("interval", None),
])
def test_direction_of_a_name_built_on_a_known_word(metric: str, higher) -> None:
    assert higher_is_better(metric) is higher



def test_bounds_of_a_name_built_on_a_known_word() -> None:
    # an audited NER log's overall_accuracy (0.835 -> 0.859) is judged by its error, as
    # accuracy is; words that disagree give no bounds
    from reportlib.metrics import bounds_for

    assert bounds_for("overall_accuracy", [0.835, 0.859]) == (0.0, 1.0)
    assert bounds_for("accuracy_error", [0.1, 0.2]) is None
