"""Big lists are counted cheaply, and the list says so: "more than N", "about N"."""

import pytest
from django.db import connection
from django.urls import reverse

from backoffice.platform import paginator
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def footer(client, url):
    page = client.get(url).content.decode()
    return " ".join(page.split())


def test_a_small_list_shows_its_exact_count(client, manager):
    TicketFactory.create_batch(3, subject="打印报表很慢")
    client.force_login(manager)
    text = footer(client, reverse("admin:backoffice_ticket_changelist") + "?q=报表")
    assert "3 tickets" in text
    assert "more than" not in text and "about" not in text


def test_a_broad_search_stops_counting_at_the_cap_and_says_so(client, manager, monkeypatch):
    monkeypatch.setattr(paginator, "COUNT_CAP", 4)
    TicketFactory.create_batch(6, subject="打印报表很慢")
    client.force_login(manager)
    text = footer(client, reverse("admin:backoffice_ticket_changelist") + "?q=报表")
    assert "more than 4 tickets" in text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner estimates: PostgreSQL")
def test_an_unfiltered_huge_table_shows_the_planners_estimate(client, manager, monkeypatch):
    monkeypatch.setattr(paginator, "EXACT_BELOW", 2)
    TicketFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE backoffice_ticket")
    client.force_login(manager)
    text = footer(client, reverse("admin:backoffice_ticket_changelist"))
    assert "about 5 tickets" in text
