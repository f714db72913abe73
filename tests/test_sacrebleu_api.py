"""sacrebleu's private functions that reportlib relies on are still there and behave.

reportlib reproduces sacrebleu's chrF, BLEU, bootstrap intervals and paired
test to the bit by calling a few of sacrebleu's private functions
(``reportlib/scoring``). pyproject.toml bounds sacrebleu to the versions
tested; this test fails loudly, naming the function, when a sacrebleu release
moves one of them, so the bound is raised only after checking.
"""

from __future__ import annotations

import inspect

import pytest
import sacrebleu
from sacrebleu import significance
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.metrics.base import Score

#: (owner, attribute, the parameters reportlib passes) for every private API used.
PRIVATE_API = [
    (CHRF, "_compute_score_from_stats", ["self", "stats"]),
    (BLEU, "_compute_score_from_stats", ["self", "stats"]),
    (CHRF, "_cache_references", ["self", "references"]),
    (CHRF, "_compute_segment_statistics", ["self", "hypothesis", "ref_kwargs"]),
    (CHRF, "_remove_punctuation", ["self", "sent"]),
    (CHRF, "_compute_f_score", ["self", "statistics"]),
    (BLEU, "_preprocess_segment", ["self", "sent"]),
    (BLEU, "_extract_corpus_statistics", ["self", "hypotheses", "references"]),
    (significance, "_compute_p_value", ["stats", "real_difference"]),
    (significance, "estimate_ci", ["scores"]),
]


@pytest.mark.parametrize(("owner", "name", "parameters"), PRIVATE_API,
                         ids=[f"{getattr(o, '__name__', o)}.{n}" for o, n, _ in PRIVATE_API])
def test_private_function_is_there_with_its_parameters(owner, name, parameters):
    where = f"sacrebleu {sacrebleu.__version__}: {getattr(owner, '__name__', owner)}.{name}"
    assert hasattr(owner, name), f"{where} is gone: reportlib/scoring relies on it"
    found = list(inspect.signature(getattr(owner, name)).parameters)
    assert found[:len(parameters)] == parameters, \
        f"{where} now takes {found}, reportlib/scoring passes {parameters}"


def test_estimate_ci_still_sets_the_private_mean_and_ci():
    score = Score("chrF2", 50.0)
    score.estimate_ci([Score("chrF2", x) for x in (48.0, 50.0, 52.0)])
    assert hasattr(score, "_mean") and hasattr(score, "_ci"), \
        f"sacrebleu {sacrebleu.__version__}: Score.estimate_ci no longer sets _mean/_ci"


def test_installed_version_is_inside_the_tested_bound():
    from pathlib import Path

    import tomllib

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    requires = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    bound = next(r for r in requires if r.startswith("sacrebleu"))
    major, minor = (int(x) for x in sacrebleu.__version__.split(".")[:2])
    assert ">=2.6" in bound and "<2.7" in bound, bound
    assert (major, minor) == (2, 6), f"sacrebleu {sacrebleu.__version__} is outside {bound}"
