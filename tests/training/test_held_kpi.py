"""The appraisal's time figure is the engineer's own level's time: on an escalated ticket
the 1st-line engineer held it 3 working hours, the 2nd-line expert 2 (waits left out)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.desk import test_level_clock as level_clock
from training import selectors, services

pytestmark = pytest.mark.django_db
# the escalated ticket of the level-clock tests (fixtures)
policy, clock, escalated = level_clock.policy, level_clock.clock, level_clock.escalated
NOVEMBER = dt.date(2026, 11, 1)


def test_each_engineer_is_measured_by_the_time_they_held_the_ticket(escalated, engineer):
    kpis = selectors.ticket_kpis(NOVEMBER)
    mine, theirs = kpis[engineer.pk], kpis[escalated.expert.pk]
    assert (mine.held, mine.held_seconds) == (1, 3 * 3600)
    assert mine.figures["avg_held_hours"] == Decimal("3.00")
    assert theirs.figures["avg_held_hours"] == Decimal("2.00")
    assert selectors.ticket_kpis(dt.date(2026, 10, 1)) == {}


def test_the_appraisal_page_shows_it(escalated, engineer, manager, client):
    services.appraisals_generate(period=services.period_for(NOVEMBER), actor=manager)
    appraisal = engineer.appraisals.get()
    assert appraisal.avg_held_hours == Decimal("3.00") and appraisal.tickets_held == 1
    client.force_login(manager)
    html = client.get(reverse("admin:training_appraisal_change",
                              args=[appraisal.pk])).content.decode()
    figures = html[html.index('id="key-figures"'):]
    row = figures[figures.index("Average time holding a resolved ticket"):]
    assert "3.00" in row[:row.index("</tr>")]
