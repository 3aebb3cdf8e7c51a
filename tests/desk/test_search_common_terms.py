"""Issue 18: a common search term is found by walking the newest tickets, not the index.

At 10 M tickets a term such as 报表 is on a million of them: the index would hand every
one over to be rechecked and sorted, and its count would read ten thousand. The search
first reads the newest tickets (``PROBE_ROWS``) and, when the term is common there, tests
it row by row in the list's order (a page of matches after a few hundred rows) and shows
an estimated count. Thresholds are shrunk here so that a few hundred generated tickets
behave as millions; the rows found must be exactly those of the substring test."""

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from backoffice.desk import generate, selectors
from backoffice.desk.models import Customer, Ticket
from backoffice.desk.selectors import search_tickets
from backoffice.platform import paginator

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="index plans: PostgreSQL"),
]
ORDER = ("-received_at", "-id")


@pytest.fixture
def tickets(monkeypatch):
    generate.generate(tickets=600, batch=300)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE backoffice_ticket")
        cursor.execute("ANALYZE backoffice_customer")
    monkeypatch.setattr(selectors, "PROBE_ROWS", 200)
    monkeypatch.setattr(paginator, "COUNT_CAP", 20)


def substring(term):
    """What the search must find: the substring test on every text, or the customer."""
    texts = Q()
    for name in ("number", "subject", "description", "diagnosis", "solution"):
        texts |= Q(**{f"{name}__icontains": term})
    customers = Customer.objects.filter(Q(name__icontains=term) | Q(code__iexact=term))
    return Ticket.objects.filter(texts | Q(customer__in=customers)).order_by(*ORDER)


def plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("term", ["报表", "字段错位", "票", "北京"])
def test_a_common_term_walks_the_newest_tickets_and_finds_exactly_its_rows(tickets, term):
    found = search_tickets(Ticket.objects.all(), term).order_by(*ORDER)
    expected = substring(term)
    assert expected.count() > 20  # common, in the shrunk thresholds
    assert list(found[:50].values_list("pk", flat=True)) == list(
        expected[:50].values_list("pk", flat=True))
    assert set(found.values_list("pk", flat=True)) == set(expected.values_list("pk", flat=True))
    page = plan(found[:50])
    # the newest first from a received_at index, tested row by row; not the GIN index
    assert "Index Scan Backward" in page and "ticket_search_tokens" not in page, page
    assert found.query.row_estimate > 20  # shown as "about N"


def test_a_rare_term_is_found_from_the_index_and_counted(tickets):
    ticket = Ticket.objects.order_by("?").first()
    found = search_tickets(Ticket.objects.all(), ticket.number)
    assert list(found) == [ticket]
    assert getattr(found.query, "row_estimate", None) is None
    assert "ticket_search_tokens" in plan(found.order_by(*ORDER)[:50])


def test_two_common_words_rare_together_are_counted_exactly(tickets):
    expected = substring("报表").filter(pk__in=substring("导出"))
    found = search_tickets(Ticket.objects.all(), "报表 导出")
    assert set(found.values_list("pk", flat=True)) == set(expected.values_list("pk", flat=True))


def test_the_list_says_about_how_many_a_common_term_finds(client, manager, tickets):
    client.force_login(manager)
    page = client.get(reverse("admin:backoffice_ticket_changelist") + "?q=报表")
    text = " ".join(page.content.decode().split())
    estimate = search_tickets(Ticket.objects.all(), "报表").query.row_estimate
    assert f"about {estimate:,} tickets" in text
    first = substring("报表").first()
    assert first.number in text
