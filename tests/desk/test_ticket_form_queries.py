"""The ticket page costs a fixed number of queries, whoever opens it and however full it is.

The ticket carries every section of its page: the conversation with attachments, spare
parts requested and issued, time entries, the cost panel (parts, expense lines, time,
quotes), knowledge articles written from it, the workflow journal, the level clock's
spans, and, once closed, the article it was resolved with and its follow-up call. Each
section holds 1 or ``MANY`` rows: the count must not move."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.desk import services as desk_services
from backoffice.desk import workflows as wf
from backoffice.platform.workflow import apply_transition
from tests.factories import ContactFactory, TicketFactory

pytestmark = pytest.mark.django_db

MANY = 3
ROLES = ["clerk", "engineer", "manager", "business", "warehouse", "trainer", "finance"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _fill(ticket, rows, people):
    """``rows`` of every section the ticket page shows, each made as users make them."""
    from billing import services as billing
    from billing.models import CostRate, CustomerCharge
    from tests.billing.factories import a_day, receipt
    from tests.inventory.factories import PartFactory, WarehouseFactory, requisition, stock
    from tests.knowledge.factories import published

    clerk, engineer, warehouse, manager, business = (
        people["clerk"], people["engineer"], people["warehouse"], people["manager"],
        people["business"])
    CostRate.objects.get_or_create(role="engineer", valid_from=dt.date(2000, 1, 1),
                                   defaults={"hourly_rate": Decimal("100.00")})
    main = WarehouseFactory()
    for i in range(rows):
        desk_services.post_message(
            ticket, direction=wf.MessageDirection.FROM_CUSTOMER, channel=wf.Channel.PHONE,
            body=f"客户来电 {i}", author=clerk,
            files=[SimpleUploadedFile(f"shot{i}.png", PNG, content_type="image/png")])
        desk_services.post_message(ticket, direction=wf.MessageDirection.INTERNAL,
                                   body=f"内部备注 {i}", author=engineer)
        part = PartFactory(unit_cost=Decimal("80.00"))
        stock(part, main, 10, warehouse)
        req = requisition(requester=engineer, warehouse=main, lines=[(part, 2)], ticket=ticket)
        for name, actor in [("submit", engineer), ("issue", warehouse),
                            ("confirm_receipt", engineer)]:
            apply_transition(req, name, actor=actor)
        desk_services.time_entry_record(ticket=ticket, hours=Decimal("1.5"), actor=engineer,
                                        worked_on=timezone.localdate())
        claim = billing.claim_create(claimant=engineer, title=f"出差 {i}", lines=[{
            "date": a_day(), "category": "travel", "description": f"打车 {i}",
            "amount": Decimal("50"), "receipt": receipt(), "ticket": ticket}])
        billing.claim_submit(claim=claim, actor=engineer, confirm_overrun=True)
        quote = CustomerCharge.objects.create(ticket=ticket, title=f"报价 {i}",
                                              amount=Decimal("1000"))
        apply_transition(quote, "send", actor=business)
        article = published(engineer, manager, title=f"连接池耗尽 {i}")
        article.source_tickets.add(ticket)
    ticket.refresh_from_db()
    return ticket


def _people(make_user):
    return {role: make_user(role, role) for role in ROLES}


def _open_ticket(people, rows):
    """In progress with an engineer, on the second level (two clock spans and more)."""
    ticket = TicketFactory(contact=ContactFactory(email="wang@customer.example"),
                           recorded_by=people["clerk"])
    apply_transition(ticket, "assign", actor=people["clerk"], assignee=people["engineer"])
    apply_transition(ticket, "start", actor=people["engineer"])
    ticket.refresh_from_db()
    return _fill(ticket, rows, people)


def _closed_ticket(people, rows):
    """Resolved with an article, confirmed and closed: its follow-up call is booked."""
    from backoffice.care.services import ticket_close_step
    from backoffice.knowledge.services import ticket_resolve_with_article
    from tests.knowledge.factories import published

    ticket = _open_ticket(people, rows)
    article = published(people["engineer"], people["manager"], title="标准解决方案")
    ticket.diagnosis, ticket.solution = "日志显示连接池耗尽", "连接池上限调到 200"
    ticket.save()
    ticket_resolve_with_article(ticket=ticket, article=article, actor=people["engineer"],
                                note="")
    ticket.refresh_from_db()
    apply_transition(ticket, "confirm", actor=people["clerk"], confirmed_by="王主任",
                     satisfaction=4)
    ticket_close_step(ticket, "close", actor=people["clerk"])
    ticket.refresh_from_db()
    return ticket


def page_queries(client, user, ticket):
    """(status, the SQL of the page) on a second view (the first fills per-process caches)."""
    client.force_login(user)
    url = reverse("admin:backoffice_ticket_change", args=[ticket.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response.status_code, [q["sql"] for q in ctx.captured_queries]



#: the most any role's ticket page reads (the manager's, who sees every section): the
#: session and its user, the ticket, its journal, its messages (with their spot checks)
#: and attachments, its confirmation links, the knowledge panel's lists, the suggested
#: articles (open) or the service review (closed), its costs (parts, time, claims,
#: quotes), its level clock's spans, its requisitions with their lines. Calendars, cost
#: rates, canned replies and people's roles and permissions are the process's copies.
PAGE_QUERIES = 12


@pytest.mark.parametrize("make", [_open_ticket, _closed_ticket], ids=["open", "closed"])
def test_the_ticket_page_reads_the_same_whatever_its_size_and_role(client, make_user, calendar,
                                                                    make):
    people = _people(make_user)
    small, big = make(people, 1), make(people, MANY)
    counts = {}
    for role in ROLES:
        status, few = page_queries(client, people[role], small)
        assert status == 200, role
        status, many = page_queries(client, people[role], big)
        assert status == 200, role
        counts[role] = (len(few), len(many))
        assert len(many) == len(few), (role, [q for q in many if q not in few])
    assert max(few for few, _many in counts.values()) <= PAGE_QUERIES, counts


def test_every_section_is_on_the_page_it_was_counted_on(client, make_user, calendar):
    """The count above is of a full page: the manager sees every section's rows."""
    people = _people(make_user)
    ticket = _closed_ticket(people, MANY)
    client.force_login(people["manager"])
    page = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk])
                      ).content.decode()
    for text in ["客户来电 2", "内部备注 2", "shot2.png", "data-ticket-requisitions",
                 "data-time-entry", "打车 2", "报价 2", "连接池耗尽 2", "标准解决方案",
                 "data-clock-ladder", "FU"]:
        assert text in page, text
