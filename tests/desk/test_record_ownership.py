"""Issue "Nothing lost, nothing leaked", item 7: the service record is the assignee's.

The assigned engineer and the supervisors (the after-sales manager) edit a ticket; other
engineers read it. Clerks keep editing the tickets they record. The rule is the role
matrix's EDITORS (docs/roles.md), enforced by BackofficeAdmin.has_change_permission.
"""

import pytest
from django.urls import reverse

from backoffice.platform.workflow import apply_transition
from tests.factories import TicketFactory
from tests.pages import form_data

pytestmark = pytest.mark.django_db


def _save(client, url, user, diagnosis):
    """Open the change page as ``user`` and save it with a new diagnosis."""
    client.force_login(user)
    data = form_data(client.get(url).content.decode())
    assert "diagnosis" in data, f"{user.username} gets no editable diagnosis"
    return client.post(url, {**data, "diagnosis": diagnosis, "_save": "Save"})


def test_item7_an_engineer_cannot_edit_another_engineers_ticket(client, clerk, engineer,
                                                                manager, make_user):
    engineer2 = make_user("engineer", "engineer2")
    ticket = TicketFactory(diagnosis="网卡驱动版本过旧")
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    url = reverse("admin:backoffice_ticket_change", args=[ticket.pk])

    # what the assignee's browser would post, replayed by engineer2
    client.force_login(engineer)
    data = form_data(client.get(url).content.decode())
    assert data["diagnosis"] == "网卡驱动版本过旧"

    client.force_login(engineer2)
    page = client.get(url)
    assert page.status_code == 200  # other engineers read the service record
    html = page.content.decode()
    assert "网卡驱动版本过旧" in html
    assert 'name="diagnosis"' not in html and 'name="_save"' not in html  # read-only
    response = client.post(url, {**data, "diagnosis": "engineer2 改写的诊断", "_save": "Save"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.diagnosis == "网卡驱动版本过旧"
    # the list still shows the ticket to engineer2
    assert client.get(reverse("admin:backoffice_ticket_changelist")).status_code == 200

    # the assignee, the manager and the clerk (who records tickets) still save
    for user, text in ((engineer, "驱动升级后恢复"), (manager, "经理补充：驱动问题"),
                       (clerk, "客服补充：客户确认驱动版本")):
        response = _save(client, url, user, text)
        assert response.status_code == 302, (user.username, response.content.decode()[:500])
        ticket.refresh_from_db()
        assert ticket.diagnosis == text, user.username


def test_item7_an_unassigned_ticket_is_no_engineers_to_edit(client, engineer, clerk):
    """Nobody's ticket yet: the clerk and the manager edit it, engineers read it."""
    ticket = TicketFactory(diagnosis="")
    url = reverse("admin:backoffice_ticket_change", args=[ticket.pk])
    client.force_login(engineer)
    html = client.get(url).content.decode()
    assert 'name="diagnosis"' not in html and 'name="_save"' not in html
    assert _save(client, url, clerk, "客服记录").status_code == 302
