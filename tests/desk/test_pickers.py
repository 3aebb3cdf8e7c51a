"""Pickers that know the context: every ticket picker finds a ticket by any part of its
number, its subject or its customer; the ticket's contact, product and version pickers
narrow to the chosen customer; the engineer picker lists engineers with their load."""

import pytest
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.desk.forms import AssignForm, BulkAssignForm
from backoffice.desk.models import InstalledProduct
from backoffice.platform.people import display_name
from backoffice.platform.workflow import apply_transition
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    ProductFactory,
    ProductVersionFactory,
    TicketFactory,
)
from tests.pages import form_data

pytestmark = pytest.mark.django_db


def autocomplete(client, term, *, app_label, model_name, field_name, **forward):
    params = {"term": term, "app_label": app_label, "model_name": model_name,
              "field_name": field_name, **{f"forward_{k}": v for k, v in forward.items()}}
    response = client.get(reverse("admin:autocomplete"), params)
    assert response.status_code == 200
    return response.json()["results"]


def ticket_picker(client, term, app_label="inventory", model_name="requisition"):
    return autocomplete(client, term, app_label=app_label, model_name=model_name,
                        field_name="ticket")


@pytest.fixture
def tickets(db):
    acme = CustomerFactory(name="远航物流股份有限公司")
    return {
        "target": TicketFactory(subject="打印机卡纸", customer=acme),
        "other": TicketFactory(subject="报表导出失败"),
        "third": TicketFactory(subject="登录很慢"),
    }


def test_a_ticket_is_found_by_a_middle_part_of_its_number(client, engineer, tickets):
    target = tickets["target"]
    client.force_login(engineer)
    tail = target.number.split("-")[1]  # "00020" of SR202612-00020
    found = ticket_picker(client, tail)
    assert [r["id"] for r in found] == [str(target.pk)]
    middle = target.number[4:-3]  # "2612-000": every ticket of the month
    assert {r["id"] for r in ticket_picker(client, middle)} == {
        str(t.pk) for t in tickets.values()}


def test_a_ticket_is_found_by_its_subject_or_its_customer_and_says_both(client, engineer,
                                                                        tickets):
    target = tickets["target"]
    client.force_login(engineer)
    for term in ("卡纸", "远航物流"):
        found = ticket_picker(client, term)
        assert [r["id"] for r in found] == [str(target.pk)], term
        assert found[0]["text"] == f"{target.number} · 打印机卡纸 · 远航物流股份有限公司"


def test_every_ticket_picker_searches_the_same_way(client, manager, tickets):
    client.force_login(manager)
    tail = tickets["target"].number.split("-")[1]
    for app_label, model_name in [("inventory", "scraprequest"), ("billing", "customercharge")]:
        found = ticket_picker(client, tail, app_label, model_name)
        assert [r["id"] for r in found] == [str(tickets["target"].pk)], model_name


def test_the_requisition_picker_offers_open_tickets_only(client, engineer, tickets):
    closed = TicketFactory(subject="打印机卡纸", state=wf.TicketStatus.CLOSED)
    client.force_login(engineer)
    ids = {r["id"] for r in ticket_picker(client, "卡纸")}
    assert ids == {str(tickets["target"].pk)} and str(closed.pk) not in ids


@pytest.mark.postgres_only
def test_a_number_fragment_is_found_through_the_search_tokens_index(tickets):
    """Any part of the number is in the ticket's search tokens (issue 18; the number's
    trigram index of 0017 gave way to them)."""
    from django.db import connection

    from backoffice.desk.models import Ticket
    from backoffice.desk.selectors import search_tickets

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    sql, params = search_tickets(Ticket.objects.order_by(), "2612-000").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a 3-row table: force the choice
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_search_tokens" in plan


def test_the_autocomplete_costs_a_few_queries(client, engineer, tickets,
                                              django_assert_max_num_queries):
    for _ in range(15):
        TicketFactory(customer=tickets["target"].customer)
    client.force_login(engineer)
    ticket_picker(client, "远航")
    with django_assert_max_num_queries(8):  # session, user, customers, count, page
        assert len(ticket_picker(client, "远航")) == 16


