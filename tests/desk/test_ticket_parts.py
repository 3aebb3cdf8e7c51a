"""Parts from the ticket: the "Request parts" button opens a filled-in requisition, the
ticket lists its requisitions with their state, a closed ticket is refused."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.platform.workflow import apply_transition
from inventory.models import Requisition
from tests.factories import TicketFactory
from tests.inventory.factories import PartFactory, WarehouseFactory, requisition
from tests.pages import form_data

pytestmark = pytest.mark.django_db


def ticket_url(ticket):
    return reverse("admin:backoffice_ticket_change", args=[ticket.pk])


def button_url(ticket):
    return reverse("admin:backoffice_ticket_request_parts_action", args=[ticket.pk])


@pytest.fixture
def main(db):
    return WarehouseFactory(code="MAIN", name="总部配件仓")


@pytest.fixture
def mine(clerk, engineer):
    ticket = TicketFactory(subject="打印机卡纸")
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    return ticket


def test_the_button_opens_a_requisition_with_ticket_engineer_and_warehouse(client, engineer,
                                                                          mine, main):
    WarehouseFactory(code="ZZ-BRANCH")  # later by code: not the default
    client.force_login(engineer)
    page = client.get(ticket_url(mine)).content.decode()
    assert button_url(mine) in page
    response = client.get(button_url(mine))
    assert response.status_code == 302
    add = client.get(response.url)
    assert add.status_code == 200
    html = add.content.decode()
    data = form_data(html)
    assert data["ticket"] == str(mine.pk) and data["warehouse"] == str(main.pk)
    assert mine.number in html  # the chosen ticket is drawn in its picker
    requester = html.split("Engineer (领用人)", 1)[1][:400]  # who signs for the parts
    user_url = reverse("admin:auth_user_change", args=[engineer.pk])
    assert f'href="{user_url}" class="text-link">engineer</a>' in requester


def test_saving_it_keeps_the_ticket_and_the_page_links_back(client, engineer, mine, main):
    part = PartFactory()
    client.force_login(engineer)
    data = form_data(client.get(client.get(button_url(mine)).url).content.decode())
    data.update({"lines-TOTAL_FORMS": "1", "lines-0-part": part.pk, "lines-0-quantity": "2",
                 "purpose": "换硒鼓"})
    response = client.post(reverse("admin:inventory_requisition_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    made = Requisition.objects.get()
    assert (made.ticket, made.requester, made.warehouse) == (mine, engineer, main)
    page = client.get(reverse("admin:inventory_requisition_change", args=[made.pk]))
    assert f'href="{ticket_url(mine)}" data-ticket-link' in page.content.decode()


def test_a_closed_ticket_offers_no_button_and_is_refused_with_the_reason(client, engineer, main):
    closed = TicketFactory(state=wf.TicketStatus.CLOSED)
    client.force_login(engineer)
    assert button_url(closed) not in client.get(ticket_url(closed)).content.decode()
    response = client.get(reverse("admin:inventory_requisition_add") + f"?ticket={closed.pk}",
                          follow=True)
    assert response.redirect_chain[-1][0] == ticket_url(closed)
    assert "Parts are requested only for open tickets." in response.content.decode()
    # a forged POST: the form says why
    data = {"ticket": closed.pk, "warehouse": main.pk, "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0", "_version": ""}
    page = client.post(reverse("admin:inventory_requisition_add"), data).content.decode()
    assert "Parts are requested only for open tickets." in page
    assert not Requisition.objects.exists()


def test_only_whoever_may_request_parts_sees_the_button(client, clerk, mine, main):
    client.force_login(clerk)
    assert button_url(mine) not in client.get(ticket_url(mine)).content.decode()


def test_the_ticket_lists_its_requisitions_with_their_state(client, engineer, clerk, mine,
                                                            main):
    hdd, ram = PartFactory(code="HDD-1T", name="硬盘"), PartFactory(code="RAM-16G", name="内存")
    first = requisition(requester=engineer, warehouse=main, ticket=mine, lines=[(hdd, 1)])
    second = requisition(requester=engineer, warehouse=main, ticket=mine,
                         lines=[(hdd, 2), (ram, 4)])
    apply_transition(second, "submit", actor=engineer)
    other = requisition(requester=engineer, warehouse=main, lines=[(ram, 1)])
    client.force_login(clerk)
    html = client.get(ticket_url(mine)).content.decode()
    panel = html.split("data-ticket-requisitions", 1)[1].split("</table>", 1)[0]
    assert f'data-requisition="{first.number}"' in panel
    assert f'data-requisition="{second.number}"' in panel
    assert other.number not in panel
    assert reverse("admin:inventory_requisition_change", args=[second.pk]) in panel
    row = panel.split(f'data-requisition="{second.number}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-state="submitted"' in row and "bg-orange-100" in row  # the list's colour
    assert "HDD-1T 硬盘 × 2, RAM-16G 内存 × 4" in row and "engineer" in row


def test_a_ticket_without_requisitions_says_so(client, clerk, mine):
    client.force_login(clerk)
    assert "No requisition yet." in client.get(ticket_url(mine)).content.decode()


def test_the_parts_panel_costs_the_same_queries_for_1_or_8_requisitions(client, clerk, engineer,
                                                                       mine, main):
    parts = [PartFactory() for _ in range(3)]

    def count():
        client.get(ticket_url(mine))  # the bell's count is cached by then, in both runs
        with CaptureQueriesContext(connection) as queries:
            assert client.get(ticket_url(mine)).status_code == 200
        return len(queries)

    client.force_login(clerk)
    requisition(requester=engineer, warehouse=main, ticket=mine, lines=[(parts[0], 1)])
    one = count()
    for _ in range(7):
        requisition(requester=engineer, warehouse=main, ticket=mine,
                    lines=[(p, 1) for p in parts])
    assert count() == one


def test_the_ticket_page_query_count_is_pinned(client, clerk, engineer, mine, main,
                                               django_assert_max_num_queries):
    """The panel adds two queries (requisitions with their engineer; their lines)."""
    part = PartFactory()
    requisition(requester=engineer, warehouse=main, ticket=mine, lines=[(part, 1)])
    client.force_login(clerk)
    client.get(ticket_url(mine))
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert client.get(ticket_url(mine)).status_code == 200


#: the ticket page as the clerk sees it, with one requisition (measured: see the test)
PAGE_QUERIES = 80
