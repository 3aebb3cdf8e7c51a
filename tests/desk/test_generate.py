"""Issue 18: ``generate_data``'s tickets, written by COPY on PostgreSQL (bulk_create on
SQLite), have the shape of saved ones: searchable, with journal, clock and time rows, and
the tables' sequences moved on so that the next ticket saves normally."""

import pytest

from backoffice.desk import generate
from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket, TicketClockSpan, TicketEvent, TimeEntry
from backoffice.desk.selectors import search_tickets
from backoffice.platform.search import search_tokens
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_generated_tickets_are_complete_and_searchable():
    out = []

    class Out:
        write = out.append

    result = generate.generate(tickets=300, batch=120, stdout=Out)
    assert result["tickets"] == Ticket.objects.count() == 300
    assert any("tickets/s" in line and "rows/s" in line for line in out)  # the rate
    worked = Ticket.objects.exclude(state=wf.TicketStatus.NEW)
    assert TicketEvent.objects.filter(action="assign").count() == worked.count()
    assert TicketClockSpan.objects.values("ticket").distinct().count() == 300
    assert TimeEntry.objects.values("ticket").distinct().count() == worked.count()
    sample = Ticket.objects.order_by("?").first()
    assert sample.search_tokens == search_tokens(sample.number, sample.subject,
                                                 sample.description, sample.diagnosis,
                                                 sample.solution)
    with_term = Ticket.objects.filter(description__contains="字段错位").count()
    assert search_tickets(Ticket.objects.all(), "字段错位").count() == with_term > 0
    # the next ticket gets a fresh id and number (COPY took them from the sequences)
    ticket = TicketFactory()
    assert ticket.pk > max(Ticket.objects.exclude(pk=ticket.pk).values_list("pk", flat=True))
    assert search_tickets(Ticket.objects.all(), ticket.number).get() == ticket
