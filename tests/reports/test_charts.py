"""The charts of the dashboard and the service report: every point and bar carries the link
to the list behind it, legends are on, y-axes start at zero, a series of one value is drawn.

(What a click does in the browser: tests/browser/test_dashboard_charts.py.)
"""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.platform import dashboard as board
from backoffice.reports import selectors as reports
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
INDEX = "admin:index"


def charts_of(response, *names):
    """(data, options) of each named chart in the page's context, parsed from JSON."""
    holder = response.context.get("dashboard") or response.context["report"]
    return [(json.loads(holder[name]["data"]), json.loads(holder[name]["options"]))
            for name in names]


@pytest.fixture
def weeks():
    """Tickets received two weeks ago, resolved last week; one received this week."""
    today = timezone.localdate()
    this_monday = reports.week_start(today)
    at = lambda day: timezone.make_aware(dt.datetime.combine(day, dt.time(10)))  # noqa: E731
    old = TicketFactory(state="closed", received_at=at(this_monday - dt.timedelta(days=14)),
                        resolved_at=at(this_monday - dt.timedelta(days=6)), satisfaction=4,
                        satisfaction_source="phone")
    new = TicketFactory(state="new", received_at=at(this_monday))
    return {"old": old, "new": new, "this_monday": this_monday}


def test_every_week_of_the_dashboard_charts_links_to_its_tickets(client, manager, weeks):
    client.force_login(manager)
    response = client.get(reverse(INDEX))
    (volume, volume_options), (satisfaction, sat_options) = charts_of(
        response, "volume_chart", "satisfaction_chart")
    received, resolved = volume["datasets"]
    assert len(volume["labels"]) == 12
    assert len(received["links"]) == len(resolved["links"]) == 12
    monday = weeks["this_monday"]
    sunday = monday + dt.timedelta(days=6)
    assert received["links"][-1] == reports.changelist(
        "ticket", **reports.received_in(monday, sunday))
    assert resolved["links"][-2] == reports.changelist(
        "ticket", **reports.resolved_in(monday - dt.timedelta(days=7),
                                        monday - dt.timedelta(days=1)))
    # the satisfaction bar of a week opens the tickets resolved that week; a week without
    # a rating has no bar and no link
    assert satisfaction["datasets"][0]["links"][-2] == resolved["links"][-2]
    assert satisfaction["datasets"][0]["data"][-1] is None
    assert satisfaction["datasets"][0]["links"][-1] is None
    # the links open exactly those tickets
    this_week = client.get(received["links"][-1]).content.decode()
    assert weeks["new"].number in this_week and weeks["old"].number not in this_week
    last_week = client.get(resolved["links"][-2]).content.decode()
    assert weeks["old"].number in last_week and weeks["new"].number not in last_week

    for options in (volume_options, sat_options):
        assert options["plugins"]["legend"]["display"] is True
        assert options["scales"]["y"]["beginAtZero"] is True
    assert sat_options["scales"]["y"]["max"] == 5  # ratings go up to 5
    for line in volume["datasets"]:  # each week's point is drawn, and can be clicked
        assert line["pointRadius"] > 0 and line["pointStyle"] == "circle"


def test_the_page_wraps_each_chart_with_its_options_and_the_click_script(client, manager,
                                                                          weeks):
    client.force_login(manager)
    page = client.get(reverse(INDEX)).content.decode()
    assert page.count("data-chart-options=") == 2
    assert 'id="volume-chart"' in page and 'id="satisfaction-chart"' in page
    assert "backoffice/js/charts.js" in page
    assert "&quot;links&quot;" in page  # the links travel in the chart's data


def test_a_series_of_one_value_is_drawn_as_a_point():
    chart = board.line_chart(["12-01"], ("Received", [3], "primary", ["/admin/x/"]))
    (line,) = json.loads(chart["data"])["datasets"]
    # unfold's default for lines is pointStyle: false, which leaves a one-point line empty
    assert line["pointStyle"] == "circle" and line["pointRadius"] >= 3
    assert line["links"] == ["/admin/x/"]


def test_a_point_without_a_value_has_no_link_and_links_match_the_values():
    chart = board.bar_chart(["a", "b"], ("Avg", [4.5, None], "orange", ["/a/", "/b/"]))
    assert json.loads(chart["data"])["datasets"][0]["links"] == ["/a/", None]
    with pytest.raises(ValueError):
        board.line_chart(["a", "b"], ("Received", [1, 2], "primary", ["/a/"]))


def test_several_bar_datasets_stand_side_by_side():
    one = json.loads(board.bar_chart(["a"], ("x", [1], "primary"))["data"])["datasets"]
    two = json.loads(board.bar_chart(["a"], ("x", [1], "primary"), ("y", [2], "green"))
                     ["data"])["datasets"]
    assert one[0]["grouped"] is False and all(d["grouped"] for d in two)


def test_the_daily_report_chart_links_each_day(client, manager, weeks):
    client.force_login(manager)
    monday = weeks["this_monday"]
    response = client.get(reverse("admin:backoffice_report_changelist"),
                          {"period": "week", "date": monday.isoformat()})
    ((daily, options),) = charts_of(response, "daily_chart")
    received, resolved = daily["datasets"]
    assert received["links"][0] == reports.changelist(
        "ticket", **reports.received_in(monday, monday))
    today = timezone.localdate()
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    for day, value, link in zip(days, received["data"], received["links"], strict=True):
        assert (value is None) == (day > today) and (link is None) == (day > today)
    assert options["scales"]["y"]["beginAtZero"] is True
    assert options["plugins"]["legend"]["display"] is True
    page = client.get(received["links"][0]).content.decode()
    assert weeks["new"].number in page and weeks["old"].number not in page
