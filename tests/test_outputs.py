"""Atomic writes and safe report folder names."""

from __future__ import annotations

import os

import pytest

from reportlib.errors import ParameterError
from reportlib.outputs import report_dir, safe_name, write_text_atomic


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tiny-codegen", "tiny-codegen"),
        ("my run 1", "my_run_1"),
        ("../../etc/passwd", "etc_passwd"),
        ("-rf", "rf"),
        (".hidden", "hidden"),
        ("a/b\\c", "a_b_c"),
        ("résumé", "résumé"),
        ("日本語 run", "日本語_run"),
        ("x" * 300, "x" * 100),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", ["", "..", "/", "---", "   "])
def test_safe_name_rejects_names_with_nothing_left(name):
    with pytest.raises(ParameterError, match="has no letters or digits"):
        safe_name(name)


def test_report_dir_stays_inside_out_dir(tmp_path):
    target = report_dir(tmp_path / "reports", "../../outside")
    assert target.parent == (tmp_path / "reports").resolve()
    assert target.is_dir()


def test_write_text_atomic_replaces_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "report.html"
    path.write_text("old")
    write_text_atomic(path, "new ✓")
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert os.listdir(tmp_path) == ["report.html"]


def test_write_text_atomic_keeps_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "summary.json"
    path.write_text("previous")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(path, "half")
    assert path.read_text() == "previous"
    assert sorted(os.listdir(tmp_path)) == ["summary.json"]