# -- the ticket's contact, product and version ----------------------------------------------
@pytest.fixture
def two_customers(db):
    ours, theirs = CustomerFactory(name="远航物流"), CustomerFactory(name="星河银行")
    erp, crm, hr = ProductFactory(name="云帆ERP"), ProductFactory(name="云帆CRM"), \
        ProductFactory(name="云帆HR")
    InstalledProduct.objects.create(customer=ours, product=erp)
    InstalledProduct.objects.create(customer=ours, product=crm)
    InstalledProduct.objects.create(customer=theirs, product=hr)
    return {"ours": ours, "theirs": theirs,
            "mine": [ContactFactory(customer=ours, name="张伟"),
                     ContactFactory(customer=ours, name="李娜")],
            "foreign": ContactFactory(customer=theirs, name="王芳"),
            "erp": erp, "crm": crm, "hr": hr,
            "erp_versions": [ProductVersionFactory(product=erp, version="5.1"),
                             ProductVersionFactory(product=erp, version="5.2")],
            "hr_version": ProductVersionFactory(product=hr, version="2.0")}


def ticket_field(client, field_name, term="", **forward):
    return {r["id"] for r in autocomplete(client, term, app_label="backoffice",
                                          model_name="ticket", field_name=field_name,
                                          **forward)}


def test_the_contact_picker_lists_the_chosen_customers_contacts(client, clerk, two_customers):
    c = two_customers
    client.force_login(clerk)
    assert ticket_field(client, "contact", customer=c["ours"].pk) == {
        str(x.pk) for x in c["mine"]}
    # nothing chosen yet: every contact, as before
    assert str(c["foreign"].pk) in ticket_field(client, "contact")
    # another form's contact picker (the follow-up call's) is not narrowed by the ticket's rule
    assert str(c["foreign"].pk) in {r["id"] for r in autocomplete(
        client, "", app_label="backoffice", model_name="followup", field_name="contact",
        customer=c["ours"].pk)}


def test_product_and_version_pickers_narrow_to_what_the_customer_runs(client, clerk,
                                                                     two_customers):
    c = two_customers
    client.force_login(clerk)
    assert ticket_field(client, "product", customer=c["ours"].pk) == {
        str(c["erp"].pk), str(c["crm"].pk)}
    assert ticket_field(client, "product_version", customer=c["ours"].pk,
                        product=c["erp"].pk) == {str(v.pk) for v in c["erp_versions"]}
    assert str(c["hr_version"].pk) not in ticket_field(client, "product_version",
                                                       customer=c["ours"].pk)
    # a customer with nothing recorded yet: every product
    assert str(c["hr"].pk) in ticket_field(client, "product", customer=CustomerFactory().pk)


def test_the_ticket_form_refuses_a_contact_of_another_customer(client, clerk, two_customers):
    c = two_customers
    client.force_login(clerk)
    url = reverse("admin:backoffice_ticket_add")
    html = client.get(url).content.decode()
    assert 'data-forward="customer"' in html and "forward_autocomplete.js" in html
    data = form_data(html)
    data.update({"channel": wf.Channel.PHONE, "category": wf.Category.BUG,
                 "priority": wf.Priority.NORMAL, "customer": c["ours"].pk,
                 "contact": c["foreign"].pk, "subject": "打印机卡纸",
                 "received_at_0": "2026-12-01", "received_at_1": "10:00:00"})
    page = client.post(url, data)
    assert page.status_code == 200
    assert "This contact belongs to another customer." in page.content.decode()
    data["contact"] = c["mine"][0].pk
    assert client.post(url, data).status_code == 302


# -- the engineer picker ------------------------------------------------------------------
def test_the_engineer_picker_lists_engineers_with_their_open_tickets(rf, clerk, make_user,
                                                                     django_assert_max_num_queries):
    busy = make_user("engineer", "wangwei", first_name="伟", last_name="王")
    idle = make_user("engineer", "lina")
    keeper = make_user("warehouse", "keeper")
    for _ in range(3):
        ticket = TicketFactory()
        apply_transition(ticket, "assign", actor=clerk, assignee=busy)
    TicketFactory(assignee=busy, state=wf.TicketStatus.CLOSED)
    for form in (AssignForm(rf.get("/")), BulkAssignForm()):
        with django_assert_max_num_queries(1):
            choices = {label for _value, label in form.fields["assignee"].choices if _value}
        assert f"{display_name(busy)} (3 open)" in choices, choices
        assert f"{idle.username} (0 open)" in choices
        assert not any(c.startswith((keeper.username, clerk.username)) for c in choices)


def test_the_assign_dialog_shows_the_counts(client, clerk, engineer):
    ticket = TicketFactory()
    client.force_login(clerk)
    html = client.get(reverse("admin:backoffice_ticket_transition_assign",
                              args=[ticket.pk])).content.decode()
    assert f"{engineer.username} (0 open)" in html
