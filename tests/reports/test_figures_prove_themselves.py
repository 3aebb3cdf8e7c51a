"""Issue 19: figures that prove themselves.

On data made by the project's generator (``manage.py generate_data``, at a size the suite
affords, once for this module), for every figure the registries declare - the dashboard's
and the report's (``backoffice.reports.definitions.FIGURES``), the appraisal's KPIs
(``training.selectors.KPI_LISTS``) - and for every card the dashboard's hooks offer: the
value stays in its range, the card links to the list its definition names, and that
list, opened through the admin as the manager, has exactly as many rows as the page
counted (a rate's numerator and denominator, the items an average is taken over). A
figure another helper adds to a registry with its lists is checked without a test of its
own.
"""

import datetime as dt
import io
import re
from html import unescape
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import resolve, reverse
from django.utils import timezone

from backoffice.platform import dashboard as board
from backoffice.reports import definitions
from backoffice.reports import selectors as reports

pytestmark = pytest.mark.django_db

#: tickets generated (a year of them): enough for every figure to count something in
#: the periods below, small enough for the module to run in well under two minutes
TICKETS = 400
REPORT = "admin:backoffice_report_changelist"
PERIOD_FIGURES = [f for f in definitions.FIGURES if f.period]
NOW_FIGURES = [f for f in definitions.FIGURES if not f.period]


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """The generated data set, kept for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("generate_data", tickets=TICKETS, years=1, stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def as_manager(generated, client, make_user):
    client.force_login(make_user("manager", "figure-checker"))
    return client


def periods():
    """The weeks and months checked: the current ones (figures "so far"), and whole
    ones in the past."""
    today = timezone.localdate()
    week, month = reports.Period.of("week", today), reports.Period.of("month", today)
    return [week, week.previous(), week.previous().previous(), month, month.previous(),
            reports.Period.of("month", today - dt.timedelta(days=180))]


def rows(client, url) -> int:
    """The number of rows of the changelist at ``url`` (its paginator's count)."""
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    changelist = response.context_data["cl"]
    assert not getattr(changelist.paginator, "count_is_capped", False), url
    return changelist.result_count


def in_range(figure, value):
    low, high = figure.bounds
    return value is None or (value >= low and (high is None or value <= high))


def card(page, key):
    """The HTML of the figure card ``key`` (the kpi partial's outer block)."""
    marker = '<div class="relative flex flex-col">'
    at = page.index(f'data-figure="{key}"')
    start = page.rindex(marker, 0, at)
    end = page.find(marker, at)
    return page[start:end if end != -1 else at + 3000]


def card_link(page, key):
    return unescape(re.search(r'href="([^"]+)"', card(page, key)).group(1))


def card_value(page, key):
    match = re.search(r"text-2xl[^>]*>\s*([^<]*)<", card(page, key))
    return match.group(1).strip()


def shown(value):
    return "–" if value is None else str(value)


_reports = {}


def report(client, period):
    """The report page of ``period``: its HTML, every figure it computed (the summary
    and the care figures) and the moment it was computed at (the share answered in time
    counts the deadlines passed by then), read once for the module."""
    if period not in _reports:
        now = timezone.now()
        with time_machine.travel(now, tick=False):
            response = client.get(reverse(REPORT), dict(
                pair.split("=") for pair in period.query().split("&")))
        assert response.status_code == 200
        data = response.context["report"]
        _reports[period] = (response.content.decode(),
                            {**data["care"], **data["summary"]}, now)
    return _reports[period]


def check_lists(client, figure, values, period, where):
    counted = {}
    for drill in figure.drills:
        n = rows(client, drill.url(period))
        assert n == values[drill.count], (
            f"{figure.key} ({where}): the list of {drill.role} '{drill.count}' has {n} "
            f"rows, the figure counted {values[drill.count]}")
        counted[drill.role] = n
    value = values[figure.value] if figure.value else None
    assert in_range(figure, value), f"{figure.key} ({where}) = {value}"
    num, den = counted.get(definitions.NUMERATOR), counted.get(definitions.DENOMINATOR)
    if figure.bounds == definitions.PERCENT and den is not None:
        expected = round(100 * num / den, 1) if den else None
        assert value == expected, f"{figure.key} ({where}): {value} is not {num} of {den}"
    if definitions.AVERAGED in counted:  # an average of nothing is no average
        assert (value is None) == (counted[definitions.AVERAGED] == 0), figure.key
    return counted


@pytest.mark.parametrize("figure", PERIOD_FIGURES, ids=lambda f: f.key)
def test_report_figure_is_the_count_of_its_lists(figure, as_manager):
    assert figure.drills, f"{figure.key} links to no list"
    seen = 0
    for period in periods():
        page, values, now = report(as_manager, period)
        where = f"report {period.label}"
        with time_machine.travel(now, tick=False):  # the lists as of the page's moment
            counted = check_lists(as_manager, figure, values, period, where)
        seen += counted[figure.drills[0].role]
        if f'data-figure="{figure.key}"' in page:
            assert card_link(page, figure.key) == figure.link(period), where
    model = figure.drills[0].model
    if not seen and model != "ticket":  # care and knowledge have no generator (yet)
        pytest.skip(f"{figure.key}: the generator makes no {model} rows: checked at 0 only")
    assert seen, f"{figure.key}: nothing counted in any period (the check proves nothing)"


@pytest.mark.parametrize("figure", NOW_FIGURES, ids=lambda f: f.key)
def test_figure_of_now_is_the_count_of_its_list(figure, as_manager):
    with time_machine.travel(timezone.now(), tick=False):  # deadlines pass meanwhile
        check_lists(as_manager, figure, reports.now_counts(), None, "now")


def test_dashboard_cards_open_the_lists_they_count(as_manager):
    """Each figure card of the dashboard shows the registry's figure for this week (or
    now) and opens one of its lists, which has as many rows as the page counted."""
    week = reports.Period.of("week", timezone.localdate())
    _page, values, now = report(as_manager, week)
    with time_machine.travel(now, tick=False):
        page = as_manager.get(reverse("admin:index")).content.decode()
        values = {**values, **reports.now_counts()}
        keys = [k for k in re.findall(r'data-figure="([a-z_]+)"', page)
                if k in definitions.REGISTRY]
        assert {"open", "overdue", "resolution_rate", "response_share"} <= set(keys)
        for key in keys:
            figure = definitions.REGISTRY[key]
            assert card_value(page, key) == shown(values[figure.value]), key
            link = card_link(page, key)
            drills = {d.url(week if figure.period else None): d for d in figure.drills}
            assert link in drills, f"{key} opens {link}, none of its lists"
            assert rows(as_manager, link) == values[drills[link].count], key


def changelist_link(link):
    return link and resolve(urlsplit(link).path).url_name.endswith("_changelist")


@pytest.mark.parametrize("role", ["manager", "engineer", "clerk", "warehouse", "business",
                                  "trainer", "finance"])
def test_every_counted_card_of_the_dashboard_hooks_matches_its_list(role, generated, client,
                                                                    make_user):
    """My work, the care alerts, every domain's cards and what waits for a decision: each
    count that opens a list opens exactly that many rows (as a generated engineer, who
    has tickets of their own, for the engineer's role)."""
    from django.contrib.auth import get_user_model

    user = (get_user_model().objects.get(username="gen_engineer00") if role == "engineer"
            else make_user(role, f"hooks-{role}"))
    client.force_login(user)
    with time_machine.travel(timezone.now(), tick=False):
        cards = [*reports.my_work(user), *reports.care_alerts(user), *board.cards(user)]
        cards += [{"title": i["title"], "value": i["count"], "link": i["link"]}
                  for i in board.pending_approvals(user)]
        checked = 0
        for c in cards:
            if isinstance(c.get("value"), int) and changelist_link(c.get("link")):
                assert rows(client, c["link"]) == c["value"], f"{role}: {c['title']}"
                checked += 1
    assert checked or role in {"finance", "trainer", "business", "warehouse"}, role


def _kpis():
    from training.selectors import KPI_LISTS

    return list(KPI_LISTS.items())


@pytest.mark.parametrize("kpi,lists", _kpis(), ids=[str(k) for k, _l in _kpis()])
def test_appraisal_kpi_is_the_count_of_its_lists(kpi, lists, as_manager):
    """Every appraisal of the last three months: the KPI within its range, and each list
    its row links to has as many tickets as the appraisal counted."""
    from training.models import Appraisal
    from training.workflows import HOUR_KPIS, Kpi

    month = timezone.localdate().replace(day=1)
    months = [month]
    for _i in range(2):
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    appraisals = list(Appraisal.objects.filter(period__month__in=months)
                      .select_related("period"))
    assert appraisals
    seen = 0
    appraisals = [a for a in appraisals if kpi in a.role_kpis()]  # the role's KPIs only
    if not appraisals:
        pytest.skip(f"{kpi}: the generator appraises nobody of a role judged by it")
    for appraisal in appraisals:
        value = getattr(appraisal, kpi)
        low, high = ((1, 5) if kpi == Kpi.SATISFACTION_MEAN
                     else (0, None) if kpi in HOUR_KPIS else (0, 100))
        assert value is None or low <= value <= (high or value), (kpi, appraisal.pk, value)
        page = as_manager.get(reverse("admin:training_appraisal_change",
                                      args=[appraisal.pk])).content.decode()
        for lst in lists:
            count = getattr(appraisal, lst.count)
            url = lst.url(appraisal.employee_id, appraisal.period.month)
            assert f'href="{url}"'.replace("&", "&amp;") in page, (kpi, lst.count)
            assert rows(as_manager, url) == count, (
                f"{kpi} of {appraisal}: '{lst.count}' is {count}, its list has other rows")
            seen += count or 0
    assert seen, f"{kpi}: nothing counted on any appraisal"


def test_first_calls_on_the_appraisal_are_the_count_of_their_list(as_manager):
    from training.models import Appraisal
    from training.selectors import FIRST_CONTACT_LIST

    for appraisal in Appraisal.objects.filter(tickets_first_contact__gt=0)[:5]:
        url = FIRST_CONTACT_LIST.url(appraisal.employee_id, appraisal.period.month)
        assert rows(as_manager, url) == appraisal.tickets_first_contact


def counted_links(obj, path="", now_only=False):
    """Every (where, count, link) the page's figures pair: a ``value`` or ``count``
    beside its ``link``, ``<name>`` beside ``<name>_link``, and a series ``<name>``
    beside its ``<name>_links`` (a chart's points); links to a changelist only."""
    if isinstance(obj, dict):
        pairs = [(k, f"{k}_link") for k in obj] + [("value", "link"), ("count", "link")]
        for count_key, link_key in pairs:
            count, link = obj.get(count_key), obj.get(link_key)
            if (isinstance(count, int) and not isinstance(count, bool)
                    and isinstance(link, str) and changelist_link(link)):
                yield f"{path}.{count_key}", count, link
            series = obj.get(f"{count_key}_links")
            if isinstance(count, list) and isinstance(series, list):
                for i, (n, url) in enumerate(zip(count, series, strict=True)):
                    if isinstance(n, int) and url:
                        yield f"{path}.{count_key}[{i}]", n, url
        for key, value in obj.items():
            yield from counted_links(value, f"{path}.{key}")
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            yield from counted_links(value, f"{path}[{i}]")


def test_every_count_of_the_report_opens_its_rows(as_manager):
    """The report's tables and charts (per staff member, per category, recurring
    problems, per day): every count beside a link opens exactly that many rows."""
    today = timezone.localdate()
    checked = set()
    for period in (reports.Period.of("week", today).previous(),
                   reports.Period.of("month", today).previous()):
        now = timezone.now()
        with time_machine.travel(now, tick=False):
            response = as_manager.get(reverse(REPORT), dict(
                pair.split("=") for pair in period.query().split("&")))
            data = response.context["report"]
            for where, count, link in counted_links(
                    {k: data[k] for k in ("people", "categories", "recurring", "daily")}):
                assert rows(as_manager, link) == count, f"{period.label} {where}: {count}"
                checked.add(where.split("[")[0].split(".")[1])
    assert {"people", "categories", "daily"} <= checked


def test_every_count_of_the_dashboard_opens_its_rows(as_manager):
    """The dashboard's tables and charts (open tickets by state and priority, the weekly
    series, the response counts, what waits for a decision, the cards): every count
    beside a link opens exactly that many rows."""
    with time_machine.travel(timezone.now(), tick=False):
        response = as_manager.get(reverse("admin:index"))
        board_context = dict(response.context["dashboard"])
        checked = set()
        for where, count, link in counted_links(board_context):
            assert rows(as_manager, link) == count, f"dashboard {where}: {count}"
            checked.add(where.split("[")[0].split(".")[1])
    assert {"open", "series", "response"} <= checked, checked
