"""An outage end to end, through the admin pages as the real roles: proposed by a critical
ticket, opened from it, other customers' tickets attached, a plan followed, the customers
told by mail, closed only after its review."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.incidents.models import Incident, IncidentNotice
from backoffice.incidents.workflows import IncidentStatus
from backoffice.platform.models import Notification
from tests.incidents.conftest import outage_ticket
from tests.pages import form_data

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:backoffice_{name}", args=args)


def step(client, incident, name, **data):
    return client.post(url(f"incident_transition_{name}", incident.pk),
                       {"_form_submitted": "on", **data})


def page_form(client, address):
    """The form as a browser posts it: a multiple choice sends each chosen value."""
    response = client.get(address)
    data = form_data(response.content.decode())
    form = response.context["adminform"].form
    for name in ("products", "versions", "customers"):
        if name in data:
            data[name] = [str(getattr(v, "pk", v)) for v in form[name].value() or []]
    return data


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_an_outage_from_the_first_call_to_the_review(client, clerk, engineer, manager, plan,
                                                     product, smtp_settings,
                                                     django_capture_on_commit_callbacks):
    # the clerk records the first call: critical, service outage
    client.force_login(clerk)
    data = form_data(client.get(url("ticket_add")).content.decode())
    first_customer = outage_ticket(product).customer  # a customer with a contact
    Ticket.objects.all().delete()
    contact = first_customer.contacts.get()
    data.update({"channel": wf.Channel.PHONE, "category": wf.Category.OUTAGE,
                 "priority": wf.Priority.CRITICAL, "customer": first_customer.pk,
                 "contact": contact.pk, "product": product.pk, "subject": "系统无法登录",
                 "received_at_0": "2026-12-01", "received_at_1": "09:05:00"})
    response = client.post(url("ticket_add"), data, follow=True)
    assert any("after-sales managers were told" in m for m in messages_of(response))
    first = Ticket.objects.get()
    assert Notification.objects.filter(recipient=manager, event="incident_proposed").exists()

    # the manager sees the proposal on the ticket and opens the incident from it
    client.force_login(manager)
    page = client.get(url("ticket_change", first.pk)).content.decode()
    assert 'id="incident-proposal"' in page and 'id="open-incident"' in page
    add = url("incident_add") + f"?from_ticket={first.pk}"
    data = page_form(client, add)
    assert data["title"] == "系统无法登录" and data["kind"] == "outage"
    assert data["plan"] == str(plan.pk) and data["attach_tickets"] == first.number
    response = client.post(add, data)
    assert response.status_code == 302, (response.context["adminform"].form.errors, [f.formset.errors for f in response.context["inline_admin_formsets"]])
    incident = Incident.objects.get()
    assert incident.number.startswith("INC") and incident.commander == manager
    assert list(incident.tickets.all()) == [first]
    assert list(incident.customers.all()) == [first_customer]

    # four more customers call: two are attached from their ticket page, two by number
    others = [outage_ticket(product) for _ in range(3)] + [outage_ticket(product, email=False)]
    page = client.get(url("ticket_change", others[0].pk)).content.decode()
    assert incident.number in page  # offered as the open incident of the same product
    for ticket in others[:2]:
        response = client.post(url("ticket_attach_to_incident_action", ticket.pk),
                               {"_form_submitted": "on", "incident": incident.pk})
        assert response.headers["HX-Redirect"].endswith(f"/ticket/{ticket.pk}/change/")
    change = url("incident_change", incident.pk)
    data = page_form(client, change)
    data["attach_tickets"] = f"{others[2].number}, {others[3].number.lower()}"
    assert client.post(change, data).status_code == 302
    assert incident.tickets.count() == 5 and incident.customers.count() == 5
    page = client.get(url("ticket_change", others[3].pk)).content.decode()
    assert 'id="incident-link"' in page and 'id="incident-proposal"' not in page

    # an engineer adds the first action, ticking off the plan's first step
    client.force_login(engineer)
    first_step = plan.steps.get(position=1)
    response = client.post(url("incident_add_action_action", incident.pk),
                           {"_form_submitted": "on", "text": "确认为认证服务故障",
                            "plan_step": first_step.pk})
    assert incident.actions.get().plan_step == first_step and incident.actions.get().by == engineer
    page = client.get(change).content.decode()
    assert "2. 首次通知客户" in page  # the next step of the plan
    assert client.get(url("incident_send_notice_action", incident.pk)).status_code == 403

    # the manager informs the customers: one mail per address, none to the contact without
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("incident_send_notice_action", incident.pk),
                               {"_form_submitted": "on", "kind": "first",
                                "subject": "服务中断通知", "body": "正在抢修，预计两小时内恢复。"})
    mails = smtp_settings.wait_for(4)
    addresses = sorted(t.contact.email for t in [first, *others[:3]])
    assert sorted(m["To"] for m in mails) == addresses
    assert all(m["Subject"] == f"[{incident.number}] 服务中断通知" for m in mails)
    assert "正在抢修" in mails[0].get_body(("plain",)).get_content()
    notice = IncidentNotice.objects.get()
    assert (notice.sent_by, notice.mailed, sorted(notice.recipients)) == (manager, 4, addresses)

    # resolved; closing waits for the review
    step(client, incident, "mitigate")
    step(client, incident, "resolve")
    response = step(client, incident, "close")
    incident.refresh_from_db()
    assert incident.state == IncidentStatus.RESOLVED
    assert any("post-incident review" in m for m in messages_of(response))
    data = page_form(client, change)
    data.update({"root_cause": "证书过期", "went_well": "二十分钟内通知全部客户",
                 "went_badly": "没有证书到期告警", "timeline_summary": "9:05 故障，11:20 恢复"})
    assert client.post(change, data).status_code == 302
    step(client, incident, "close", note="复盘完成")
    incident.refresh_from_db()
    assert incident.state == IncidentStatus.CLOSED and incident.reviewed_by == manager
    assert [e.action for e in incident.events.order_by("created_at", "id")] == [
        "mitigate", "resolve", "close"]


def test_a_ticket_counts_in_one_incident_only(client, manager, plan, product):
    ticket = outage_ticket(product)
    client.force_login(manager)
    ids = []
    for _ in range(2):
        data = page_form(client, url("incident_add") + f"?from_ticket={ticket.pk}")
        response = client.post(url("incident_add") + f"?from_ticket={ticket.pk}", data,
                               follow=True)
        ids.append(Incident.objects.latest("pk").pk)
    assert ids[0] != ids[1]
    assert any("Already counted in another incident" in m for m in messages_of(response))
    assert Incident.objects.get(pk=ids[1]).tickets.count() == 0


def test_only_those_who_run_incidents_open_them_or_tell_customers(client, clerk, engineer,
                                                                 plan, product):
    ticket = outage_ticket(product)
    for user in (clerk, engineer):
        client.force_login(user)
        page = client.get(url("ticket_change", ticket.pk)).content.decode()
        assert 'id="incident-proposal"' in page and 'id="open-incident"' not in page
        assert client.get(url("incident_add")).status_code == 403
        assert client.get(url("incident_changelist")).status_code == 200
