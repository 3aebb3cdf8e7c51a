"""The dashboard reads a fixed number of queries for every role, however much data there is:
every "how many" of the page (my work, what to approve, overdue calls, parts to reorder
…) is read in one query, whatever the tables hold."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.desk.test_ticket_form_queries import MANY, ROLES, _closed_ticket, _open_ticket, _people

pytestmark = pytest.mark.django_db

#: the issue's bound (issue 18), for every role and any data size
DASHBOARD_QUERIES = 25


def dashboard_queries(client, user):
    client.force_login(user)
    client.get(reverse("admin:index"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in ctx.captured_queries]


def test_the_dashboard_reads_the_same_with_more_data(client, make_user, calendar):
    people = _people(make_user)
    _open_ticket(people, 1)
    _closed_ticket(people, 1)
    few = {role: dashboard_queries(client, people[role])[1] for role in ROLES}
    for _ in range(MANY):  # every section of the page gets more rows
        _open_ticket(people, MANY)
        _closed_ticket(people, MANY)
    for role in ROLES:
        _page, many = dashboard_queries(client, people[role])
        assert len(many) == len(few[role]), (role, [q for q in many if q not in few[role]])
        assert len(many) <= DASHBOARD_QUERIES, (role, len(many))


def test_the_counts_read_together_are_the_right_counts(client, make_user, calendar):
    """The approver's list counts what waits for them, not their own documents."""
    from billing.models import ExpenseClaim

    people = _people(make_user)
    _open_ticket(people, MANY)  # the engineer submits MANY claims
    submitted = ExpenseClaim.objects.filter(state="submitted").count()
    assert submitted == MANY
    page, sql = dashboard_queries(client, people["manager"])
    batched = [q for q in sql if q.startswith("SELECT (SELECT COUNT(*)")]
    assert len(batched) == 1, batched  # one query for every count of the page
    approvals = page.split('id="approvals"')[1].split("</ul>")[0]
    link = 'href="/admin/billing/expenseclaim/?todo=1&amp;state__exact=submitted"'
    assert link in approvals
    assert f">{MANY}<" in approvals.split(link)[1].split("</li>")[0].replace(" ", "").replace(
        "\n", "")
