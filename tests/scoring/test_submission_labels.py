"""Labels that tell two assessments of one day apart (issue 10, item 3)."""

from __future__ import annotations

import datetime as dt

from scoring.numbers import submission_labels
from ui.charts import history_labels

UTC = dt.UTC


def test_time_is_added_only_where_two_share_a_lima_day() -> None:
    times = [
        dt.datetime(2026, 12, 1, 14, 5, tzinfo=UTC),  # 09:05 in Lima
        dt.datetime(2026, 12, 1, 20, 40, tzinfo=UTC),  # 15:40 in Lima, same day
        dt.datetime(2026, 12, 2, 3, 0, tzinfo=UTC),  # 22:00 of 1 December in Lima
        dt.datetime(2027, 1, 10, 15, 0),  # naive: stored UTC
    ]
    assert submission_labels(times) == [
        "1 de diciembre de 2026, 09:05 h",
        "1 de diciembre de 2026, 15:40 h",
        "1 de diciembre de 2026, 22:00 h",
        "10 de enero de 2027",
    ]
    assert history_labels(times) == [
        "01/12/2026 09:05",
        "01/12/2026 15:40",
        "01/12/2026 22:00",
        "10/01/2027",
    ]
    assert submission_labels([times[0], times[3]]) == [
        "1 de diciembre de 2026",
        "10 de enero de 2027",
    ]
