"""Gallery cells: blank predictions shown as what they hold, long ones cut with a count."""

from __future__ import annotations

import html
import re

import pytest

from reportlib.present.gallery import MAX_LINES, describe_blank, text_cell_html


@pytest.mark.parametrize("text, expected", [
    ("\n" * 41, "(empty: 41 line breaks)"),
    ("", "(empty: no characters)"),
    ("  \n\t", "(empty: 1 line break, 2 spaces, 1 tab)"),
    ("\u00a0", "(empty: 1 other whitespace character)"),
    ("  x  ", None),
])
def test_blank_text_is_described(text, expected):
    assert describe_blank(text) == expected


def test_blank_cell_shows_its_description_not_an_empty_box():
    cell = text_cell_html("\n" * 41)
    assert cell == '<pre class="blank"><em>(empty: 41 line breaks)</em></pre>'


def test_long_cell_is_cut_with_the_count_of_what_was_cut():
    text = "\n".join(f"line_{i} = {i}" for i in range(100))
    cell = html.unescape(re.sub(r"<[^>]+>", "", text_cell_html(text)))  # what a reader sees
    assert "line_0" in cell and f"line_{MAX_LINES - 1}" in cell and f"line_{MAX_LINES}" not in cell
    assert f"{100 - MAX_LINES} more lines" in cell
