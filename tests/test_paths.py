"""Paths: a run's name cannot make reportlib write outside the output folder.

The run name is the run folder's name, which may hold ``..``, spaces, quotes,
unicode, a leading dash, shell or Python syntax, or bytes that are not UTF-8.
Report folder names are sanitised (:func:`reportlib.outputs.safe_name`), the
folder is checked to be inside the output folder (a symlink planted there
cannot redirect it), and the run's path reaches the notebook as data, never as
code (papermill writes it as a string literal).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reportlib.errors import InputError, ParameterError
from reportlib.outputs import MAX_NAME_LENGTH, report_dir, safe_name
from reportlib.provenance import portable_path
from tests.conftest import snapshot

REPORTLIB = [sys.executable, "-m", "reportlib"]


def tiny_state(steps: int = 6) -> str:
    log = [{"epoch": s / 10, "loss": 3.0 - s / 10, "step": s} for s in range(1, steps + 1)]
    log += [{"epoch": s / 10, "eval_loss": 3.2 - s / 10, "step": s} for s in (2, 4, 6)]
    return json.dumps({"global_step": steps, "max_steps": steps, "log_history": log})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tiny-codegen", "tiny-codegen"),
        ("my run", "my_run"),
        ("../../etc/passwd", "etc_passwd"),
        ("..\\..\\windows", "windows"),
        ("-rf", "rf"),
        ("--help", "help"),
        (".hidden", "hidden"),
        ("a..b", "a_b"),
        ("run\x00name", "run_name"),
        ("run\nname", "run_name"),
        ("ünïcødé-日本語", "ünïcødé-日本語"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),  # NFKC: lookalikes become plain letters
        ("right\u202eto-left", "right_to-left"),  # a bidi override is not a letter
        ("x" * 300, "x" * MAX_NAME_LENGTH),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", ["a/../b", "<script>alert(1)</script>", "$(rm -rf ~)",
                                  "../../../../tmp/x", "~/x", "a\tb", "CON", "x" * 1000 + "/..",
                                  "\u2024\u2024/x"])
def test_safe_name_gives_one_plain_visible_folder_name(name):
    folder = safe_name(name)
    assert re.fullmatch(r"[\w.\-]+", folder) and len(folder) <= MAX_NAME_LENGTH
    assert not folder.startswith((".", "-")) and ".." not in folder
    assert "/" not in folder and "\\" not in folder


@pytest.mark.parametrize("name", ["..", "...", "/", "-", "--", ".", " ", "\u202e", "$()",
                                  "..\\..", "*?[]", "\u2026"])
def test_safe_name_refuses_a_name_with_nothing_left(name):
    with pytest.raises(ParameterError, match="has no letters or digits"):
        safe_name(name)


@pytest.mark.parametrize("name", ["../x", "../../x", "a/../../b", "-x", "..", "x/.."])
def test_report_dir_stays_inside_the_output_folder(tmp_path, name):
    out = tmp_path / "out"
    try:
        target = report_dir(out, name)
    except ParameterError:
        assert not any(p for p in tmp_path.rglob("*") if p != out)
        return
    assert target.parent == out.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_symlink_in_the_output_folder_cannot_redirect_a_report(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "my_run").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ParameterError, match="would be outside"):
        report_dir(out, "my run")
    assert list(elsewhere.iterdir()) == []


#: Run folder names a user (or a downloaded archive) may have, and their report folders.
RUN_FOLDERS = {
    "-leading dash ünïcødé 日本語": "leading_dash_ünïcødé_日本語",
    # Quotes and code: the run's path is injected into the notebook as a parameter.
    "x\"; __import__('pathlib').Path('PWNED').touch(); \"": "x___import__",
    "y'; open('PWNED','w'); '\\": "y_open_PWNED_w",
}


@pytest.mark.slow
def test_build_of_runs_with_odd_names_writes_only_inside_the_output_folder(tmp_path):
    runs = tmp_path / "runs"
    for name in RUN_FOLDERS:
        (runs / name).mkdir(parents=True)
        (runs / name / "trainer_state.json").write_text(tiny_state())
    before = snapshot(tmp_path)
    out = tmp_path / "out"
    # "runs/-leading..." so that click reads it as a path, as a user must write it.
    args = [str(Path(".") / "runs" / name) for name in RUN_FOLDERS]
    result = subprocess.run([*REPORTLIB, "build", *args, "-o", "out"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (tmp_path / "PWNED").exists() and not any(tmp_path.rglob("PWNED"))
    from reportlib.build import NOTEBOOK  # the kernel runs in the notebook's folder

    assert not (Path.cwd() / "PWNED").exists() and not (NOTEBOOK.parent / "PWNED").exists()
    # Nothing outside out/ changed; nothing in the run folders changed.
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("out/")} == before
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    for name, prefix in RUN_FOLDERS.items():
        match = [f for f in folders if f.startswith(prefix)]
        assert len(match) == 1, (name, folders)
        report = out / match[0]
        assert report.resolve().parent == out.resolve()
        assert {"report.html", "summary.json", "report.ipynb"} <= {p.name for p in
                                                                 report.iterdir()}
        summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
        assert summary["run"]["name"] == name
        # The notebook received the path as data; its record holds the portable form
        # (relative to the working folder, or the folder's name), never absolute.
        notebook = json.loads((report / "report.ipynb").read_text(encoding="utf-8"))
        assert notebook["metadata"]["papermill"]["parameters"]["run_dir"] == portable_path(
            (runs / name).resolve(), base=tmp_path)  # the build ran in tmp_path


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names may hold any bytes")
def test_a_run_folder_name_that_is_not_utf8(tmp_path):
    from reportlib.analysis import analyze_run
    from reportlib.build import build_report
    from reportlib.ingest import load_run
    from reportlib.summary import summary_json

    folder = Path(os.fsdecode(bytes(tmp_path) + b"/run-\xff\xfe"))
    folder.mkdir()
    (folder / "trainer_state.json").write_text(tiny_state())
    run = load_run(folder)
    assert run.name == "run-\ufffd\ufffd"
    summary_json(run, analyze_run(run)).encode("utf-8")  # the summary can be written
    # A notebook cannot hold the path: the build says so before writing anything.
    with pytest.raises(InputError, match="not valid UTF-8.*Rename the folder"):
        build_report(folder, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.html"))
