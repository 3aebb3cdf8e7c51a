"""Maintenance schedule arithmetic: cycles, month ends, leap years."""

import datetime as dt

import pytest

from backoffice.care.models import MaintenancePlan, add_months, advance
from backoffice.care.workflows import MaintenanceCycle as C

D = dt.date


@pytest.mark.parametrize("day, months, anchor, expected", [
    (D(2026, 1, 15), 1, None, D(2026, 2, 15)),
    (D(2026, 1, 31), 1, None, D(2026, 2, 28)),        # shorter month: its last day
    (D(2026, 2, 28), 1, 31, D(2026, 3, 31)),          # back to the anchor day
    (D(2026, 11, 30), 3, 30, D(2027, 2, 28)),         # across the year end
    (D(2027, 12, 31), 2, 31, D(2028, 2, 29)),         # leap year
    (D(2028, 2, 29), 12, 29, D(2029, 2, 28)),         # yearly from 29 February
    (D(2026, 8, 31), 6, 31, D(2027, 2, 28)),
    (D(2026, 5, 10), -1, None, D(2026, 4, 10)),
])
def test_add_months(day, months, anchor, expected):
    assert add_months(day, months, anchor) == expected


def test_each_cycle():
    start = D(2026, 1, 31)
    assert advance(start, C.WEEKLY) == D(2026, 2, 7)
    assert advance(start, C.MONTHLY, 31) == D(2026, 2, 28)
    assert advance(start, C.QUARTERLY, 31) == D(2026, 4, 30)
    assert advance(start, C.HALF_YEARLY, 31) == D(2026, 7, 31)
    assert advance(start, C.YEARLY, 31) == D(2027, 1, 31)


def test_a_monthly_plan_from_the_31st_does_not_drift():
    plan = MaintenancePlan(cycle=C.MONTHLY, starts_on=D(2026, 1, 31))
    day, seen = plan.starts_on, []
    for _ in range(4):
        day = plan.following(day)
        seen.append(day)
    assert seen == [D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31)]


def test_twelve_monthly_steps_make_a_year():
    plan = MaintenancePlan(cycle=C.MONTHLY, starts_on=D(2026, 3, 30))
    day = plan.starts_on
    for _ in range(12):
        day = plan.following(day)
    assert day == D(2027, 3, 30)
