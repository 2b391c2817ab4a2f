"""Import page views: the preview in words, the actions a role may take."""

from __future__ import annotations

import json

from layouts import imports as v

PREVIEW = {
    "platform": "meta",
    "platform_name": "Meta Ads Manager",
    "kind": "ads",
    "rows": 1234,
    "date_from": "2026-11-01",
    "date_to": "2026-11-14",
    "spend": 4484.22,
    "campaigns": 2,
    "ads": 3,
    "currencies": ["USD"],
    "columns": {"date": "Day", "spend": "Amount spent (USD)"},
}


def dump(component) -> str:  # noqa: ANN001
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json())


def test_preview_says_rows_dates_spend_and_columns_read():
    lines = dict(v.preview_lines({"preview": PREVIEW}))
    assert lines["Rows"] == "1,234" and lines["Dates"] == "2026-11-01 → 2026-11-14"
    assert lines["Spend"] == "USD 4,484.22" and lines["Columns read"] == "Day, Amount spent (USD)"


def test_ready_file_offers_import_only_to_who_may_import():
    item = {"id": 7, "filename": "m.csv", "status": "ready", "preview": PREVIEW}
    assert "Import 1,234 rows" in dump(v.import_card(item, "tok", True))
    assert "Import 1,234 rows" not in dump(v.import_card(item, "tok", False))


def test_a_problem_is_shown_in_words_and_running_files_poll():
    item = {"id": 8, "filename": "b.csv", "status": "invalid", "error": 'Row 17, column "Day"'}
    assert 'Row 17, column \\"Day\\"' in dump(v.import_card(item, "tok", True))
    page = v.import_page([{**item, "status": "importing", "progress": 40}], "tok", [])
    assert '"disabled": false' in dump(page)  # the poll runs while a file is being imported
