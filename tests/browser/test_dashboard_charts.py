"""The manager clicks a week's bar of the satisfaction chart (the UI in Chinese) and lands on
the list of the tickets resolved that week."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from backoffice.reports.selectors import week_start
from tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: each bar of a chart: its link and where it is on the screen (viewport pixels)
BARS_JS = """(selector) => {
    const canvas = document.querySelector(selector + ' canvas.chart');
    const chart = Chart.getChart(canvas);
    const box = canvas.getBoundingClientRect();
    return chart.getDatasetMeta(0).data.map((bar, i) => ({
        link: chart.data.datasets[0].links[i], x: box.left + bar.x,
        y: box.top + (bar.y + bar.base) / 2, height: bar.base - bar.y}));
}"""

OPTIONS_JS = """(selector) => {
    const chart = Chart.getChart(document.querySelector(selector + ' canvas.chart'));
    return {legend: chart.options.plugins.legend.display,
            zero: chart.options.scales.y.beginAtZero, max: chart.options.scales.y.max};
}"""


def test_a_bar_opens_the_tickets_behind_it(page, login, live_server, manager):
    today = timezone.localdate()
    last_monday = week_start(today) - dt.timedelta(days=7)

    def at(day):
        return timezone.make_aware(dt.datetime.combine(day, dt.time(11)))

    last_week = TicketFactory(state="closed", subject="上周解决的服务单",
                              received_at=at(last_monday - dt.timedelta(days=3)),
                              resolved_at=at(last_monday + dt.timedelta(days=1)),
                              satisfaction=5, satisfaction_source="phone")
    earlier = TicketFactory(state="closed", subject="两周前解决的服务单",
                            received_at=at(last_monday - dt.timedelta(days=10)),
                            resolved_at=at(last_monday - dt.timedelta(days=6)),
                            satisfaction=3, satisfaction_source="link")
    still_open = TicketFactory(state="new", subject="本周新建的服务单", received_at=at(today))

    login("manager")
    chart = "#satisfaction-chart"
    # charts.js marks the chart once it has laid its options and its click handler on it
    page.wait_for_selector(f"{chart}[data-chart-ready='1']", state="attached")
    assert page.evaluate(OPTIONS_JS, chart) == {"legend": True, "zero": True, "max": 5}
    page.locator(f"{chart} canvas").scroll_into_view_if_needed()
    bars = page.evaluate(BARS_JS, chart)
    assert len(bars) == 12
    wanted = f"resolved_at__date__gte={last_monday.isoformat()}"
    (bar,) = [b for b in bars if b["link"] and wanted in b["link"]]
    assert bar["height"] > 10  # a 5 out of 5

    with page.expect_navigation(url=re.compile(rf".*/admin/backoffice/ticket/\?.*{wanted}")):
        page.mouse.click(bar["x"], bar["y"])

    listing = page.locator("#result_list")
    listing.wait_for()
    assert last_week.number in listing.inner_text()
    assert earlier.number not in listing.inner_text()
    assert still_open.number not in listing.inner_text()
    assert "服务单" in page.title()  # the list, in Chinese
