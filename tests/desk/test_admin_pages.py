"""The service-desk admin pages render, and the workflow buttons follow the FSM."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.platform.workflow import apply_transition
from tests.factories import CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_ticket_changelist_and_change_form_render(client, clerk, calendar):
    ticket = TicketFactory()
    client.force_login(clerk)
    assert client.get(reverse("admin:backoffice_ticket_changelist")).status_code == 200
    response = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "transition/assign" in content
    assert "transition/resolve" not in content


def test_engineer_sees_start_button_only_on_own_ticket(client, clerk, engineer, make_user):
    mine = TicketFactory()
    apply_transition(mine, "assign", actor=clerk, assignee=engineer)
    other = TicketFactory()
    apply_transition(other, "assign", actor=clerk, assignee=make_user("engineer"))
    client.force_login(engineer)
    page = client.get(reverse("admin:backoffice_ticket_change", args=[mine.pk])).content.decode()
    assert "transition/start" in page
    page = client.get(reverse("admin:backoffice_ticket_change", args=[other.pk])).content.decode()
    assert "transition/start" not in page


def test_transition_dialog_post_runs_the_transition(client, clerk, engineer):
    ticket = TicketFactory()
    client.force_login(clerk)
    url = reverse("admin:backoffice_ticket_transition_assign", args=[ticket.pk])
    assert client.get(url).status_code == 200  # the dialog form
    response = client.post(url, {"_form_submitted": "on", "assignee": engineer.pk,
                                 "support_level": 1, "note": "转给李工"})
    assert response.headers["HX-Redirect"].endswith(f"/{ticket.pk}/change/")
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.ASSIGNED
    assert ticket.events.get().note == "转给李工"


def test_forged_transition_post_is_refused(client, engineer):
    """A POST for a transition the user may not run changes nothing."""
    ticket = TicketFactory()
    client.force_login(engineer)
    url = reverse("admin:backoffice_ticket_transition_assign", args=[ticket.pk])
    client.post(url, {"_form_submitted": "on", "assignee": engineer.pk, "support_level": 1})
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.NEW and not ticket.events.exists()


def test_state_is_read_only_in_the_change_form(client, manager):
    ticket = TicketFactory()
    client.force_login(manager)
    url = reverse("admin:backoffice_ticket_change", args=[ticket.pk])
    page = client.get(url)
    assert 'name="state"' not in page.content.decode()


def test_history_revert_post_is_refused(client, manager, clerk, engineer):
    ticket = TicketFactory()
    old = ticket.history.earliest().history_id
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    client.force_login(manager)
    url = reverse("admin:backoffice_ticket_simple_history", args=[ticket.pk, old])
    response = client.post(url, {"subject": ticket.subject})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == wf.TicketStatus.ASSIGNED


def test_stale_form_is_refused_not_overwritten(client, manager):
    customer = CustomerFactory(name="旧名称")
    client.force_login(manager)
    url = reverse("admin:backoffice_customer_change", args=[customer.pk])
    seen_version = customer.version
    customer.name = "另一位同事改的名称"
    customer.save()  # someone else saved first
    data = {"code": customer.code, "name": "我的修改", "address": "", "_version": seen_version,
            "is_active": "on",
            "contacts-TOTAL_FORMS": 0, "contacts-INITIAL_FORMS": 0,
            "installations-TOTAL_FORMS": 0, "installations-INITIAL_FORMS": 0}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    customer.refresh_from_db()
    assert customer.name == "另一位同事改的名称"


@pytest.mark.parametrize("name", ["customer", "product", "slapolicy", "businesscalendar"])
def test_other_desk_pages_render(client, manager, calendar, name):
    CustomerFactory()
    client.force_login(manager)
    assert client.get(reverse(f"admin:backoffice_{name}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:backoffice_{name}_add")).status_code == 200


def test_dashboard_renders(client, manager):
    TicketFactory()
    client.force_login(manager)
    assert client.get(reverse("admin:index")).status_code == 200


def test_search_finds_number_subject_chinese_substring_and_customer(client, clerk):
    from tests.factories import CustomerFactory as CF

    a = TicketFactory(subject="月末结账报表数据不一致")
    b = TicketFactory(customer=CF(name="上海东方物流集团", code="C0002"))
    c = TicketFactory(subject="打印机卡纸")
    client.force_login(clerk)
    url = reverse("admin:backoffice_ticket_changelist")

    def found(q):
        return {t.pk for t in client.get(url, {"q": q}).context["cl"].result_list}

    assert found("报表") == {a.pk}  # substring inside a Chinese sentence
    assert found("东方物流") == {b.pk}
    assert found("c0002") == {b.pk}
    assert found(c.number) == {c.pk}
    assert found("报表 不一致") == {a.pk}


def test_date_hierarchy_offers_years_then_months(client, clerk):
    from tests.conftest import aware

    TicketFactory(received_at=aware(2024, 3, 1, 10, 0))
    TicketFactory(received_at=aware(2026, 5, 1, 10, 0))
    client.force_login(clerk)
    url = reverse("admin:backoffice_ticket_changelist")
    page = client.get(url).content.decode()
    assert all(f"received_at__year={y}" in page for y in (2024, 2025, 2026))
    page = client.get(url, {"received_at__year": 2026}).content.decode()
    assert "received_at__month=5" in page and "received_at__month=6" not in page
    page = client.get(url, {"received_at__year": 2026, "received_at__month": 5}).content.decode()
    assert "received_at__day=1" in page


@pytest.mark.parametrize("rows", [1, 30])
def test_ticket_changelist_query_count_does_not_grow(client, clerk, rows,
                                                     django_assert_max_num_queries):
    for _ in range(rows):
        TicketFactory(assignee=clerk)
    client.force_login(clerk)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("admin:backoffice_ticket_changelist")).status_code == 200


def test_the_ticket_page_reads_the_ticket_once(client, manager):
    """The form, the workflow buttons and the knowledge panel share one read."""
    ticket = TicketFactory()
    client.force_login(manager)
    url = reverse("admin:backoffice_ticket_change", args=[ticket.pk])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    reads = [q["sql"] for q in ctx.captured_queries
             if q["sql"].startswith('SELECT') and 'FROM "backoffice_ticket" ' in q["sql"]
             and '"backoffice_ticket"."id" = ' in q["sql"]]
    assert len(reads) == 1, reads
