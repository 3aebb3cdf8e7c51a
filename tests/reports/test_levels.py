"""The monthly report's time per support level: each level's own working time on the
tickets resolved in the month, against its target (the level clocks of an escalated
ticket: 1st line 3 h against 1 h, 2nd line 2 h against 4 h)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from backoffice.reports.selectors.levels import level_times
from backoffice.reports.selectors.periods import Period
from tests.desk import test_level_clock as level_clock

pytestmark = pytest.mark.django_db
# the escalated ticket of the level-clock tests (fixtures)
policy, clock, escalated = level_clock.policy, level_clock.clock, level_clock.escalated
NOVEMBER = {"period": "month", "month": "2026-11"}


def test_each_level_is_held_to_its_own_target(escalated):
    import datetime as dt

    rows = level_times(Period.of("month", dt.date(2026, 11, 1)))
    assert [(r["level"], r["tickets"], r["hours"], r["measured"], r["within_share"])
            for r in rows] == [(1, 1, 3.0, 1, 0.0), (2, 1, 2.0, 1, 100.0)]
    assert level_times(Period.of("month", dt.date(2026, 10, 1))) == []


def test_the_report_page_and_its_workbook_show_it(escalated, client, manager):
    client.force_login(manager)
    html = client.get(reverse("admin:backoffice_report_changelist"), NOVEMBER).content.decode()
    table = html[html.index('id="by-level"'):]
    table = table[:table.index("</table>")]
    first = table[table.index('data-level="1"'):]
    assert "1st line" in first and "3.0" in first and "0.0 %" in first
    second = table[table.index('data-level="2"'):]
    assert "2.0" in second and "100.0 %" in second
    response = client.get(reverse("admin:backoffice_report_export"), NOVEMBER)
    sheet = load_workbook(io.BytesIO(response.content))["Time per support level"]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        ("1st line", 1, 3.0, 0.0), ("2nd line", 1, 2.0, 100.0)]
