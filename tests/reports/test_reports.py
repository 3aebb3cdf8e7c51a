"""Weekly and monthly report pages for a chosen period, and their xlsx export."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import ProductFactory, TicketFactory

pytestmark = pytest.mark.django_db
REPORT = "admin:backoffice_report_changelist"
EXPORT = "admin:backoffice_report_export"


def at(day, hour=9):
    return timezone.make_aware(dt.datetime(2026, 5, day, hour))


@pytest.fixture
def may(engineer):
    product = ProductFactory(name="=HYPERLINK(\"http://evil\")")
    TicketFactory(state="closed", category="bug", product=product, assignee=engineer,
                  received_at=at(12), first_response_at=at(12, 10), response_met=True,
                  resolved_at=at(13), resolution_met=True, satisfaction=5)
    TicketFactory(state="new", category="data", received_at=at(20))
    TicketFactory(state="new", category="data", received_at=at(28))


def test_week_and_month_pages(client, manager, may):
    client.force_login(manager)
    week = client.get(reverse(REPORT), {"period": "week", "date": "2026-05-13"})
    assert week.status_code == 200
    page = week.content.decode()
    assert "2026-W20 (05-11 – 05-17)" in page and 'data-type="line"' in page
    assert 'id="by-person"' in page
    month = client.get(reverse(REPORT), {"period": "month", "month": "2026-05"})
    assert "2026-05" in month.content.decode()
    assert month.context["report"]["summary"]["received"] == 3
    assert week.context["report"]["summary"]["received"] == 1
    assert "period=week&amp;date=2026-05-04" in page  # previous week


def test_only_reporting_roles_see_reports(client, clerk, finance, manager):
    client.force_login(clerk)
    assert client.get(reverse(REPORT)).status_code == 403
    assert client.get(reverse(EXPORT)).status_code == 403
    # (the dashboard's definition links go to report/definitions/, open to all staff)
    assert f'href="{reverse(REPORT)}"' not in client.get(reverse("admin:index")).content.decode()
    client.force_login(finance)
    assert client.get(reverse(REPORT)).status_code == 200
    client.force_login(manager)
    assert f'href="{reverse(REPORT)}"' in client.get(reverse("admin:index")).content.decode()


def test_xlsx_export(client, manager, may):
    from backoffice.desk.models import Ticket
    from backoffice.incidents.models import Problem, ProblemTicket

    bug = Ticket.objects.get(category="bug")  # the recurring-problems sheet lists records
    problem = Problem.objects.create(title="=1+1", product=bug.product)
    ProblemTicket.objects.create(problem=problem, ticket=bug)
    client.force_login(manager)
    response = client.get(reverse(EXPORT), {"period": "month", "month": "2026-05"})
    assert response.status_code == 200
    assert "service-report-month-2026-05-01.xlsx" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Summary", "Per day", "By category", "By staff member",
                             "Recurring problems", "Time per support level", "Definitions"]
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Tickets received"] == 3 and summary["Tickets resolved in the period (throughput)"] == 1
    assert summary["Average satisfaction at confirmation (1-5)"] == 5
    people = list(wb["By staff member"].iter_rows(values_only=True))
    assert people[0][-1] == "Answered on the first call" and people[1][-1] == 0
    assert summary["Answered within target"] == 1.0  # numbers stay numbers (a percentage)
    days = list(wb["Per day"].iter_rows(min_row=2, values_only=True))
    assert len(days) == 31 and days[11][1] == 1 and days[12][2] == 1  # received 12th, resolved 13th
    recurring = list(wb["Recurring problems"].iter_rows(min_row=2, values_only=True))
    assert recurring[0][0] == problem.number and recurring[0][3] == 1
    assert str(recurring[0][1]).startswith("'=") and str(recurring[0][2]).startswith("'=")
