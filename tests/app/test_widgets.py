from __future__ import annotations

import io

import pandas as pd

from app.widgets import spreadsheet_safe_csv


def test_text_that_starts_like_a_formula_is_quoted_and_numbers_are_not() -> None:
    data = pd.DataFrame(
        {
            "name": ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3", "\tx", "plain", None],
            "auc": [-0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.5],
        }
    )
    read = pd.read_csv(io.StringIO(spreadsheet_safe_csv(data)), keep_default_na=False)
    assert read["name"].tolist() == [
        "'=cmd|' /C calc'!A0",
        "'+1+1",
        "'@SUM(A1)",
        "'-2+3",
        "'\tx",
        "plain",
        "",
    ]
    assert read["auc"].tolist() == data["auc"].tolist()
    assert data["name"][0] == "=cmd|' /C calc'!A0"  # the shown frame is untouched
