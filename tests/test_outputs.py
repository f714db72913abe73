"""Atomic writes and safe report folder names."""

from __future__ import annotations

import os

import pytest

from reportlib.errors import ParameterError
from reportlib.outputs import atomic_file, report_dir, safe_name, write_text_atomic


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


@pytest.mark.parametrize(("mode", "payload"), [("wb", b"new\x00bytes"), ("w", "nouveau \u00e9\n")])
def test_atomic_file_replaces_on_success(tmp_path, mode, payload):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_file(target, mode) as handle:
        handle.write(payload)
        assert target.read_bytes() == b"old"  # not replaced before the block ends
    expected = payload if mode == "wb" else payload.encode("utf-8")
    assert target.read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_atomic_file_leaves_the_old_file_and_no_temp_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="midway"), atomic_file(target, "w") as handle:
        handle.write("half")
        raise RuntimeError("midway")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_file_refuses_a_reading_mode(tmp_path):
    with pytest.raises(ParameterError, match="mode must be 'wb' or 'w', got 'r'"), \
            atomic_file(tmp_path / "x", "r"):
        pass
